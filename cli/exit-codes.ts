// passagectl's exit codes and the one table that maps error kinds to them. `passagectl --help`
// (EXIT_CODES_HELP in main.ts), docs/TABLES.md and docs/OPERATIONS.md describe the same numbers.
// This file imports nothing, so every error class and command can use it.

export const EXIT_OK = 0;
/** The operation failed: an invalid table, a verification failure, an unreachable store, an AWS error. */
export const EXIT_FAILURE = 1;
/** The command line was wrong: unknown flag, missing argument, a URL passagectl cannot use, no TTY without --yes. */
export const EXIT_USAGE = 2;
/** Someone else published first; nothing was written. Re-run `table diff`, then publish a higher version. */
export const EXIT_CONFLICT = 3;
/** `plan` / `deploy --dry-run` with `--detailed-exitcode`: there are changes to apply. */
export const EXIT_CHANGES_PENDING = 3;
/** A deploy failed and was rolled back (CloudFormation, ECS, or `deploy --local`). */
export const EXIT_ROLLED_BACK = 4;
/** A second Ctrl-C: stop now (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * Error kinds, by their stable `code`, that exit with something other than EXIT_FAILURE. Every other
 * expected failure (a PassageError, or an environment problem cli/errors.ts recognizes) exits 1, and
 * so does a bug.
 */
const EXIT_CODE_BY_ERROR_CODE: Readonly<Record<string, number>> = {
  PASSAGE_USAGE: EXIT_USAGE,
  PASSAGE_PUBLISH_CONFLICT: EXIT_CONFLICT,
};

/** The exit code of an expected failure with this error code. */
export function exitCodeForError(code: string): number {
  return Object.hasOwn(EXIT_CODE_BY_ERROR_CODE, code) ? EXIT_CODE_BY_ERROR_CODE[code]! : EXIT_FAILURE;
}
