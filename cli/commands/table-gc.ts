// `passagectl table gc --from LOCATION [--grace 1h] [--dry-run]`: removes chunks of chunked tables that
// no published version names. Every version in the history is retained (rollback can restore any of
// them), so only chunks no manifest in the history or the latest references go: those of a publish
// that lost a race or stopped half-way. A chunk written less than `--grace` ago is kept even so: a
// publish in flight writes its chunks before the manifest that names them, and writes again any chunk
// already stored (so an orphan it reuses is young again); gc asks a chunk's time once more just before
// it deletes it.

import type { Command } from 'commander';
import { CliError, emit, parseExpiry, UsageError, type CliContext, type Runner } from '../context.ts';
import { decodePublished } from '../tables/document.ts';
import { parseLocation } from '../tables/location.ts';
import { openStore } from '../tables/store.ts';

/** history() reads at most this many versions; a longer history is refused rather than half-read. */
export const GC_MAX_VERSIONS = 100_000;
export const DEFAULT_GC_GRACE_MS = 60 * 60_000;

export interface TableGcOptions {
  readonly from: string;
  readonly graceMs: number;
  readonly dryRun: boolean;
}

export interface GcResult {
  readonly location: string;
  readonly versions: number;
  readonly chunks: number;
  readonly referenced: number;
  readonly removed: number;
  /** Unreferenced, but younger than the grace period. */
  readonly keptRecent: number;
  readonly dryRun: boolean;
}

export async function run(opts: TableGcOptions, ctx: CliContext): Promise<void> {
  const store = openStore(parseLocation(opts.from), ctx);
  const [history, latest] = await Promise.all([store.history(GC_MAX_VERSIONS), store.latest()]);
  if (history.length >= GC_MAX_VERSIONS) throw new CliError('PASSAGE_GC_HISTORY_TOO_LONG', `${store.description}: more than ${GC_MAX_VERSIONS} versions; refusing to collect chunks from a partial history`);
  const referenced = new Set<string>();
  for (const entry of latest === undefined ? history : [...history, latest]) {
    for (const ref of decodePublished(entry.envelope, `${store.description} version ${entry.version}`).manifest?.chunks ?? []) referenced.add(ref.sha256);
  }
  const stored = await store.listChunks();
  const cutoff = ctx.now() - opts.graceMs;
  let removed = 0;
  let keptRecent = 0;
  for (const chunk of stored) {
    if (referenced.has(chunk.sha256)) continue;
    if (chunk.writtenAt === undefined || chunk.writtenAt > cutoff) {
      keptRecent++;
      continue;
    }
    if (!opts.dryRun) {
      // Asked again just before the delete: a publish that reuses this chunk since the listing has
      // written it again (putChunks), and its time is now within the grace period.
      const now = await store.statChunk(chunk.sha256);
      if (now === undefined) continue;
      if (now.writtenAt === undefined || now.writtenAt > cutoff) {
        keptRecent++;
        continue;
      }
      await store.deleteChunk(chunk.sha256);
    }
    removed++;
  }
  const result: GcResult = { location: store.description, versions: history.length, chunks: stored.length, referenced: referenced.size, removed, keptRecent, dryRun: opts.dryRun };
  emit(ctx, result, () =>
    `${store.description}: ${stored.length} chunks, ${referenced.size} named by ${history.length} versions; ${opts.dryRun ? 'would remove' : 'removed'} ${removed}${keptRecent > 0 ? `, kept ${keptRecent} unreferenced younger than the grace period` : ''}\n`,
  );
}

export function register(table: Command, runner: Runner): void {
  table
    .command('gc')
    .description('remove stored chunks that no published version uses')
    .requiredOption('--from <location>', 'dynamodb://TABLE/ID?region=R, s3://BUCKET/KEY?region=R or file://PATH')
    .option('--grace <duration>', 'keep unreferenced chunks younger than this (a publish in flight)', '1h')
    .option('--dry-run', 'count what would be removed, remove nothing')
    .action((flags: { from: string; grace: string; dryRun?: boolean }, command: Command) =>
      runner(command, (ctx) => run({ from: flags.from, graceMs: parseGrace(flags.grace), dryRun: flags.dryRun === true }, ctx)),
    );
}

function parseGrace(text: string): number {
  if (text === '0') return 0;
  try {
    return parseExpiry(text);
  } catch {
    throw new UsageError(`--grace: expected a duration like "1h", "30m" or 0, got "${text}"`);
  }
}
