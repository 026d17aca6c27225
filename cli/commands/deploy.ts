// `passagectl deploy --region R | --all-regions | --local N`: roll out Passage.
// AWS: synth, show the diff, ask (on a terminal; elsewhere --yes is required), deploy the stacks, roll
// the ECS service, wait until the new tasks are healthy, report the table version they serve.
// --local N: the same rolling update against N router processes on this machine (cli/deploy/local.ts).
// Exit codes: 0 done, 1 error, 2 usage, 3 changes pending (--dry-run --detailed-exitcode),
// 4 failed and rolled back.

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { loadRegionsFile, REGIONS_FILE_NAME } from '../../router/contracts/regions-file.ts';
import { MIN_TABLE_VERSION_CONTEXT } from '../../router/contracts/stacks.ts';
import { EXIT_OK, UsageError, type CliContext, type Runner } from '../context.ts';
import { applyDeploy, deployTargets, EXIT_CHANGES_PENDING, planDeploy, type AwsDeployDeps } from '../deploy/aws.ts';
import { cdkCli, type CdkRunner } from '../deploy/cdk.ts';
import { awsDeployCloud, type DeployCloud } from '../deploy/cloud.ts';
import { createReporter, ndjsonReporter, plainReporter, type Reporter } from '../deploy/events.ts';
import { runLocalDeploy } from '../deploy/local.ts';
import { checkRouterConfigs } from '../deploy/precheck.ts';
import { parseImageRef, RouterImageError } from '../../infra/constructs/router-image.ts';

export interface DeployOptions {
  readonly file: string;
  readonly region?: string;
  readonly allRegions: boolean;
  readonly image?: string;
  readonly dryRun: boolean;
  readonly detailedExitcode: boolean;
  readonly yes: boolean;
  readonly detach: boolean;
  /** `--local N`: roll N local routers instead of AWS. */
  readonly local?: number;
  readonly routes: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly delayMs: number;
  readonly hold: boolean;
}

/** What the command talks to; tests replace any of them. */
export interface DeployDeps {
  readonly cdk: CdkRunner;
  readonly cloud: DeployCloud;
  readonly confirm: (question: string) => Promise<boolean>;
  /** The reporter for the rollout (after the question). */
  readonly reporter: (ctx: CliContext) => Promise<Reporter>;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly pollIntervalMs?: number;
  readonly timeoutMs?: number;
}

