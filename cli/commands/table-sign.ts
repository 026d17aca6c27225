// `passagectl table sign FILE --key K --expires 7d [--out ENVELOPE]`: the envelope routers accept.
// Favicon files are inlined; issued_at/expires_at are set from now. Several --key flags sign with
// every key (during a key rotation, so routers trusting either key accept the table).

import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { signTable, type SignedTable } from '../../router/table/envelope.ts';
import { readPrivateKeyFile } from '../../router/table/keys.ts';
import { TableError } from '../../router/table/errors.ts';
import { CliError, collect, emit, parseExpiry, UsageError, type CliContext, type Runner } from '../context.ts';
import { readTableFile } from '../tables/document.ts';

export interface TableSignOptions {
  readonly file: string;
  readonly keys: readonly string[];
  readonly expiresInMs: number;
  /** Write the envelope here instead of stdout. */
  readonly out?: string;
  /** Replaces the document's version (rollback, automation). */
  readonly version?: number;
}

/** Reads, validates and signs a routes file; shared by sign, publish and rollback. */
export async function signFile(file: string, keyFiles: readonly string[], expiresInMs: number, now: number, version?: number): Promise<SignedTable> {
  const local = await readTableFile(file);
  if (local.kind === 'envelope') throw new CliError('PASSAGE_ALREADY_SIGNED', `${file} is already a signed envelope; sign the routes file it came from`);
  return signDocument(version === undefined ? local.document : { ...local.document, version }, keyFiles, expiresInMs, now, file);
}

export async function signDocument(document: Record<string, unknown>, keyFiles: readonly string[], expiresInMs: number, now: number, name: string): Promise<SignedTable> {
  if (keyFiles.length === 0) throw new UsageError('--key is required to sign (the private key from `npx passagectl keys generate`)');
  const keys = await Promise.all(keyFiles.map((k) => readPrivateKeyFile(k)));
  try {
    return signTable(document, keys, { expiresInMs, now });
  } catch (err) {
    if (err instanceof TableError) throw new CliError(err.code, `${name}: ${err.message}`);
    throw err;
  }
}

export function envelopeText(signed: SignedTable): string {
  return `${JSON.stringify(signed.envelope)}\n`;
}

export async function run(opts: TableSignOptions, ctx: CliContext): Promise<void> {
  const signed = await signFile(opts.file, opts.keys, opts.expiresInMs, ctx.now(), opts.version);
  const text = envelopeText(signed);
  const summary = {
    tableId: signed.table.tableId,
    version: signed.table.version,
    expiresAt: new Date(signed.table.expiresAt!).toISOString(),
    keyids: signed.envelope.signatures.map((s) => s.keyid),
    bytes: Buffer.byteLength(text),
  };
  if (opts.out === undefined) {
    // The envelope is the output, in --json mode too: it is JSON, ready to pipe.
    ctx.stdout.write(text);
    if (ctx.isTTY) ctx.stderr.write(`signed ${summary.tableId}@${summary.version}, expires ${summary.expiresAt}\n`);
    return;
  }
  await writeFile(opts.out, text, { mode: 0o644 });
  emit(ctx, { ...summary, out: opts.out }, () => `signed ${summary.tableId}@${summary.version} with ${summary.keyids.join(', ')}, expires ${summary.expiresAt} → ${opts.out}\n`);
}

export function register(table: Command, runner: Runner): void {
  table
    .command('sign')
    .description('sign a routes file into an envelope (stdout unless --out)')
    .argument('<file>', 'routes.toml or a JSON table')
    .requiredOption('--key <file>', 'private signing key (repeatable: sign with several keys during a rotation)', collect)
    .requiredOption('--expires <duration>', 'how long routers accept it, like 7d, 12h, 1d12h')
    .option('--out <file>', 'write the envelope here instead of stdout')
    .action((file: string, flags: { key: string[]; expires: string; out?: string }, command: Command) =>
      runner(command, (ctx) =>
        run({ file, keys: flags.key, expiresInMs: parseExpiry(flags.expires), ...(flags.out === undefined ? {} : { out: flags.out }) }, ctx),
      ),
    );
}
