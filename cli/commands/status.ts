// `passagectl status`: is every region healthy and on the latest table? Reads heartbeats from the table
// store (`--table-store dynamodb://TABLE/ID?region=R`) and/or routers' /status (`--local`, `--admin URL`;
// with none of them, the local router's).
// On a terminal: the live Ink view. Off one: a plain snapshot; `--json` for scripts; `--watch N` repeats.

import type { Command } from 'commander';
import { collect, EXIT_FAILURE, UsageError, type CliContext, type Runner } from '../context.ts';
import { loadRegionsFile } from '../../router/contracts/regions-file.ts';
import type { FleetSnapshot } from '../fleet/aggregate.ts';
import { formatSnapshot } from '../fleet/format.ts';
import { collectSnapshot, MAX_FLEET_REGIONS, type FleetSources } from '../fleet/sources.ts';
import { parseLocation } from '../tables/location.ts';

export const LOCAL_ADMIN_URL = 'http://127.0.0.1:9565';
/** `--watch` below this would only hammer DynamoDB: heartbeats come every few seconds. */
export const MIN_WATCH_SECONDS = 1;

/** `--region`: an AWS region name, or a router's own `[fleet] region` such as `local`. */
const FLEET_REGION = /^[a-z0-9-]{1,32}$/;

export interface StatusOptions {
  readonly tableStore?: string;
  /**
   * Whose heartbeats to read (each region has its own partition, `FLEET#<id>#<region>`): `--region`
   * and the regions of `--file`; with neither, the table store's own region.
   */
  readonly fleetRegions?: readonly string[];
  /** A regions file (passage.regions.toml) whose regions are read. */
  readonly file?: string;
  readonly adminUrls: readonly string[];
  /** Repeat the plain (or JSON) output every N seconds until Ctrl-C. */
  readonly watchSeconds?: number;
  /** Stop after this many snapshots (scripts, tests); unbounded watches end on Ctrl-C. */
  readonly count?: number;
}

/** How the TTY view runs; tests replace it. */
export interface StatusUi {
  interactive(load: () => Promise<FleetSnapshot>, signal: AbortSignal): Promise<void>;
}

const inkUi: StatusUi = {
  async interactive(load, signal) {
    // Loaded only on a terminal: Ink and React cost startup time a plain snapshot does not need.
    const { runStatusView } = await import('../ui/status-view.ts');
    await runStatusView(load, signal);
  },
};

export function sourcesFor(opts: StatusOptions, ctx: CliContext): FleetSources {
  if (opts.tableStore === undefined && opts.adminUrls.length === 0) {
    throw new UsageError('nothing to read: give --table-store dynamodb://TABLE/ID?region=R, --local, or --admin URL');
  }
  for (const url of opts.adminUrls) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--admin: expected an http(s) URL like ${LOCAL_ADMIN_URL}, got "${url}"`);
  }
  let dynamodb: FleetSources['dynamodb'];
  if (opts.tableStore !== undefined) {
    const location = parseLocation(opts.tableStore);
    if (location.kind !== 'dynamodb') throw new UsageError(`--table-store: heartbeats live in DynamoDB; expected dynamodb://TABLE/ID?region=R, got "${opts.tableStore}"`);
    const regions = opts.fleetRegions !== undefined && opts.fleetRegions.length > 0 ? opts.fleetRegions : [location.region];
    for (const region of regions) {
      if (!FLEET_REGION.test(region)) throw new UsageError(`--region: expected a region name like eu-west-1, got "${region}"`);
    }
    if (regions.length > MAX_FLEET_REGIONS) throw new UsageError(`--region: at most ${MAX_FLEET_REGIONS} regions, got ${regions.length}`);
    dynamodb = {
      client: ctx.clients.dynamodb({ region: location.region, endpoint: location.endpoint }),
      table: location.table,
      tableId: location.tableId,
      regions: [...new Set(regions)],
    };
  } else if (opts.fleetRegions !== undefined && opts.fleetRegions.length > 0) {
    throw new UsageError('--region and --file name whose heartbeats --table-store reads; give --table-store dynamodb://TABLE/ID?region=R');
  }
  return { ...(dynamodb === undefined ? {} : { dynamodb }), adminUrls: opts.adminUrls, fetch: ctx.clients.fetch, now: ctx.now };
}

/**
 * Exit code of a one-shot snapshot: 1 when no source could be read at all (scripts must not mistake an
 * unreachable fleet for an empty one), else 0. Each failed source adds at least one problem line.
 */
export function snapshotExitCode(snapshot: FleetSnapshot, sourceCount: number): number {
  return sourceCount > 0 && snapshot.problems.length >= sourceCount && snapshot.latest === null && snapshot.instances.every((i) => i.state === 'stale')
    ? EXIT_FAILURE
    : 0;
}

/** What a bare `passagectl status` says when the local router it defaults to does not answer. */
export const DEFAULT_SOURCE_HINT = `nothing answers at ${LOCAL_ADMIN_URL}: start a router (npm start, or npx passagectl dev), or read the fleet with --table-store dynamodb://TABLE/ID?region=R`;

