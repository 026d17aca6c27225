// Every way an adapter call fails, each with a stable code that metrics label and tests pin. A failed
// call never reaches a player: the adapter keeps serving its last good result.

import { PassageError } from '../errors.ts';

export type AdapterErrorCode =
  /** No answer within the adapter's `timeout`. */
  | 'ERR_ADAPTER_TIMEOUT'
  /** Could not reach the endpoint (connection refused, reset, DNS failure of the endpoint itself). */
  | 'ERR_ADAPTER_UNAVAILABLE'
  /** An HTTP answer other than 200 (or 304 where an ETag was sent). */
  | 'ERR_ADAPTER_HTTP_STATUS'
  /** An answer that is not what the adapter contract says (bad JSON, invalid targets, too large). */
  | 'ERR_ADAPTER_BAD_RESPONSE'
  /** The DNS query failed (NXDOMAIN, SERVFAIL, no records). */
  | 'ERR_ADAPTER_DNS'
  /** A gRPC call ended with a status other than OK (the status name is in the message). */
  | 'ERR_ADAPTER_GRPC'
  /** The Kubernetes watch stream broke or reported an error; the adapter lists again. */
  | 'ERR_ADAPTER_WATCH'
  /** Agones answered a GameServerAllocation with `UnAllocated`: no Ready GameServer matches the selectors. */
  | 'ERR_ADAPTER_NO_CAPACITY'
  /**
   * passage.toml does not allow the endpoint the table names (plain http to a host not in
   * `[adapters] allow_plain_http`, a Kubernetes api_url not in `[adapters.kubernetes] api_urls`).
   * The adapter never starts; the route serves its own targets and status.
   */
  | 'ERR_ADAPTER_NOT_ALLOWED';

export class AdapterError extends PassageError {
  readonly code: AdapterErrorCode;

  constructor(code: AdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterError';
    this.code = code;
  }
}

/** The stable code of anything an adapter call threw. */
export function adapterErrorCode(err: unknown): string {
  if (err instanceof AdapterError) return err.code;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'ERR_ADAPTER_TIMEOUT';
  return 'ERR_ADAPTER_UNAVAILABLE';
}

/** Turns a fetch failure into an AdapterError; aborts by the adapter's own timeout become ERR_ADAPTER_TIMEOUT. */
export function fetchError(err: unknown, what: string, timeoutMs: number): AdapterError {
  if (err instanceof AdapterError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new AdapterError('ERR_ADAPTER_TIMEOUT', `${what}: no answer within ${timeoutMs}ms`, { cause: err });
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  return new AdapterError('ERR_ADAPTER_UNAVAILABLE', `${what}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
}
