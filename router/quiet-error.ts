import { PassageError, type PassageErrorOptions } from './errors.ts';

/**
 * Base of the errors peers cause in normal operation (malformed packets, bad PROXY headers, failed
 * logins): they carry no stack, so a flood of them costs neither stack captures nor log volume.
 * Subclasses add a stable `code` that tests and the `passage_errors_total{kind}` metric use.
 */
export abstract class QuietError extends PassageError {
  constructor(message: string, options?: Omit<PassageErrorOptions, 'quiet'>) {
    super(message, { ...options, quiet: true });
  }
}