export async function run(opts: StatusOptions, ctx: CliContext, ui: StatusUi = inkUi): Promise<number> {
  // Without --watch there is no interval: N snapshots would print back to back (or be ignored on a terminal).
  if (opts.count !== undefined && opts.watchSeconds === undefined) throw new UsageError('--count only applies with --watch <seconds>');
  // A bare `passagectl status` (as the README shows it) reads the router `npm start` and `dev` run.
  const defaulted = opts.tableStore === undefined && opts.adminUrls.length === 0;
  const withRegions = await withFileRegions(opts);
  const sources = sourcesFor(defaulted ? { ...withRegions, adminUrls: [LOCAL_ADMIN_URL] } : withRegions, ctx);
  const load = (): Promise<FleetSnapshot> => collectSnapshot(sources);
  try {
    if (ctx.isTTY && !ctx.json && opts.watchSeconds === undefined) {
      await ui.interactive(load, ctx.signal);
      return 0;
    }
    const sourceCount = (sources.dynamodb === undefined ? 0 : 1) + sources.adminUrls.length;
    let exitCode = 0;
    const limit = opts.count ?? (opts.watchSeconds === undefined ? 1 : Number.POSITIVE_INFINITY);
    for (let n = 0; n < limit && !ctx.signal.aborted; n++) {
      if (n > 0 && !(await sleep(opts.watchSeconds! * 1000, ctx.signal))) break;
      const snapshot = await load();
      exitCode = snapshotExitCode(snapshot, sourceCount);
      const hint = exitCode === EXIT_FAILURE && defaulted ? DEFAULT_SOURCE_HINT : undefined;
      // Nothing could be read: --json carries the error object every failing command prints, beside the snapshot.
      const doc = exitCode === EXIT_FAILURE ? { ok: false, error: { code: 'PASSAGE_FLEET_UNREADABLE', message: hint ?? snapshot.problems.join('; ') }, ...snapshot } : snapshot;
      if (ctx.json) ctx.stdout.write(opts.watchSeconds === undefined ? `${JSON.stringify(doc, null, 2)}\n` : `${JSON.stringify(doc)}\n`);
      else ctx.stdout.write(`${n > 0 ? '\n' : ''}${formatSnapshot(snapshot)}`);
      if (hint !== undefined && n === 0) ctx.stderr.write(`passagectl: ${hint}\n`);
    }
    return exitCode;
  } finally {
    sources.dynamodb?.client.destroy();
  }
}

/** Adds the regions of `--file` to `--region`. */
async function withFileRegions(opts: StatusOptions): Promise<StatusOptions> {
  if (opts.file === undefined) return opts;
  const file = await loadRegionsFile(opts.file);
  if (opts.tableStore !== undefined) {
    const location = parseLocation(opts.tableStore);
    if (location.kind === 'dynamodb' && location.tableId !== file.tableId) {
      throw new UsageError(`--file: ${opts.file} is for table_id "${file.tableId}", but --table-store reads "${location.tableId}"`);
    }
  }
  return { ...opts, fleetRegions: [...(opts.fleetRegions ?? []), ...file.regions.map((r) => r.name)] };
}

/** Resolves true after `ms`, false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function positiveInteger(text: string, flag: string, min: number): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < min) throw new UsageError(`${flag}: expected a whole number of at least ${min}, got "${text}"`);
  return Number(text);
}

export function register(program: Command, runner: Runner): void {
  program
    .command('status')
    .description('live view of the fleet: regions, instances, table versions, rates (q quits)')
    .option('--table-store <location>', 'read router heartbeats and the latest table from dynamodb://TABLE/ID?region=R[&endpoint=URL]')
    .option('--local', `read the local router's /status (${LOCAL_ADMIN_URL}; the default when no source is given)`)
    .option('--admin <url>', "read a router's admin /status (repeatable)", collect)
    .option('--region <name>', "with --table-store: read this region's heartbeats (repeatable; default: the store's region)", collect)
    .option('--file <path>', 'with --table-store: read the heartbeats of every region in this regions file (passage.regions.toml)')
    .option('--watch <seconds>', 'print a plain snapshot every N seconds until Ctrl-C')
    .option('--count <n>', 'with --watch: stop after N snapshots')
    .action((flags: { tableStore?: string; local?: boolean; admin?: string[]; region?: string[]; file?: string; watch?: string; count?: string }, command: Command) =>
      runner(command, (ctx) =>
        run(
          {
            ...(flags.tableStore === undefined ? {} : { tableStore: flags.tableStore }),
            adminUrls: [...(flags.local === true ? [LOCAL_ADMIN_URL] : []), ...(flags.admin ?? [])],
            ...(flags.region === undefined ? {} : { fleetRegions: flags.region.flatMap((r) => r.split(',')) }),
            ...(flags.file === undefined ? {} : { file: flags.file }),
            ...(flags.watch === undefined ? {} : { watchSeconds: positiveInteger(flags.watch, '--watch', MIN_WATCH_SECONDS) }),
            ...(flags.count === undefined ? {} : { count: positiveInteger(flags.count, '--count', 1) }),
          },
          ctx,
        ),
      ),
    );
}
