// `passagectl dns plan|apply`: the GeoDNS records for `domain` (one geolocation alias per region and
// location, plus the default `*`), planned against what Route53 holds. `plan` prints the diff; `apply`
// sends one change batch and waits until Route53 reports INSYNC; an apply with nothing to change sends
// nothing. Exit codes: 0 done (or no changes), 1 error, 2 usage, 3 changes pending (`plan --detailed-exitcode`).

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { Command } from 'commander';
import { loadRegionsFile, REGIONS_FILE_NAME } from '../../router/contracts/regions-file.ts';
import { findHostedZoneId, syncDns, type WaitOptions } from '../aws/route53.ts';
import { renderDnsPlan, type DnsPlan } from '../aws/dns-plan.ts';
import { loadStackOutputs } from '../aws/outputs-source.ts';
import { desiredDnsFromOutputs } from '../aws/stack-outputs.ts';
import { regionStackName } from '../../router/contracts/stacks.ts';
import { emit, EXIT_OK, type CliContext, type Runner } from '../context.ts';
import { EXIT_CHANGES_PENDING } from '../deploy/aws.ts';
import { expected } from './regions.ts';

export interface DnsOptions {
  readonly file: string;
  readonly outputsFile?: string;
  /** Skip the hosted-zone lookup by name. */
  readonly hostedZoneId?: string;
  readonly detailedExitcode: boolean;
}

export interface DnsClients {
  readonly route53: Route53Client;
  cloudFormation(region: string): CloudFormationClient;
  readonly wait?: WaitOptions;
}

/** Route53 is a global service; its API lives in us-east-1. */
export function defaultDnsClients(): DnsClients {
  return { route53: new Route53Client({ region: 'us-east-1' }), cloudFormation: (region) => new CloudFormationClient({ region }) };
}

function planJson(plan: DnsPlan) {
  return {
    recordName: plan.recordName,
    changes: plan.changes.map((c) => ({ action: c.action, setIdentifier: c.recordSet.SetIdentifier, geoLocation: c.recordSet.GeoLocation, target: c.recordSet.AliasTarget?.DNSName })),
    conflicts: plan.conflicts.map((r) => ({ type: r.Type, setIdentifier: r.SetIdentifier })),
  };
}

export async function run(mode: 'plan' | 'apply', opts: DnsOptions, ctx: CliContext, clients: DnsClients = defaultDnsClients()): Promise<number> {
  return expected(
    (async () => {
      const file = await loadRegionsFile(opts.file);
      const stacks = file.regions.map((r) => ({ stackName: regionStackName(file.tableId, r.name), region: r.name }));
      const outputs = await loadStackOutputs(opts.outputsFile === undefined ? {} : { outputsFile: opts.outputsFile }, stacks, clients.cloudFormation);
      const desired = desiredDnsFromOutputs(file, outputs);
      const zoneId = opts.hostedZoneId ?? (await findHostedZoneId(clients.route53, file.hostedZone));
      const result = await syncDns(clients.route53, zoneId, desired, { dryRun: mode === 'plan', ...clients.wait });
      const pending = result.plan.changes.length > 0;
      const applied = result.changeId !== undefined;
      emit(ctx, { ok: true, mode, hostedZoneId: zoneId, ...planJson(result.plan), ...(applied ? { changeId: result.changeId, status: 'INSYNC' } : {}) }, () => {
        const diff = `${renderDnsPlan(result.plan)}\n`;
        if (mode === 'plan') return pending ? `${diff}run \`npx passagectl dns apply\` to make these changes\n` : diff;
        return applied ? `${diff}applied as change ${result.changeId}; Route53 reports INSYNC\n` : diff;
      });
      return mode === 'plan' && pending && opts.detailedExitcode ? EXIT_CHANGES_PENDING : EXIT_OK;
    })(),
  );
}

export function register(program: Command, runner: Runner): void {
  const dns = program.command('dns').description('GeoDNS: Route53 geolocation records for the domain, one set per region');
  for (const mode of ['plan', 'apply'] as const) {
    const cmd = dns
      .command(mode)
      .description(mode === 'plan' ? 'show the record changes as a diff' : 'apply the changes in one batch and wait until Route53 is in sync')
      .option('--file <path>', 'regions file', REGIONS_FILE_NAME)
      .option('--outputs <file>', 'stack outputs JSON from `cdk deploy --outputs-file` (default: CloudFormation DescribeStacks)')
      .option('--hosted-zone-id <id>', 'the hosted zone (default: the public zone named hosted_zone)');
    if (mode === 'plan') cmd.option('--detailed-exitcode', 'exit 3 when there are changes');
    cmd.action((flags: { file: string; outputs?: string; hostedZoneId?: string; detailedExitcode?: boolean }, command: Command) =>
      runner(command, (ctx) =>
        run(mode, {
          file: flags.file,
          ...(flags.outputs === undefined ? {} : { outputsFile: flags.outputs }),
          ...(flags.hostedZoneId === undefined ? {} : { hostedZoneId: flags.hostedZoneId }),
          detailedExitcode: flags.detailedExitcode === true,
        }, ctx),
      ),
    );
  }
}
