#!/usr/bin/env node
// Entry point of the `passage` router: read the config, start, stop on signals. The only place that exits.
import { parseArgs } from 'node:util';
import { loadConfigFile } from './config/load.ts';
import type { PassageConfig } from './config/schema.ts';
import { startPassage, createLogger } from './app.ts';
import { EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME, startupFailure } from './exit-codes.ts';
import { VERSION } from './version.ts';
import { listeningField } from './contracts/listening.ts';

const HELP = `Usage: passage [--config FILE]

A stateless Minecraft Java transfer router.

Options:
  -c, --config FILE   router settings (default: passage.toml)
  -h, --help          show this help
  -v, --version       print the version

Exit codes: 0 stopped cleanly, 1 runtime failure, 2 bad configuration or usage.
Docs: README.md, docs/CONFIGURATION.md`;

function fail(code: number, message: string): never {
  process.stderr.write(`passage: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c', default: 'passage.toml' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    });
  } catch (err) {
    fail(EXIT_CONFIG, `${(err as Error).message}\n\n${HELP}`);
  }
  if (args.values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (args.values.version) {
    process.stdout.write(`passage ${VERSION}\n`);
    return;
  }
  let config: PassageConfig;
  try {
    config = loadConfigFile(args.values.config as string);
  } catch (err) {
    const failure = startupFailure(err);
    if (failure !== undefined) fail(failure.exitCode, failure.message);
    throw err;
  }
  const log = createLogger(config);
  if (config.workers > 1) {
    await supervise(config, log);
    return;
  }
  let running;
  try {
    running = await startPassage(config, { log });
  } catch (err) {
    const failure = startupFailure(err);
    if (failure !== undefined) fail(failure.exitCode, failure.message);
    throw err;
  }
  const { address, adminAddress } = running;
  const table = running.router.ctx.tables.current?.table;
  log.info(
    {
      address: `${address.address}:${address.port}`,
      admin: `http://${adminAddress.address}:${adminAddress.port}`,
      table: table && `${table.tableId}@${table.version}`,
      auth: config.auth.mode,
      // Parsed by tools that start routers on port 0 (router/contracts/listening.ts).
      ...listeningField(address, adminAddress),
    },
    `passage ${VERSION} listening on ${address.address}:${address.port}; admin on http://${adminAddress.address}:${adminAddress.port}/status`,
  );

  stopOnSignals(log, running, { drainSeconds: config.drainTimeoutMs / 1000 }, 'draining: no new connections, finishing logins in flight');
}

/** SIGTERM/SIGINT drain and exit 0; a second signal exits at once. */
function stopOnSignals(log: ReturnType<typeof createLogger>, running: { stop(): Promise<unknown> }, fields: object, message: string): void {
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(EXIT_RUNTIME);
    }
    stopping = true;
    log.info({ signal, ...fields }, message);
    const cut = await running.stop();
    log.info({ cut }, 'stopped');
    process.exit(EXIT_OK);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** `workers > 1`: this process polls the table, serves the admin port and runs N workers (router/workers/). */
async function supervise(config: PassageConfig, log: ReturnType<typeof createLogger>): Promise<void> {
  const { startSupervisor, WorkerStartError } = await import('./workers/supervisor.ts');
  let running;
  try {
    running = await startSupervisor(config, { log });
  } catch (err) {
    const failure = err instanceof WorkerStartError ? err.failure ?? { exitCode: EXIT_RUNTIME, message: err.message } : startupFailure(err);
    if (failure !== undefined) fail(failure.exitCode, failure.message);
    throw err;
  }
  const { address, adminAddress } = running;
  const table = running.tables.current?.table;
  log.info(
    {
      address: `${address.address}:${address.port}`,
      admin: `http://${adminAddress.address}:${adminAddress.port}`,
      table: table && `${table.tableId}@${table.version}`,
      auth: config.auth.mode,
      workers: running.slots.map((s) => s.pid),
      ...listeningField(address, adminAddress),
    },
    `passage ${VERSION} listening on ${address.address}:${address.port} with ${config.workers} workers; admin on http://${adminAddress.address}:${adminAddress.port}/status`,
  );
  stopOnSignals(log, running, { drainSeconds: config.drainTimeoutMs / 1000, workers: config.workers }, 'draining all workers: no new connections, finishing logins in flight');
}

main().catch((err: unknown) => {
  process.stderr.write(`passage: unexpected failure\n${(err as Error).stack ?? String(err)}\n`);
  process.exit(EXIT_RUNTIME);
});
