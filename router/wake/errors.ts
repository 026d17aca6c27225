// Every way waking a sleeping target fails, each with a stable code that metrics label and tests pin.
// A failed wake ends the waiting players' logins with a message; the router keeps serving everyone else.

import { PassageError } from '../errors.ts';

export type WakeErrorCode =
  /** The scale API refused the router's credentials (HTTP 401/403, ECS AccessDenied). */
  | 'ERR_WAKE_FORBIDDEN'
  /** The resource to scale does not exist (HTTP 404, ECS ServiceNotFound / ClusterNotFound). */
  | 'ERR_WAKE_NOT_FOUND'
  /** The scale API did not answer within the wake's `timeout`. */
  | 'ERR_WAKE_API_TIMEOUT'
  /** Any other API failure: unreachable, another HTTP status, an answer without the replica count. */
  | 'ERR_WAKE_API'
  /** passage.toml does not allow the API server the table names (the router's token would go there). */
  | 'ERR_WAKE_NOT_ALLOWED'
  /** The target was scaled but did not answer a status ping within `wake_timeout`. */
  | 'ERR_WAKE_NOT_READY';

export class WakeError extends PassageError {
  readonly code: WakeErrorCode;

  constructor(code: WakeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WakeError';
    this.code = code;
  }
}

/** The stable code of anything a scale call threw. */
export function wakeErrorCode(err: unknown): WakeErrorCode {
  if (err instanceof WakeError) return err.code;
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' ? 'ERR_WAKE_API_TIMEOUT' : 'ERR_WAKE_API';
}

/** An HTTP status from a scale API as a WakeError. */
export function httpStatusError(status: number, what: string): WakeError {
  if (status === 401 || status === 403) return new WakeError('ERR_WAKE_FORBIDDEN', `${what}: HTTP ${status} (the router's credentials may not scale this resource)`);
  if (status === 404) return new WakeError('ERR_WAKE_NOT_FOUND', `${what}: HTTP 404 (no such resource)`);
  return new WakeError('ERR_WAKE_API', `${what}: HTTP ${status}`);
}
