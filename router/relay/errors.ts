// Every way a relay can fail, each with a stable code that logs, metrics and tests pin.
// Backends being down is routine operation, so these errors carry no stack either.

import { QuietError } from '../quiet-error.ts';

export type RelayErrorCode =
  | 'ERR_RELAY_CONNECT_TIMEOUT'
  | 'ERR_RELAY_CONNECT_FAILED'
  | 'ERR_RELAY_NO_TARGET'
  | 'ERR_RELAY_CLIENT_GONE'
  | 'ERR_RELAY_STATUS_INVALID'
  | 'ERR_RELAY_STATUS_TIMEOUT'
  | 'ERR_RELAY_STATUS_BUSY';

/** One target that did not accept a connection, and why. */
export interface FailedAttempt {
  readonly target: string;
  readonly code: RelayErrorCode;
}

export class RelayError extends QuietError {
  readonly code: RelayErrorCode;
  /** For ERR_RELAY_NO_TARGET: every target tried, in order. */
  readonly attempts: readonly FailedAttempt[];

  constructor(code: RelayErrorCode, message: string, attempts: readonly FailedAttempt[] = []) {
    super(message);
    this.code = code;
    this.attempts = attempts;
    this.name = 'RelayError';
  }
}
