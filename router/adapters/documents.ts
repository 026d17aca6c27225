// What adapters answer (targets, a status) is validated with the routing-table schema itself, so a
// discovered target obeys exactly the rules of a target written in a table.
import { PNG_DATA_URI_PREFIX, parseRoutingTable } from '../table/schema.ts';
import { TableValidationError } from '../table/errors.ts';
import { MAX_FAVICON_URI_CHARS } from '../table/bounds.ts';
import { checkFaviconDataUri } from '../table/favicon.ts';
import type { AdaptedStatus } from '../routing/adapter-hook.ts';
import type { Target } from '../table/types.ts';
import { AdapterError } from './errors.ts';

/** A route holds at most this many discovered targets: every login filters them. */
export const MAX_DISCOVERED_TARGETS = 10_000;
/** An adapter answer over HTTP is read up to this many bytes. */
export const MAX_ADAPTER_RESPONSE_BYTES = 4 * 1024 * 1024;

function problems(err: unknown, prefix: string): string {
  if (!(err instanceof TableValidationError)) throw err;
  return err.problems.slice(0, 5).map((p) => `${p.path.replace(prefix, '')}: ${p.message}`).join('; ');
}

/** Validates target documents (`{ id, address, priority?, meta? }`) as a table's `targets` would be. */
export function parseTargets(raw: unknown, what: string): Target[] {
  if (Array.isArray(raw) && raw.length > MAX_DISCOVERED_TARGETS) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: ${raw.length} targets, the limit is ${MAX_DISCOVERED_TARGETS}`);
  }
  try {
    return [...parseRoutingTable({ table_id: 'adapter', version: 0, routes: [{ id: 'adapter', hosts: ['*'], targets: raw }] }, { origin: 'remote' }).routes[0].targets];
  } catch (err) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: invalid targets: ${problems(err, 'routes[0].targets')}`);
  }
}

/**
 * Validates a status document: the keys of a table's `[routes.status]` plus `online_players`, with a
 * table's bounds (MOTD, version name, a 64×64 PNG favicon of at most 64 KiB, the status JSON as a
 * whole). A favicon must be a data URI here (an adapter has no files next to the table).
 */
export function parseAdaptedStatus(raw: unknown, what: string): AdaptedStatus {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: expected a JSON object`);
  const { online_players: online, ...status } = raw as Record<string, unknown>;
  if (online !== undefined && (typeof online !== 'number' || !Number.isInteger(online) || online < 0 || online > 2 ** 31 - 1)) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: online_players must be a non-negative integer`);
  }
  if (status.favicon !== undefined && !(typeof status.favicon === 'string' && status.favicon.startsWith(PNG_DATA_URI_PREFIX))) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: favicon must be a ${PNG_DATA_URI_PREFIX} URI`);
  }
  if (typeof status.favicon === 'string' && status.favicon.length <= MAX_FAVICON_URI_CHARS) {
    // The same check as a table's favicon: a 64×64 PNG of at most 64 KiB (longer URIs the schema refuses).
    try {
      checkFaviconDataUri(status.favicon, 'favicon');
    } catch (err) {
      throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: ${(err as Error).message}`);
    }
  }
  try {
    const parsed = parseRoutingTable({ table_id: 'adapter', version: 0, routes: [{ id: 'adapter', hosts: ['*'], status }] }, { origin: 'remote' }).routes[0].status;
    return online === undefined ? { status: parsed } : { status: parsed, online };
  } catch (err) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: invalid status: ${problems(err, 'routes[0].status.')}`);
  }
}

/** Reads a fetch body up to `limit` bytes, refusing a larger one without buffering it. */
export async function readBodyCapped(res: Response, limit: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel();
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: body of ${declared} bytes, the limit is ${limit}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body === null) return '';
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > limit) {
      await res.body.cancel().catch(() => {});
      throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: body over the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${what}: not JSON (${(err as Error).message})`);
  }
}
