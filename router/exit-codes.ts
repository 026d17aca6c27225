// The `passage` process's exit codes and the one table that maps start-up failures to them (main.ts
// prints and exits; nothing else does). `passage --help` and README's "Running it" list the same numbers.

import { CookieSecretError } from './auth/cookie.ts';
import { ConfigError } from './config/load.ts';
import { MessagesFileError } from './messages/file.ts';
import { TableFileError } from './routing/file-source.ts';
import { TableKeyError } from './table/errors.ts';

/** Stopped cleanly (a drain after SIGTERM/SIGINT, --help, --version). */
export const EXIT_OK = 0;
/** A runtime failure: a port that cannot be bound, a second signal during the drain, a bug. */
export const EXIT_RUNTIME = 1;
/** The operator's own files are wrong: usage, passage.toml, the routes file, keys, secrets, messages. */
export const EXIT_CONFIG = 2;

export interface StartupFailure {
  readonly exitCode: number;
  /** What to print after `passage: ` (a heading line, then the error's own message). */
  readonly message: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Expected start-up failures by kind; the first match wins. */
const KINDS: readonly (readonly [ErrorClass, number, string])[] = [
  [ConfigError, EXIT_CONFIG, 'invalid configuration'],
  [TableFileError, EXIT_CONFIG, 'invalid routing table'],
  [TableKeyError, EXIT_CONFIG, 'invalid table.public_keys'],
  [CookieSecretError, EXIT_CONFIG, 'invalid configuration'],
  [MessagesFileError, EXIT_CONFIG, 'invalid configuration'],
];

/** What main.ts prints and exits with when loading the config or starting failed; undefined for a bug. */
export function startupFailure(err: unknown): StartupFailure | undefined {
  for (const [kind, exitCode, heading] of KINDS) {
    if (err instanceof kind) return { exitCode, message: `${heading}\n${err.message}` };
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') return { exitCode: EXIT_RUNTIME, message: `cannot listen: ${(err as Error).message}` };
  return undefined;
}
