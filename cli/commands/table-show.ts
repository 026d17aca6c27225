// `passagectl table show --from LOCATION [VERSION]`: the published table, decoded (not verified:
// routers verify; this is for reading). The version is an argument, as for `table rollback`: the
// program's own `--version` would swallow an option of that name.

import type { Command } from 'commander';
import type { RoutingTable } from '../../router/table/types.ts';
import { CliError, emit, UsageError, type CliContext, type Runner } from '../context.ts';
import { readPublished } from '../tables/document.ts';
import { parseLocation } from '../tables/location.ts';
import { openStore } from '../tables/store.ts';

export interface TableShowOptions {
  readonly from: string;
  readonly version?: number;
}

export async function run(opts: TableShowOptions, ctx: CliContext): Promise<void> {
  const store = openStore(parseLocation(opts.from), ctx);
  const entry = opts.version === undefined ? await store.latest() : await store.get(opts.version);
  if (entry === undefined) {
    throw new CliError('PASSAGE_NOT_PUBLISHED', opts.version === undefined ? `${store.description}: nothing published yet` : `${store.description}: no version ${opts.version}`);
  }
  const published = await readPublished(store, entry.envelope, store.description);
  emit(ctx, { location: store.description, publishedAt: entry.publishedAt ?? null, keyids: published.keyids, document: published.document }, () =>
    describeTable(published.table, published.keyids, entry.publishedAt, ctx.now()),
  );
}

export function describeTable(table: RoutingTable, keyids: readonly string[], publishedAt: string | undefined, now: number): string {
  const expires = table.expiresAt === undefined ? 'never' : `${new Date(table.expiresAt).toISOString()}${table.expiresAt <= now ? ' (EXPIRED)' : ''}`;
  const lines = [
    `table    ${table.tableId}@${table.version}`,
    `issued   ${table.issuedAt === undefined ? '-' : new Date(table.issuedAt).toISOString()}${publishedAt === undefined ? '' : `, published ${publishedAt}`}`,
    `expires  ${expires}`,
    `signed   ${keyids.join(', ')}`,
    '',
  ];
  for (const route of table.routes) {
    lines.push(`route ${route.id} [${route.mode}, ${route.strategy}] ${route.hosts.join(', ')}`);
    for (const t of route.targets) lines.push(`  ${t.id.padEnd(20)} ${t.address.padEnd(28)} priority ${t.priority}`);
  }
  return `${lines.join('\n')}\n`;
}

export function parseVersionArgument(text: string, what: string): number {
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${what}: expected a version number, got "${text}"`);
  return Number(text);
}

export function register(table: Command, runner: Runner): void {
  table
    .command('show')
    .description('print the published table (the latest, or VERSION from the history)')
    .argument('[version]', 'a version from the history instead of the latest')
    .requiredOption('--from <location>', 'dynamodb://TABLE/ID?region=R, s3://BUCKET/KEY?region=R, file://PATH or https://…')
    .action((version: string | undefined, flags: { from: string }, command: Command) =>
      runner(command, (ctx) =>
        run({ from: flags.from, ...(version === undefined ? {} : { version: parseVersionArgument(version, 'VERSION') }) }, ctx),
      ),
    );
}
