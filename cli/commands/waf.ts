// `passagectl waf plan|apply`: the rate-based rules of the table endpoint's web ACL, from
// `[[waf.rate_rules]]` in the regions file. WAF sees HTTP only; the players' per-IP limits travel in the
// signed table's `rate_rules` and the routers enforce them (docs/AWS.md). `apply` re-reads the ACL after
// writing and fails unless it now matches, so a second apply changes nothing.

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Command } from 'commander';
import { loadRegionsFile, REGIONS_FILE_NAME } from '../../router/contracts/regions-file.ts';
import { loadStackOutputs } from '../aws/outputs-source.ts';
import { webAclRefFromOutputs } from '../aws/stack-outputs.ts';
import { EDGE_REGION, edgeStackName } from '../../router/contracts/stacks.ts';
import { renderWafPlan } from '../aws/waf-plan.ts';
import { syncWafRules } from '../aws/wafv2.ts';
import { CliError, emit, EXIT_OK, type CliContext, type Runner } from '../context.ts';
import { EXIT_CHANGES_PENDING } from '../deploy/aws.ts';
import { expected } from './regions.ts';

export interface WafOptions {
  readonly file: string;
  readonly outputsFile?: string;
  readonly detailedExitcode: boolean;
}

export interface WafClients {
  readonly wafv2: WAFV2Client;
  cloudFormation(region: string): CloudFormationClient;
}

/** CLOUDFRONT-scoped web ACLs are served by the us-east-1 endpoint only. */
export function defaultWafClients(): WafClients {
  return { wafv2: new WAFV2Client({ region: EDGE_REGION }), cloudFormation: (region) => new CloudFormationClient({ region }) };
}

export async function run(mode: 'plan' | 'apply', opts: WafOptions, ctx: CliContext, clients: WafClients = defaultWafClients()): Promise<number> {
  return expected(
    (async () => {
      const file = await loadRegionsFile(opts.file);
      const outputs = await loadStackOutputs(opts.outputsFile === undefined ? {} : { outputsFile: opts.outputsFile }, [{ stackName: edgeStackName(file.tableId), region: EDGE_REGION }], clients.cloudFormation);
      const ref = webAclRefFromOutputs(file, outputs);
      const result = await syncWafRules(clients.wafv2, ref, file.rateRules, { dryRun: mode === 'plan' });
      if (result.applied) {
        // WAF applies an update at once; reading it back proves the ACL now holds what the file says.
        const check = await syncWafRules(clients.wafv2, ref, file.rateRules, { dryRun: true });
        if (check.plan.hasChanges) throw new CliError('PASSAGE_WAF_NOT_IN_SYNC', `web ACL ${ref.name} still differs after the update:\n${renderWafPlan(check.plan, ref.name)}`);
      }
      const changes = result.plan.changes.map((c) => ({ action: c.action, name: c.name }));
      emit(ctx, { ok: true, mode, webAcl: ref, applied: result.applied, hasChanges: result.plan.hasChanges, changes }, () => {
        const diff = `${renderWafPlan(result.plan, ref.name)}\n`;
        if (mode === 'plan') return result.plan.hasChanges ? `${diff}run \`npx passagectl waf apply\` to make these changes\n` : diff;
        return result.applied ? `${diff}applied; the web ACL is in sync\n` : diff;
      });
      return mode === 'plan' && result.plan.hasChanges && opts.detailedExitcode ? EXIT_CHANGES_PENDING : EXIT_OK;
    })(),
  );
}

export function register(program: Command, runner: Runner): void {
  const waf = program.command('waf').description('rate-based rules on the table endpoint web ACL (HTTP only; player limits live in the signed table)');
  for (const mode of ['plan', 'apply'] as const) {
    const cmd = waf
      .command(mode)
      .description(mode === 'plan' ? 'show the rule changes as a diff' : 'write the rules (keeping every other ACL setting) and check they hold')
      .option('--file <path>', 'regions file', REGIONS_FILE_NAME)
      .option('--outputs <file>', 'stack outputs JSON from `cdk deploy --outputs-file` (default: CloudFormation DescribeStacks)');
    if (mode === 'plan') cmd.option('--detailed-exitcode', 'exit 3 when there are changes');
    cmd.action((flags: { file: string; outputs?: string; detailedExitcode?: boolean }, command: Command) =>
      runner(command, (ctx) => run(mode, { file: flags.file, ...(flags.outputs === undefined ? {} : { outputsFile: flags.outputs }), detailedExitcode: flags.detailedExitcode === true }, ctx)),
    );
  }
}
