// Every way a peer's bytes can be wrong, each with a stable code that tests and metrics pin.
// These errors are expected in normal operation (scanners, broken clients), so they carry no stack:
// a flood of malformed connections must not allocate stack traces or flood the log.

import { QuietError } from '../quiet-error.ts';

export type ProtocolErrorCode =
  | 'ERR_VARINT_TOO_LONG'
  | 'ERR_TRUNCATED'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_FRAME_EMPTY'
  | 'ERR_STRING_TOO_LONG'
  | 'ERR_BAD_LENGTH'
  | 'ERR_TRAILING_BYTES'
  | 'ERR_UNKNOWN_PACKET'
  | 'ERR_BAD_VALUE'
  | 'ERR_UNEXPECTED_PACKET';

export class ProtocolError extends QuietError {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'ProtocolError';
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}

/**
 * A value we were about to send does not fit its field (a String(n), an NBT string, a frame). It comes
 * from a table, an adapter or a message template, never from the peer, so the schema should have
 * refused it; the encoder checks again so that one bad value fails one connection, never the process.
 */
export class EncodeError extends QuietError {
  readonly code = 'ERR_ENCODE_LIMIT';
  /** The field, e.g. "status JSON". */
  readonly what: string;
  readonly limit: number;
  readonly value: number;

  constructor(what: string, value: number, limit: number, unit = 'characters') {
    super(`${what}: ${value} ${unit}, limit ${limit}`);
    this.name = 'EncodeError';
    this.what = what;
    this.limit = limit;
    this.value = value;
  }
}
