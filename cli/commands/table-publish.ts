// `passagectl table publish FILE --to LOCATION`: signs (a routes file, with --key/--expires) or takes
// (an envelope) a table and makes it the latest at LOCATION, if its version is higher than what is
// there. Concurrent publishers: exactly one wins, the others exit 3 having written nothing.
// Before anything is written, the signature is checked against the keys the target routers trust (the
// regions file's public_keys, or --public-key files): a table they would refuse is not published
// unless --force.

import type { Command } from 'commander';
import { REGIONS_FILE_NAME } from '../../router/contracts/regions-file.ts';
import { CHUNKED_PUBLISH_THRESHOLD_BYTES, type TableChunk } from '../../router/table/manifest.ts';
import { CliError, collect, emit, parseExpiry, UsageError, type CliContext, type Runner } from '../context.ts';
import { signForPublish } from '../tables/chunked-publish.ts';
import { decodePublished, readTableFile, type EnvelopeTable } from '../tables/document.ts';
import { parseLocation } from '../tables/location.ts';
import { openStore, type PublishedEntry, type PublishedTableStore } from '../tables/store.ts';
import { checkPublishable, type PublishTrust } from '../tables/trust.ts';

export interface TablePublishOptions {
  readonly file: string;
  readonly to: string;
  /** Needed when FILE is a routes file; ignored for an envelope. */
  readonly keys: readonly string[];
  readonly expiresInMs: number;
  /** Whose keys the target routers trust. */
  readonly trust: PublishTrust;
  /** Publish even when the routers would refuse the table (a warning instead of an error). */
  readonly force: boolean;
  /** A signed payload larger than this is published as a chunked table (default CHUNKED_PUBLISH_THRESHOLD_BYTES). */
  readonly chunkAboveBytes?: number;
}

export interface PublishResult {
  readonly location: string;
  readonly tableId: string;
  readonly version: number;
  readonly previousVersion: number | null;
  readonly expiresAt: string;
  readonly keyids: readonly string[];
  /** Chunked tables only: how many chunks the table has and how many were new (the others were already stored). */
  readonly chunks?: number;
  readonly chunksWritten?: number;
}

export async function run(opts: TablePublishOptions, ctx: CliContext): Promise<void> {
  const store = openStore(parseLocation(opts.to), ctx);
  const local = await readTableFile(opts.file);
  const envelope =
    local.kind === 'envelope'
      ? local
      : await signForPublish(local.document, opts.keys, opts.expiresInMs, ctx.now(), opts.file, opts.chunkAboveBytes ?? CHUNKED_PUBLISH_THRESHOLD_BYTES);
  const verifiedBy = await checkPublishable(envelope, opts.trust, opts.force, ctx);
  const result = { ...(await publishEnvelope(store, envelope)), verifiedBy: verifiedBy ?? null };
  emit(ctx, result, () => `published ${result.tableId}@${result.version} to ${result.location} (was ${result.previousVersion ?? 'empty'}), signed by ${result.keyids.join(', ')}, expires ${result.expiresAt}${chunkNote(result)}\n`);
}

/** ", chunked: 2 of 781 chunks written" for a chunked table, nothing for one envelope. */
export function chunkNote(result: PublishResult): string {
  return result.chunks === undefined ? '' : `, chunked: ${result.chunksWritten} of ${result.chunks} chunks written`;
}

