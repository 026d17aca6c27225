#!/usr/bin/env node
// Entry point of `passagectl`, the operator CLI. The one place that reports a failure: mistakes and
// expected failures (cli/errors.ts classifies them) print one line and exit with the code
// cli/exit-codes.ts maps them to; anything else is a bug and prints its stack.

import { Command, CommanderError } from 'commander';
import { VERSION } from '../router/version.ts';
import { processContext, UsageError, type Runner } from './context.ts';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { classifyError } from './errors.ts';
import * as deploy from './commands/deploy.ts';
import * as dns from './commands/dns.ts';
import * as dev from './commands/dev.ts';
import * as keysGenerate from './commands/keys-generate.ts';
import * as regions from './commands/regions.ts';
import * as schema from './commands/schema.ts';
import * as status from './commands/status.ts';
import * as tableDiff from './commands/table-diff.ts';
import * as tableGc from './commands/table-gc.ts';
import * as tableHistory from './commands/table-history.ts';
import * as tablePublish from './commands/table-publish.ts';
import * as tableRollback from './commands/table-rollback.ts';
import * as tableShow from './commands/table-show.ts';
import * as tableSign from './commands/table-sign.ts';
import * as tableValidate from './commands/table-validate.ts';
import * as waf from './commands/waf.ts';
import * as planSummary from './commands/plan-summary.ts';

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the operation failed (invalid table, bad signature, store unreachable, AWS error)
  2  usage error (unknown flag, missing argument, unsupported location, no TTY without --yes)
  3  table publish: someone published first, nothing was written;
     deploy/dns/waf plan with --detailed-exitcode: changes pending
  4  deploy failed and was rolled back

Docs: docs/TABLES.md (tables, keys, dev), docs/AWS.md (regions, dns, waf, deploy), docs/STATUS.md (status)`;

/** The program; `runner` builds each command's context (main: the process; tests: fakes). */
export function buildProgram(runner: Runner): Command {
  const program = new Command('passagectl')
    .description('Operate a Passage network: signing keys, routing tables, regions, GeoDNS, WAF rules, deploys and a live fleet view')
    .version(VERSION, '-v, --version', "print passagectl's version (before any command)")
    .option('--json', 'machine-readable output (one JSON document on stdout; errors too)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  keysGenerate.register(program, runner);
  schema.register(program, runner);
  const table = program.command('table').description('validate, sign, diff, publish and roll back routing tables');
  tableValidate.register(table, runner);
  tableSign.register(table, runner);
  tableDiff.register(table, runner);
  tablePublish.register(table, runner);
  tableShow.register(table, runner);
  tableHistory.register(table, runner);
  tableRollback.register(table, runner);
  tableGc.register(table, runner);
  dev.register(program, runner);
  status.register(program, runner);
  deploy.register(program, runner);
  regions.register(program, runner);
  dns.register(program, runner);
  waf.register(program, runner);
  planSummary.register(program, runner);
  guardVersionFlag(program);
  // Commander exits on its own by default; we want one exit path (below), and exit 2 for usage errors.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/**
 * Commander reads the program's options anywhere on the line, so `table show --version 1` once printed
 * passagectl's version and exited 0. `--version` after a command is now a usage error that says where
 * each version goes; before any command it prints the version as usual.
 */
function guardVersionFlag(program: Command): void {
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  // Commander's own listener prints and exits; rawArgs and the listener API are untyped but stable.
  const events = program as unknown as { removeAllListeners(event: string): void; on(event: string, fn: () => void): void; rawArgs: readonly string[] };
  events.removeAllListeners('option:version');
  events.on('option:version', () => {
    const args = events.rawArgs;
    const command = args.findIndex((a) => names.has(a));
    const flag = args.findIndex((a) => a === '-v' || a === '--version');
    if (command !== -1 && command < flag) {
      throw new UsageError("-v, --version prints passagectl's own version and goes before the command (npx passagectl --version); for a table version pass the number as an argument (npx passagectl table show --from LOCATION 3)");
    }
    process.stdout.write(`${VERSION}\n`);
    throw new CommanderError(0, 'commander.version', VERSION);
  });
}

/** How a failure is printed: one line on stderr and, under --json, one JSON line on stdout. */
export function reportFailure(err: unknown, json: boolean, out: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } }): number {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help/version, exit code 0).
    if (err.exitCode === 0) return EXIT_OK;
    if (json) out.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'PASSAGE_USAGE', message: err.message.replace(/^error: /, '') } })}\n`);
    return EXIT_USAGE;
  }
  const expected = classifyError(err);
  if (expected !== undefined) {
    if (json) out.stdout.write(`${JSON.stringify({ ok: false, error: { code: expected.code, message: expected.message } })}\n`);
    out.stderr.write(`passagectl: ${expected.message}\n`);
    return expected.exitCode;
  }
  if (json) out.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'PASSAGE_INTERNAL', message: (err as Error)?.message ?? String(err) } })}\n`);
  out.stderr.write(`passagectl: unexpected failure (a bug; please report it)\n${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT_FAILURE;
}

async function main(argv: readonly string[]): Promise<number> {
  const abort = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // First Ctrl-C stops cleanly; a second one means "now".
    if (++interrupts > 1) process.exit(EXIT_INTERRUPTED);
    abort.abort();
  });
  process.on('SIGTERM', () => abort.abort());
  let exitCode = 0;
  const runner: Runner = async (command, action) => {
    const json = command.optsWithGlobals().json === true;
    exitCode = (await action(processContext(json, abort.signal))) ?? 0;
  };
  const program = buildProgram(runner);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (err) {
    return reportFailure(err, json, process);
  }
}

if (import.meta.main) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}
