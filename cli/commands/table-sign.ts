// `passagectl table sign FILE --key K --expires 7d [--out ENVELOPE [--chunk-above BYTES]]`: the envelope
// routers accept. Favicon files are inlined; issued_at/expires_at are set from now. Several --key flags
// sign with every key (during a key rotation, so routers trusting either key accept the table). With
// --out, a table over the chunk threshold is written chunked like `publish` would publish it: the
// manifest at ENVELOPE and its chunks in ENVELOPE.chunks/, so a table signed offline can be published
// as is (`table publish ENVELOPE` uploads the chunks it names).

import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { SignedTable } from '../../router/table/envelope.ts';
import { chunkPrefix } from '../../router/table/chunk-keys.ts';
import { CHUNKED_PUBLISH_THRESHOLD_BYTES } from '../../router/table/manifest.ts';
import type { RoutingTable } from '../../router/table/types.ts';
import { CliError, collect, emit, parseExpiry, UsageError, type CliContext, type Runner } from '../context.ts';
import { envelopeText, signDocument, signForPublish } from '../tables/chunked-publish.ts';
import { readTableFile } from '../tables/document.ts';
import { FileTableStore } from '../tables/file-store.ts';
import { parseChunkAbove } from './table-publish.ts';

export { envelopeText, signDocument };

export interface TableSignOptions {
  readonly file: string;
  readonly keys: readonly string[];
  readonly expiresInMs: number;
  /** Write the envelope here instead of stdout. */
  readonly out?: string;
  /** Replaces the document's version (rollback, automation). */
  readonly version?: number;
  /**
   * With `out`: a signed payload larger than this is written as a chunked table, the manifest at `out`
   * and its chunks in `out`.chunks/ (default CHUNKED_PUBLISH_THRESHOLD_BYTES), which `table publish out` uploads as is.
   */
  readonly chunkAboveBytes?: number;
}

/** Reads, validates and signs a routes file; shared by sign, publish and rollback. */
export async function signFile(file: string, keyFiles: readonly string[], expiresInMs: number, now: number, version?: number): Promise<SignedTable> {
  return signDocument(await readUnsigned(file, version), keyFiles, expiresInMs, now, file);
}

/** The document of a routes file, ready to sign (`version` replacing its own); an envelope is refused. */
async function readUnsigned(file: string, version: number | undefined): Promise<Record<string, unknown>> {
  const local = await readTableFile(file);
  if (local.kind === 'envelope') throw new CliError('PASSAGE_ALREADY_SIGNED', `${file} is already a signed envelope; sign the routes file it came from`);
  return version === undefined ? local.document : { ...local.document, version };
}

export async function run(opts: TableSignOptions, ctx: CliContext): Promise<void> {
  if (opts.out === undefined) return signToStdout(opts, ctx);
  const local = await readUnsigned(opts.file, opts.version);
  const signed = await signForPublish(local, opts.keys, opts.expiresInMs, ctx.now(), opts.file, opts.chunkAboveBytes ?? CHUNKED_PUBLISH_THRESHOLD_BYTES);
  // A chunked table: the chunks beside OUT (OUT.chunks/<sha256>.json) before the manifest that names them.
  if (signed.chunks !== undefined) await new FileTableStore(opts.out).putChunks(signed.chunks);
  await writeFile(opts.out, signed.envelopeText, { mode: 0o644 });
  const summary = {
    ...summaryOf(signed.table, signed.keyids, signed.envelopeText),
    out: opts.out,
    ...(signed.chunks === undefined ? {} : { chunks: signed.chunks.length, chunksDir: chunkPrefix(opts.out) }),
  };
  const chunked = summary.chunks === undefined ? '' : `, chunked: ${summary.chunks} chunks in ${summary.chunksDir}`;
  emit(ctx, summary, () => `signed ${summary.tableId}@${summary.version} with ${summary.keyids.join(', ')}, expires ${summary.expiresAt} → ${opts.out}${chunked}\n`);
}

/** The envelope is the output, in --json mode too: it is JSON, ready to pipe. Always one envelope: chunks need a directory (--out). */
async function signToStdout(opts: TableSignOptions, ctx: CliContext): Promise<void> {
  if (opts.chunkAboveBytes !== undefined) throw new UsageError('--chunk-above needs --out FILE: a chunked table is FILE and its chunks in FILE.chunks/');
  const signed = await signFile(opts.file, opts.keys, opts.expiresInMs, ctx.now(), opts.version);
  const text = envelopeText(signed);
  ctx.stdout.write(text);
  const summary = summaryOf(signed.table, signed.envelope.signatures.map((s) => s.keyid), text);
  if (signed.payloadBytes.length > CHUNKED_PUBLISH_THRESHOLD_BYTES) {
    ctx.stderr.write(`passagectl: note: ${summary.tableId}@${summary.version} is one ${summary.bytes}-byte envelope; to publish it to DynamoDB (items up to 400 KB), sign it chunked with --out FILE\n`);
  }
  if (ctx.isTTY) ctx.stderr.write(`signed ${summary.tableId}@${summary.version}, expires ${summary.expiresAt}\n`);
}

function summaryOf(table: RoutingTable, keyids: readonly string[], text: string) {
  return { tableId: table.tableId, version: table.version, expiresAt: new Date(table.expiresAt!).toISOString(), keyids, bytes: Buffer.byteLength(text) };
}

export function register(table: Command, runner: Runner): void {
  table
    .command('sign')
    .description('sign a routes file into an envelope (stdout unless --out)')
    .argument('<file>', 'routes.toml or a JSON table')
    .requiredOption('--key <file>', 'private signing key (repeatable: sign with several keys during a rotation)', collect)
    .requiredOption('--expires <duration>', 'how long routers accept it, like 7d, 12h, 1d12h')
    .option('--out <file>', 'write the envelope here instead of stdout (a big table: chunked, with its chunks in FILE.chunks/)')
    .option('--chunk-above <bytes>', `with --out, write a table whose signed payload is larger than this chunked (default ${CHUNKED_PUBLISH_THRESHOLD_BYTES})`)
    .action((file: string, flags: { key: string[]; expires: string; out?: string; chunkAbove?: string }, command: Command) =>
      runner(command, (ctx) =>
        run(
          {
            file,
            keys: flags.key,
            expiresInMs: parseExpiry(flags.expires),
            ...(flags.out === undefined ? {} : { out: flags.out }),
            ...(flags.chunkAbove === undefined ? {} : { chunkAboveBytes: parseChunkAbove(flags.chunkAbove) }),
          },
          ctx,
        ),
      ),
    );
}
