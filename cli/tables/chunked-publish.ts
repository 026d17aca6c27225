// Which format a publish writes: a table whose signed payload is larger than the threshold (default
// CHUNKED_PUBLISH_THRESHOLD_BYTES) becomes a chunked table, a signed manifest plus content-addressed
// chunks (router/table/manifest.ts), so it fits DynamoDB items and a one-route change re-sends one chunk.

import { signTable, type SignedTable } from '../../router/table/envelope.ts';
import { TableError } from '../../router/table/errors.ts';
import { readPrivateKeyFile } from '../../router/table/keys.ts';
import { signChunkedTable, TABLE_MANIFEST_PAYLOAD_TYPE } from '../../router/table/manifest.ts';
import { CliError, UsageError } from '../context.ts';
import { decodePublished, type EnvelopeTable } from './document.ts';

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

/** Signs `document` for publishing: one envelope when its payload is at most `chunkAboveBytes`, else a chunked table. */
export async function signForPublish(
  document: Record<string, unknown>,
  keyFiles: readonly string[],
  expiresInMs: number,
  now: number,
  name: string,
  chunkAboveBytes: number,
): Promise<EnvelopeTable> {
  const signed = await signDocument(document, keyFiles, expiresInMs, now, name);
  if (signed.payloadBytes.length <= chunkAboveBytes) return decodePublished(envelopeText(signed), name);
  const keys = await Promise.all(keyFiles.map((k) => readPrivateKeyFile(k)));
  let chunked;
  try {
    // The signed document already carries issued_at and expires_at: the manifest states the same.
    chunked = signChunkedTable(signed.document, keys);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_TABLE')) throw new CliError(code, `${name}: ${(err as Error).message}`);
    throw err;
  }
  return {
    kind: 'envelope',
    envelopeText: `${JSON.stringify(chunked.envelope)}\n`,
    document: chunked.document,
    table: chunked.table,
    keyids: chunked.envelope.signatures.map((s) => s.keyid),
    manifest: chunked.manifest,
    chunks: chunked.chunks,
  };
}

export function isChunked(envelope: EnvelopeTable): boolean {
  return envelope.manifest !== undefined || envelope.envelopeText.includes(TABLE_MANIFEST_PAYLOAD_TYPE);
}
