// Authentication failures, each with a stable code (tests and the `passage_errors_total{kind}` metric use it).

import { QuietError } from '../quiet-error.ts';

export type AuthErrorCode =
  | 'ERR_AUTH_BAD_SECRET'
  | 'ERR_AUTH_VERIFY_TOKEN'
  | 'ERR_AUTH_NOT_VERIFIED'
  | 'ERR_AUTH_SESSION_TIMEOUT'
  | 'ERR_AUTH_SESSION_UNAVAILABLE'
  | 'ERR_AUTH_BAD_PROFILE';

export class AuthError extends QuietError {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'AuthError';
  }
}
