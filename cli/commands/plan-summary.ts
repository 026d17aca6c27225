// `passagectl plan-summary --deploy F --dns F --waf F [--table F]`: the pull-request plan as Markdown
// (cli/plan/summary.ts), from the JSON the plan commands wrote. CI appends it to the job summary and
// posts it as the PR comment (.github/workflows/deploy.yml, job `plan`). A missing or empty file is a
// step that failed, reported in its section; the command itself fails only on usage mistakes.

import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { emit, UsageError, type CliContext, type Runner } from '../context.ts';
import { renderPlanSummary, type PlanOutputs } from '../plan/summary.ts';

/** More than any plan writes; a runaway file is read this far, and the rest reported as cut. */
export const MAX_PLAN_FILE_BYTES = 4 * 1024 * 1024;

export interface PlanSummaryOptions {
  readonly deploy?: string;
  readonly dns?: string;
  readonly waf?: string;
  readonly table?: string;
  readonly title?: string;
}

/** The file's text, or undefined when it does not exist (the step never wrote it). */
async function readPlanFile(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  try {
    const buffer = Buffer.alloc(MAX_PLAN_FILE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_PLAN_FILE_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function run(opts: PlanSummaryOptions, ctx: CliContext): Promise<number> {
  if (opts.deploy === undefined && opts.dns === undefined && opts.waf === undefined && opts.table === undefined) {
    throw new UsageError('nothing to summarize: give --deploy, --dns, --waf and/or --table with the files the plan commands wrote');
  }
  const outputs: PlanOutputs = {
    ...(opts.deploy === undefined ? {} : { deploy: await readPlanFile(opts.deploy) }),
    ...(opts.dns === undefined ? {} : { dns: await readPlanFile(opts.dns) }),
    ...(opts.waf === undefined ? {} : { waf: await readPlanFile(opts.waf) }),
    ...(opts.table === undefined ? {} : { table: await readPlanFile(opts.table) }),
  };
  const summary = renderPlanSummary(outputs, opts.title);
  emit(ctx, summary, () => summary.markdown);
  return 0;
}

export function register(program: Command, runner: Runner): void {
  program
    .command('plan-summary')
    .description('the pull-request plan (deploy --dry-run, dns plan, waf plan, table diff JSON) as Markdown')
    .option('--deploy <file>', 'NDJSON from `passagectl deploy --all-regions --dry-run --json`')
    .option('--dns <file>', 'JSON from `passagectl --json dns plan`')
    .option('--waf <file>', 'JSON from `passagectl --json waf plan`')
    .option('--table <file>', 'JSON from `passagectl --json table diff FILE --from LOCATION`')
    .option('--title <text>', 'the heading', 'Passage plan')
    .action((flags: PlanSummaryOptions, command: Command) => runner(command, (ctx) => run(flags, ctx)));
}
