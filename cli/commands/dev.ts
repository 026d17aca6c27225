// `passagectl dev`: the whole control-plane loop on one machine. An in-memory DynamoDB on loopback,
// a throwaway signing key, the example routes.toml signed and published, and a router polling it, so
// `passagectl table publish` against the printed location changes what a connecting client sees.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pino } from 'pino';
import { startPassage, type RunningPassage } from '../../router/app.ts';
import { buildConfig } from '../../router/config/load.ts';
import { writeKeyPair } from '../../router/table/keys.ts';
import { emit, type CliContext, type Runner, UsageError } from '../context.ts';
import { decodePublished, readTableFile } from '../tables/document.ts';
import { createRoutingTableStore, startLocalDynamoDb } from '../tables/local-dynamodb.ts';
import { openStore } from '../tables/store.ts';
import { publishEnvelope } from './table-publish.ts';
import { envelopeText, signFile } from './table-sign.ts';

export const DEFAULT_ROUTES = fileURLToPath(new URL('../../routes.toml', import.meta.url));
const DEV_TABLE = 'passage';
const DEV_REGION = 'local';

export interface DevOptions {
  readonly routes: string;
  readonly port: number;
  readonly adminPort: number;
  readonly pollIntervalMs: number;
  readonly online: boolean;
  readonly logLevel: string;
}

export interface DevEnvironment extends AsyncDisposable {
  readonly router: RunningPassage;
  readonly endpoint: string;
  /** `dynamodb://…` to pass to `passagectl table publish --to`. */
  readonly location: string;
  readonly keyFile: string;
  /** The throwaway key's public half: the only key the dev router trusts (`table publish --public-key`). */
  readonly publicKeyFile: string;
  readonly tableId: string;
  /** Stops the router at once, then the in-memory DynamoDB, and removes the temporary folder; disposal does the same. */
  stop(): Promise<void>;
}

