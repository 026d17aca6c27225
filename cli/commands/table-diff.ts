// `passagectl table diff FILE --from LOCATION`: what publishing FILE would change for players.

import type { Command } from 'commander';
import { emit, type CliContext, type Runner } from '../context.ts';
import { diffTables, formatDiff } from '../tables/diff.ts';
import { readPublished, readTableFile } from '../tables/document.ts';
import { parseLocation } from '../tables/location.ts';
import { openStore } from '../tables/store.ts';

export interface TableDiffOptions {
  readonly file: string;
  readonly from: string;
}

export async function run(opts: TableDiffOptions, ctx: CliContext): Promise<void> {
  const store = openStore(parseLocation(opts.from), ctx);
  const local = await readTableFile(opts.file);
  const latest = await store.latest();
  const published = latest === undefined ? undefined : (await readPublished(store, latest.envelope, store.description)).table;
  const diff = diffTables(published, local.table);
  emit(ctx, diff, () => formatDiff(diff));
}

export function register(table: Command, runner: Runner): void {
  table
    .command('diff')
    .description('routes and targets added, removed or changed against the published table')
    .argument('<file>', 'routes.toml, a JSON table or a signed envelope')
    .requiredOption('--from <location>', 'where the table is published (dynamodb://, s3://, file://, https://)')
    .action((file: string, flags: { from: string }, command: Command) => runner(command, (ctx) => run({ file, from: flags.from }, ctx)));
}