/** Publishes a signed table over the latest one at `store`, refusing anything but a higher version. */
export async function publishEnvelope(store: PublishedTableStore, envelope: EnvelopeTable): Promise<PublishResult> {
  const { table } = envelope;
  if (store.tableId !== undefined && store.tableId !== table.tableId) {
    throw new CliError('ERR_TABLE_WRONG_ID', `the table's table_id is "${table.tableId}" but ${store.description} holds "${store.tableId}"; routers there would refuse it`);
  }
  const latest = await store.latest();
  if (latest !== undefined && table.version <= latest.version) {
    throw new CliError(
      'ERR_TABLE_STALE_VERSION',
      `version ${table.version} is not higher than the published version ${latest.version}; raise \`version\` in the table (routers only move forward)`,
    );
  }
  // Chunks first: a router that sees the manifest must find every chunk it names.
  const chunksWritten = envelope.chunks === undefined ? undefined : await store.putChunks(chunksNotIn(latest, envelope.chunks, store.description));
  await store.publish({ version: table.version, envelope: envelope.envelopeText.trimEnd() }, latest?.version);
  return {
    location: store.description,
    tableId: table.tableId,
    version: table.version,
    previousVersion: latest?.version ?? null,
    expiresAt: new Date(table.expiresAt!).toISOString(),
    keyids: envelope.keyids,
    ...(envelope.manifest === undefined ? {} : { chunks: envelope.manifest.chunks.length, chunksWritten: chunksWritten ?? 0 }),
  };
}

/**
 * The chunks the latest version does not name. Those it names are stored (written before it) and stay
 * (gc never removes a chunk a retained version names), so a one-route change sends one chunk, not every
 * chunk of the table to be refused by its create-only condition. The others are still written create-only.
 */
function chunksNotIn(latest: PublishedEntry | undefined, chunks: readonly TableChunk[], where: string): readonly TableChunk[] {
  if (latest === undefined) return chunks;
  const stored = new Set(decodePublished(latest.envelope, `${where} version ${latest.version}`).manifest?.chunks.map((ref) => ref.sha256));
  return chunks.filter((chunk) => !stored.has(chunk.ref.sha256));
}

export function register(table: Command, runner: Runner): void {
  table
    .command('publish')
    .description('publish a table as the latest version (conditional: never overwrites a newer one)')
    .argument('<file>', 'routes.toml / JSON table (signed now with --key) or a signed envelope')
    .requiredOption('--to <location>', 'dynamodb://TABLE/ID?region=R[&endpoint=URL], s3://BUCKET/KEY?region=R[&endpoint=URL] or file://PATH')
    .option('--key <file>', 'private signing key, for a routes file (repeatable)', collect)
    .option('--expires <duration>', 'validity when signing here', '7d')
    .option('--regions-file <path>', 'the target environment: its public_keys and table_id are what the routers accept', REGIONS_FILE_NAME)
    .option('--public-key <file>', 'trust these public keys instead of the regions file\'s (routers configured by hand; repeatable)', collect)
    .option('--force', 'publish even if the target routers would refuse the table (no trusted signature)')
    .option('--chunk-above <bytes>', 'publish a table whose signed payload is larger than this as a chunked table', String(CHUNKED_PUBLISH_THRESHOLD_BYTES))
    .action((file: string, flags: PublishFlags, command: Command) =>
      runner(command, (ctx) =>
        run(
          {
            file,
            to: flags.to,
            keys: flags.key ?? [],
            expiresInMs: parseExpiry(flags.expires),
            trust: trustFrom(flags),
            force: flags.force === true,
            chunkAboveBytes: parseChunkAbove(flags.chunkAbove),
          },
          ctx,
        ),
      ),
    );
}

export function parseChunkAbove(value: string): number {
  const bytes = Number(value);
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new UsageError(`--chunk-above: expected a number of bytes, got "${value}"`);
  return bytes;
}

interface PublishFlags {
  to: string;
  key?: string[];
  expires: string;
  regionsFile: string;
  publicKey?: string[];
  force?: boolean;
  chunkAbove: string;
}

/** `--public-key` wins over the regions file; shared with rollback. */
export function trustFrom(flags: { regionsFile: string; publicKey?: string[] }): PublishTrust {
  return flags.publicKey !== undefined && flags.publicKey.length > 0 ? { publicKeys: flags.publicKey } : { regionsFile: flags.regionsFile };
}
