// Authentication failures, each with a stable code (tests and the `passage_errors_total{kind}` metric use it).

export type AuthErrorCode =
  | 'ERR_AUTH_BAD_SECRET'
  | 'ERR_AUTH_VERIFY_TOKEN'
  | 'ERR_AUTH_NOT_VERIFIED'
  | 'ERR_AUTH_SESSION_TIMEOUT'
  | 'ERR_AUTH_SESSION_UNAVAILABLE'
  | 'ERR_AUTH_BAD_PROFILE';

export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.name = 'AuthError';
  }
}
