// `passagectl table history --from LOCATION`: the published versions, newest first.

import type { Command } from 'commander';
import { emit, UsageError, type CliContext, type Runner } from '../context.ts';
import { decodePublished, routeCount } from '../tables/document.ts';
import { parseLocation } from '../tables/location.ts';
import { openStore } from '../tables/store.ts';

export interface TableHistoryOptions {
  readonly from: string;
  readonly limit: number;
}

export async function run(opts: TableHistoryOptions, ctx: CliContext): Promise<void> {
  const store = openStore(parseLocation(opts.from), ctx);
  const [entries, latest] = await Promise.all([store.history(opts.limit), store.latest()]);
  const rows = entries.map((e) => {
    const published = decodePublished(e.envelope, `${store.description} version ${e.version}`);
    const { table, keyids } = published;
    return {
      version: e.version,
      latest: e.version === latest?.version,
      publishedAt: e.publishedAt ?? null,
      issuedAt: new Date(table.issuedAt!).toISOString(),
      expiresAt: new Date(table.expiresAt!).toISOString(),
      routes: routeCount(published),
      keyids,
      ...(published.manifest === undefined ? {} : { chunks: published.manifest.chunks.length }),
    };
  });
  emit(ctx, { location: store.description, versions: rows }, () => {
    if (rows.length === 0) return `${store.description}: nothing published yet\n`;
    const lines = rows.map((r) => `${r.latest ? '*' : ' '} ${String(r.version).padStart(6)}  ${r.issuedAt}  expires ${r.expiresAt}  ${String(r.routes).padStart(4)} routes  ${r.keyids.join(',')}`);
    return `  version  issued                    expiry                              routes  signed by\n${lines.join('\n')}\n`;
  });
}

export function register(table: Command, runner: Runner): void {
  table
    .command('history')
    .description('list published versions, newest first (* = latest)')
    .requiredOption('--from <location>', 'dynamodb://TABLE/ID?region=R, s3://BUCKET/KEY?region=R or file://PATH')
    .option('--limit <n>', 'at most this many versions', '20')
    .action((flags: { from: string; limit: string }, command: Command) => {
      const limit = Number(flags.limit);
      return runner(command, async (ctx) => {
        if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive integer, got "${flags.limit}"`);
        return run({ from: flags.from, limit }, ctx);
      });
    });
}