export async function run(opts: DeployOptions, ctx: CliContext, overrides: Partial<DeployDeps> = {}): Promise<number> {
  if (opts.local !== undefined) {
    if (opts.region !== undefined || opts.allRegions) throw new UsageError('--local rolls local routers; it does not combine with --region or --all-regions');
    // `--local --dry-run` must not start real routers on the player port as if it were a plan.
    const awsOnly = [opts.dryRun && '--dry-run', opts.detailedExitcode && '--detailed-exitcode', opts.detach && '--detach', opts.image !== undefined && '--image'].filter(Boolean);
    if (awsOnly.length > 0) throw new UsageError(`${awsOnly.join(', ')}: AWS deploys only; --local always starts real routers`);
    const reporter = await (overrides.reporter ?? ((c: CliContext) => createReporter(c, `passagectl deploy --local ${opts.local}`)))(ctx);
    try {
      return await runLocalDeploy(
        { count: opts.local, routes: opts.routes, listenHost: opts.listen.host, listenPort: opts.listen.port, delayMs: opts.delayMs, hold: opts.hold },
        ctx,
        reporter,
      );
    } finally {
      await reporter.close();
    }
  }
  if (opts.region === undefined && !opts.allRegions) throw new UsageError('say where to deploy: --region <aws-region>, --all-regions or --local <n>');
  if (opts.region !== undefined && opts.allRegions) throw new UsageError('--region and --all-regions exclude each other');
  if (opts.detailedExitcode && !opts.dryRun) throw new UsageError('--detailed-exitcode only applies with --dry-run');
  if (opts.image !== undefined) checkImage(opts.image);
  // Refuse before the slow synth: without a terminal nobody can answer the question.
  if (!opts.dryRun && !opts.yes && !ctx.isTTY) throw new UsageError('refusing to deploy without confirmation: no terminal to ask on; pass --yes (CI) or --dry-run');
  const file = await loadRegionsFile(opts.file);
  if (opts.region !== undefined && !file.regions.some((r) => r.name === opts.region)) {
    throw new UsageError(`region ${opts.region} is not in ${opts.file} (${file.regions.map((r) => r.name).join(', ')}); add it with \`npx passagectl regions add\``);
  }
  // Synth, --dry-run and deploy all stop here when the routers would refuse the config rendered for them.
  await checkRouterConfigs(opts.file);

  const cdk = overrides.cdk ?? cdkCli(ctx.signal);
  const cloud = overrides.cloud ?? awsDeployCloud({
    cloudFormation: (region) => new CloudFormationClient({ region }),
    ecs: (region) => new ECSClient({ region }),
    dynamodb: (region) => ctx.clients.dynamodb({ region, endpoint: '' }),
  });
  await cloud.checkCredentials?.(file.homeRegion);
  // The routers' table.min_version: a task started later (a replacement, a scale-out) with no cache never
  // accepts a table older than the one published now, however validly signed.
  const publishedVersion = await cloud.publishedTableVersion?.({ region: file.homeRegion, tableName: file.tableName, tableId: file.tableId });
  // On a terminal the plan prints as plain text (the diff belongs in the scrollback); the live view
  // starts after the question.
  const planReporter = ctx.json ? ndjsonReporter(ctx) : plainReporter(ctx);
  const workDir = await mkdtemp(join(tmpdir(), 'passage-deploy-'));
  const base: Omit<AwsDeployDeps, 'reporter'> = {
    cdk,
    cloud,
    cdkOptions: {
      context: {
        ...(opts.image ? { image: opts.image } : {}),
        ...(publishedVersion === undefined ? {} : { [MIN_TABLE_VERSION_CONTEXT]: String(publishedVersion) }),
      },
      env: { PASSAGE_REGIONS_FILE: resolve(opts.file) },
      ...(opts.dryRun ? { readOnly: true } : {}),
    },
    workDir,
    now: ctx.now,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.pollIntervalMs !== undefined ? { pollIntervalMs: overrides.pollIntervalMs } : {}),
    ...(overrides.timeoutMs !== undefined ? { timeoutMs: overrides.timeoutMs } : {}),
  };
  try {
    const targets = deployTargets(file, { ...(opts.region ? { region: opts.region } : {}), allRegions: opts.allRegions });
    const plan = await planDeploy(targets, { ...base, reporter: planReporter });
    const summary = plan.changed.length === 0 ? 'no infrastructure changes' : `changes in ${plan.changed.join(', ')}`;
    if (opts.dryRun) {
      const pending = plan.changed.length > 0;
      const exitCode = pending && opts.detailedExitcode ? EXIT_CHANGES_PENDING : EXIT_OK;
      planReporter.emit({ type: 'result', target: 'deploy', outcome: pending ? 'changes-pending' : 'no-changes', exitCode, message: `${summary} (dry run: nothing deployed)` });
      return exitCode;
    }
    if (!opts.yes) {
      const confirm = overrides.confirm ?? askOnTerminal;
      const what = targets.map((t) => t.stack).join(', ');
      if (!(await confirm(`${summary}. Deploy ${what} and roll the routers? [y/N] `))) {
        planReporter.emit({ type: 'step', target: 'deploy', step: 'confirm', status: 'skipped', detail: 'not confirmed; nothing deployed' });
        return EXIT_OK;
      }
    }
    const reporter = ctx.json ? planReporter : await (overrides.reporter ?? ((c: CliContext) => createReporter(c, `passagectl deploy ${opts.region ?? '--all-regions'}`)))(ctx);
    try {
      return await applyDeploy(plan, file, { detach: opts.detach }, { ...base, reporter });
    } finally {
      await reporter.close();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The synth would refuse the same reference, but only after seconds of work. */
function checkImage(ref: string): void {
  try {
    parseImageRef(ref);
  } catch (error) {
    if (error instanceof RouterImageError) throw new UsageError(`--${error.message}`);
    throw error;
  }
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new UsageError(`--local: expected a number of routers from 1 to 32, got "${text}"`);
  return n;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new UsageError(`--listen: expected host:port, got "${text}"`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function parseDelay(text: string): number {
  const m = /^(\d+)(ms|s)?$/.exec(text);
  if (!m) throw new UsageError(`--delay: expected a duration like "2s" or "500ms", got "${text}"`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

interface DeployFlags {
  file: string;
  region?: string;
  allRegions?: boolean;
  image?: string;
  dryRun?: boolean;
  detailedExitcode?: boolean;
  yes?: boolean;
  detach?: boolean;
  local?: string;
  routes: string;
  listen: string;
  delay: string;
  hold: boolean;
}

export function register(program: Command, runner: Runner): void {
  program
    .command('deploy')
    .description('roll Passage out to AWS regions (CDK + ECS), or to N local routers with --local')
    .option('--region <aws-region>', 'deploy this region stack')
    .option('--all-regions', 'deploy the edge and control-plane stacks, then every region in the regions file')
    .option('--image <ref>', 'router image to run (default: build the Dockerfile as a CDK asset)')
    .option('--dry-run', 'synth and show the diff; deploy nothing')
    .option('--detailed-exitcode', 'with --dry-run: exit 3 when there are changes')
    .option('-y, --yes', 'do not ask (required without a terminal)')
    .option('--detach', 'start the ECS rollout and return without waiting for it')
    .option('--file <path>', 'regions file', REGIONS_FILE_NAME)
    .option('--local <n>', 'roll N router processes on this machine behind a local balancer')
    .option('--routes <file>', 'with --local: the routes file the routers serve', 'routes.toml')
    .option('--listen <host:port>', 'with --local: the balancer address players connect to', '127.0.0.1:25565')
    .option('--delay <duration>', 'with --local: serve this long before rolling (e.g. 5s)', '0')
    .option('--no-hold', 'with --local: stop the fleet right after the rollout instead of serving until Ctrl-C')
    .addHelpText('after', '\nExit codes: 0 done, 1 error, 2 usage, 3 changes pending (--dry-run --detailed-exitcode), 4 failed and rolled back.\nDocs: docs/AWS.md')
    .action((flags: DeployFlags, command: Command) =>
      runner(command, async (ctx) => {
        const opts: DeployOptions = {
          file: flags.file,
          ...(flags.region === undefined ? {} : { region: flags.region }),
          allRegions: flags.allRegions === true,
          ...(flags.image === undefined ? {} : { image: flags.image }),
          dryRun: flags.dryRun === true,
          detailedExitcode: flags.detailedExitcode === true,
          yes: flags.yes === true,
          detach: flags.detach === true,
          ...(flags.local === undefined ? {} : { local: parseCount(flags.local) }),
          routes: flags.routes,
          listen: parseListen(flags.listen),
          delayMs: parseDelay(flags.delay),
          hold: flags.hold,
        };
        return run(opts, ctx);
      }),
    );
}
