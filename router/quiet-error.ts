/**
 * Base of the errors peers cause in normal operation (malformed packets, bad PROXY headers, failed
 * logins): they carry no stack, so a flood of them costs neither stack captures nor log volume.
 * Subclasses add a stable `code` that tests and the `passage_errors_total{kind}` metric use.
 */
export class QuietError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