export async function startDev(opts: DevOptions, ctx: CliContext): Promise<DevEnvironment> {
  const local = await readTableFile(opts.routes);
  const tableId = local.table.tableId;
  // Disposed last in, first out: the router, then the database it polls, then the folder both use.
  const stack = new AsyncDisposableStack();
  try {
    const dir = await mkdtemp(join(tmpdir(), 'passage-dev-'));
    stack.defer(() => rm(dir, { recursive: true, force: true }));
    const db = stack.use(await startLocalDynamoDb());
    const client = ctx.clients.dynamodb({ region: DEV_REGION, endpoint: db.endpoint });
    await createRoutingTableStore(client, DEV_TABLE);
    const keys = await writeKeyPair(join(dir, 'keys'));
    const location = `dynamodb://${DEV_TABLE}/${tableId}?region=${DEV_REGION}&endpoint=${db.endpoint}`;
    const store = openStore({ kind: 'dynamodb', table: DEV_TABLE, tableId, region: DEV_REGION, endpoint: db.endpoint }, ctx);
    const signed = await signFile(opts.routes, [keys.privateKeyPath], 86_400_000, ctx.now());
    await publishEnvelope(store, decodePublished(envelopeText(signed), opts.routes));
    const config = buildConfig(
      {
        address: `127.0.0.1:${opts.port}`,
        admin: { address: `127.0.0.1:${opts.adminPort}` },
        auth: { mode: opts.online ? 'online' : 'offline' },
        table: {
          source: 'dynamodb',
          dynamodb: { table: DEV_TABLE, id: tableId, region: DEV_REGION, endpoint: db.endpoint },
          public_keys: [keys.publicKeyPath],
          poll_interval: `${opts.pollIntervalMs}ms`,
          cache_file: join(dir, 'table-cache.json'),
        },
        // Heartbeats go to the partition of this region, the one `status --table-store <location>` reads.
        fleet: { region: DEV_REGION },
        log: { level: opts.logLevel },
      },
      join(dir, 'passage.toml'),
    );
    // Logs to stderr, so stdout stays the instructions (or the --json document).
    const running = await startPassage(config, { log: pino({ level: opts.logLevel }, pino.destination({ fd: 2, sync: true })) });
    stack.defer(async () => {
      await running.stop(0);
    });
    // Print "connect now" only once the table is in: the router starts before its first poll answers.
    await running.poller.pollOnce();
    const owned = stack.move();
    const stop = (): Promise<void> => owned.disposeAsync();
    return {
      router: running,
      endpoint: db.endpoint,
      location,
      keyFile: keys.privateKeyPath,
      publicKeyFile: keys.publicKeyPath,
      tableId,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}

export async function run(opts: DevOptions, ctx: CliContext): Promise<void> {
  const env = await startDev(opts, ctx);
  const { address, adminAddress } = env.router;
  const info = {
    router: `${address.address}:${address.port}`,
    admin: `http://${adminAddress.address}:${adminAddress.port}`,
    dynamodb: env.endpoint,
    location: env.location,
    key: env.keyFile,
    publicKey: env.publicKeyFile,
    tableId: env.tableId,
    /** The command that publishes an edited routes file, exactly as printed (run it in this repository). */
    publish: publishCommand(opts.routes, env),
  };
  emit(ctx, info, () =>
    [
      `passage dev: router on ${info.router} (${opts.online ? 'online' : 'offline'} mode), status at ${info.admin}/status`,
      `  in-memory DynamoDB at ${info.dynamodb}, table "${DEV_TABLE}", routing table "${env.tableId}" (signed with a throwaway key)`,
      '',
      `  connect: add localhost:${address.port} to the Minecraft server list (1.20.5+)`,
      `  change routes: edit ${opts.routes}, raise its version, then`,
      `    ${info.publish}`,
      `  the router picks it up within ${opts.pollIntervalMs / 1000}s. Ctrl-C stops everything.`,
      '',
    ].join('\n'),
  );
  if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  await env.stop();
  if (!ctx.json) ctx.stdout.write('passage dev: stopped\n');
}

/** POSIX-shell quoting: temp paths and the dynamodb:// location (with `?` and `&`) survive copy and paste. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `npx passagectl …`, not `passagectl …`: the bin is not on PATH, and npx runs it with the project's Node. */
export function publishCommand(routes: string, env: Pick<DevEnvironment, 'location' | 'keyFile' | 'publicKeyFile'>): string {
  const words = ['npx', 'passagectl', 'table', 'publish', routes, '--to', env.location, '--key', env.keyFile, '--public-key', env.publicKeyFile, '--expires', '1d'];
  return words.map(shellWord).join(' ');
}

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: expected a port from 0 to 65535, got "${text}"`);
  return n;
}

export function register(program: Command, runner: Runner): void {
  program
    .command('dev')
    .description('run DynamoDB (in memory), a signed example table and a router on this machine')
    .option('--routes <file>', 'the routes file to sign and publish', DEFAULT_ROUTES)
    .option('--port <port>', 'where players connect', '25565')
    .option('--admin-port <port>', 'the admin endpoints', '9565')
    .option('--poll-interval <ms>', 'how often the router polls, in milliseconds', '2000')
    .option('--online', 'authenticate players with Mojang (default: offline mode, development only)')
    .option('--log-level <level>', 'router log level (to stderr)', 'info')
    .action((flags: { routes: string; port: string; adminPort: string; pollInterval: string; online?: boolean; logLevel: string }, command: Command) =>
      runner(command, (ctx) => {
        const pollIntervalMs = Number(flags.pollInterval);
        if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 100) throw new UsageError(`--poll-interval: expected milliseconds ≥ 100, got "${flags.pollInterval}"`);
        return run(
          { routes: flags.routes, port: port(flags.port, '--port'), adminPort: port(flags.adminPort, '--admin-port'), pollIntervalMs, online: flags.online === true, logLevel: flags.logLevel },
          ctx,
        );
      }),
    );
}
