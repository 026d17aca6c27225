// Command-line mistakes in the bench scripts: one line naming the mistake, the usage, exit code 2.

export interface ArgChecks {
  /** Prints `<script>: <message>` and the usage to stderr and exits with 2. */
  fail(message: string): never;
  /** The option's value as a positive number, `fallback` when it was not given. */
  positive(name: string, value: string | undefined, fallback: number): number;
}

export function argChecks(script: string, usage: string): ArgChecks {
  const fail = (message: string): never => {
    process.stderr.write(`${script}: ${message}\n\n${usage}\n`);
    process.exit(2);
  };
  return {
    fail,
    positive(name, value, fallback) {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) fail(`--${name} expects a positive number, got "${value}"`);
      return n;
    },
  };
}

/**
 * Runs `parse` (a `parseArgs` call): an unknown option or a missing value is one line and the usage
 * on stderr with exit code 2, not a stack.
 */
export function argsOrExit<R>(script: string, usage: string, parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) argChecks(script, usage).fail((err as Error).message);
    throw err;
  }
}
