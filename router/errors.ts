// The one base of every error Passage raises on purpose, as undici's lib/core/errors.js is for undici.
// Each area keeps its own classes in its own errors file (protocol/, proxy/, relay/, auth/, table/,
// adapters/, config/, routing/sources/, cli/, cli/aws/…), each with a stable `code` that tests, logs,
// metrics and `--json` output pin. Code that must tell an expected failure from a bug asks
// `instanceof PassageError` (or the area's class), never the shape of the code string.

export interface PassageErrorOptions extends ErrorOptions {
  /**
   * No stack: for the errors peers cause in normal operation (malformed packets, bad PROXY headers,
   * failed logins, backends that are down), so a flood of them costs neither stack captures nor log volume.
   */
  readonly quiet?: boolean;
}

export abstract class PassageError extends Error {
  /** Stable across releases; subclasses narrow it to their area's codes. */
  abstract readonly code: string;

  constructor(message: string, options?: PassageErrorOptions) {
    const limit = Error.stackTraceLimit;
    if (options?.quiet === true) Error.stackTraceLimit = 0;
    // Error reads only `cause` from its options.
    super(message, options);
    Error.stackTraceLimit = limit;
  }
}

export function isPassageError(err: unknown): err is PassageError {
  return err instanceof PassageError;
}
