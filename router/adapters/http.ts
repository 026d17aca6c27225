// HTTP adapters. Discovery: GET `url` answers `{ "targets": [ { "id", "address", "priority", "meta" } ] }`
// (or the bare array), revalidated with ETag / If-None-Match. Status: GET `url` answers the keys of
// `[routes.status]` plus `online_players`. URLs may carry a token in their query: messages (and so the
// warn log and /status) show them redacted.
import { redactUrl } from '../redact-url.ts';
import type { AdaptedStatus } from '../routing/adapter-hook.ts';
import type { Target } from '../table/types.ts';
import { MAX_ADAPTER_RESPONSE_BYTES, parseAdaptedStatus, parseJson, parseTargets, readBodyCapped } from './documents.ts';
import { AdapterError, fetchError } from './errors.ts';
import { NOT_MODIFIED } from './refresher.ts';
import type { Fetcher } from './adapter.ts';

const ACCEPT_JSON = { accept: 'application/json' };

async function getJson(url: string, signal: AbortSignal, timeoutMs: number, etag: string | undefined): Promise<{ body: unknown; etag: string | undefined } | typeof NOT_MODIFIED> {
  const what = `GET ${redactUrl(url)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'error', headers: etag === undefined ? ACCEPT_JSON : { ...ACCEPT_JSON, 'if-none-match': etag } });
  } catch (err) {
    throw fetchError(err, what, timeoutMs);
  }
  if (res.status === 304 && etag !== undefined) {
    await res.body?.cancel();
    return NOT_MODIFIED;
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new AdapterError('ERR_ADAPTER_HTTP_STATUS', `${what}: HTTP ${res.status}`);
  }
  let text: string;
  try {
    text = await readBodyCapped(res, MAX_ADAPTER_RESPONSE_BYTES, what);
  } catch (err) {
    throw fetchError(err, what, timeoutMs);
  }
  return { body: parseJson(text, what), etag: res.headers.get('etag') ?? undefined };
}

/** Targets from an HTTP endpoint; the ETag of the last good answer is sent back as If-None-Match. */
export function httpTargets(url: string, timeoutMs: number): Fetcher<Target[]> {
  let etag: string | undefined;
  return async (signal) => {
    const answer = await getJson(url, signal, timeoutMs, etag);
    if (answer === NOT_MODIFIED) return NOT_MODIFIED;
    const doc = answer.body as { targets?: unknown } | unknown[];
    const targets = parseTargets(Array.isArray(doc) ? doc : (doc as { targets?: unknown } | null)?.targets, `GET ${redactUrl(url)}`);
    // Only a validated answer's ETag is kept: a bad answer must be fetched in full next time.
    etag = answer.etag;
    return targets;
  };
}

export function httpStatus(url: string, timeoutMs: number): Fetcher<AdaptedStatus> {
  let etag: string | undefined;
  return async (signal) => {
    const answer = await getJson(url, signal, timeoutMs, etag);
    if (answer === NOT_MODIFIED) return NOT_MODIFIED;
    const status = parseAdaptedStatus(answer.body, `GET ${redactUrl(url)}`);
    etag = answer.etag;
    return status;
  };
}
