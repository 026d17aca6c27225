// Router core benchmark: status exchanges and logins → transfer against Passage, side by side with
// two references (a bare Node socket server, minecraft-protocol's server), each in its own child process.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyToml } from 'smol-toml';
import { isConfigKey } from '../../router/config/schema.ts';
import { startExchange } from './lib/client.ts';
import type { ExchangeKind, ExchangeTarget } from './lib/client.ts';
import { closedLoop, openLoop } from './lib/load.ts';
import type { LoadResult } from './lib/load.ts';
import { freePort, startListeningChild, startReportingChild, waitForOk } from './lib/processes.ts';
import type { ServerChild } from './lib/processes.ts';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const ROUTER_MAIN = here('../../router/main.ts');

/**
 * The Node flags the image runs the router with (the Dockerfile's `ENV NODE_OPTIONS=…`, today the
 * 8 MiB semi-space cap): the bench's default, so its router collects garbage as production does.
 */
export function imageNodeOptions(dockerfile = here('../../Dockerfile')): string[] {
  let text: string;
  try {
    text = readFileSync(dockerfile, 'utf8');
  } catch {
    return [];
  }
  const m = /^ENV NODE_OPTIONS=(.*)$/m.exec(text);
  return m === null ? [] : m[1]!.replace(/^"|"$/g, '').split(/\s+/).filter((f) => f !== '');
}
export const ROUTE_HOST = 'play.bench';
const MOTD = 'Passage benchmark';
/** What Passage answers for the bench route at protocol 769; the bare server sends the same bytes. */
const PASSAGE_STATUS_JSON = JSON.stringify({
  version: { name: 'Passage', protocol: 769 },
  players: { max: 500, online: 0 },
  description: { text: MOTD },
});

export type TargetName = 'bare' | 'minecraft-protocol' | 'passage';

export interface Scenario {
  readonly target: TargetName;
  readonly kind: ExchangeKind;
  /** Passage's `workers` (router processes sharing the port); 1 when absent. */
  readonly workers?: number;
}

/** The run order: references first, then Passage; every scenario gets a fresh server process. */
export const SCENARIOS: readonly Scenario[] = [
  { target: 'bare', kind: 'status' },
  { target: 'bare', kind: 'offline_login' },
  { target: 'minecraft-protocol', kind: 'status' },
  { target: 'passage', kind: 'status' },
  { target: 'passage', kind: 'offline_login' },
  { target: 'passage', kind: 'online_login' },
  // The workers comparison: the same online logins with the supervisor and two worker processes.
  { target: 'passage', kind: 'online_login', workers: 2 },
  { target: 'passage', kind: 'cookie_login' },
];

export interface CoreOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly concurrency: number;
  /** Also measure latency open-loop at half of the peak just measured. */
  readonly halfPeak: boolean;
  /** Open-loop cap on exchanges in flight; arrivals beyond it are counted as skipped. */
  readonly maxInFlight: number;
  readonly targets: ReadonlySet<TargetName>;
  /** Only these exchanges (every kind when absent), e.g. status and offline logins to bisect a change. */
  readonly kinds?: ReadonlySet<ExchangeKind>;
  /** The router entry to benchmark (default: this checkout's router/main.ts), e.g. to compare a fix. */
  readonly routerMain?: string;
  /** Node flags for the Passage children (default: the image's, `imageNodeOptions()`). */
  readonly nodeArgs?: readonly string[];
  /** Run the Passage children with --cpu-prof, writing one profile per scenario here. */
  readonly profileDir?: string;
  readonly log: (line: string) => void;
}

export interface ScenarioResult extends Scenario {
  /** 1-minute load average just before the scenario started. */
  readonly loadBefore: number;
  readonly peak: LoadResult;
  /** Server CPU during the peak window: percent of one core, and microseconds per exchange. */
  readonly serverCpuPercent: number | undefined;
  readonly serverCpuUsPerExchange: number | undefined;
  readonly half: LoadResult | undefined;
  readonly profile: string | undefined;
}

/**
 * Every exchange comes from 127.0.0.1, so per-client limits would measure themselves rather than
 * the router: they are lifted. Only keys this build of the router knows are written.
 */
const BENCH_LIMITS: Readonly<Record<string, unknown>> = {
  'rate_limiter.enabled': false,
  'limits.max_pending': 1_000_000,
  'limits.max_pending_per_ip': 1_000_000,
};

function setIfKnown(raw: Record<string, unknown>, dotted: string, value: unknown): void {
  const [section, key] = dotted.split('.');
  if (!isConfigKey(section, key)) return;
  raw[section] = { ...(raw[section] as Record<string, unknown> | undefined), [key]: value };
}

/** Temp directories of the router configs, removed once their scenario is over. */
const tempDirs: string[] = [];

/** `workers > 1` also needs `adminPort`: the bench waits for the instance's /readyz (every worker listening). */
export function routerFiles(auth: { mode: 'offline' | 'online'; sessionServer?: string; cookies?: boolean }, port: number, workers = 1, adminPort = 0): string {
  const dir = mkdtempSync(join(tmpdir(), 'passage-bench-'));
  tempDirs.push(dir);
  if (auth.cookies === true) writeFileSync(join(dir, 'cookie-secret'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'routes.toml'),
    [
      'table_id = "bench"',
      'version = 1',
      '[[routes]]',
      'id = "main"',
      `hosts = ["${ROUTE_HOST}"]`,
      'strategy = "priority"',
      '[routes.status]',
      `motd = "${MOTD}"`,
      'max_players = 500',
      '[[routes.targets]]',
      'id = "lobby"',
      // Never dialled: the router only tells the client where to go.
      'address = "127.0.0.1:25566"',
      'priority = 0',
      '',
    ].join('\n'),
  );
  const raw: Record<string, Record<string, unknown> | string | number> = {
    address: `127.0.0.1:${port}`,
    drain_timeout: '1s',
    ...(workers > 1 ? { workers } : {}),
    admin: { address: `127.0.0.1:${adminPort}` },
    auth: {
      mode: auth.mode,
      ...(auth.sessionServer === undefined ? {} : { session_server: auth.sessionServer }),
      ...(auth.cookies === true ? { cookie_secret_file: 'cookie-secret' } : {}),
    },
    table: { path: 'routes.toml', cache_file: 'table-cache.json', allow_unsigned: true },
    log: { level: 'warn' },
  };
  for (const [key, value] of Object.entries(BENCH_LIMITS)) setIfKnown(raw, key, value);
  writeFileSync(join(dir, 'passage.toml'), stringifyToml(raw));
  return join(dir, 'passage.toml');
}

/** With workers, every process of the instance inherits --cpu-prof and writes this name: the last to exit wins. */
function profileName(s: Scenario): string {
  return `passage-${s.kind}${(s.workers ?? 1) > 1 ? `-workers${s.workers}` : ''}.cpuprofile`;
}

/** Starts the servers a scenario needs; the first one is the server under test. */
export async function startServers(s: Scenario, opts: Pick<CoreOptions, 'nodeArgs' | 'profileDir' | 'routerMain'>): Promise<ServerChild[]> {
  if (s.target === 'bare') return [await startReportingChild('bare', here('./servers/bare.ts'), [PASSAGE_STATUS_JSON])];
  if (s.target === 'minecraft-protocol') {
    const port = await freePort();
    return [await startReportingChild('minecraft-protocol', here('./servers/mc-protocol-status.ts'), [String(port)])];
  }
  const helpers: ServerChild[] = [];
  let sessionServer: string | undefined;
  if (s.kind === 'online_login' || s.kind === 'cookie_login') {
    const session = await startReportingChild('session-server', here('./servers/session-server.ts'));
    helpers.push(session);
    sessionServer = `http://127.0.0.1:${session.port}`;
  }
  const port = await freePort();
  const online = s.kind === 'online_login' || s.kind === 'cookie_login';
  const workers = s.workers ?? 1;
  const adminPort = workers > 1 ? await freePort() : 0;
  const config = routerFiles({ mode: online ? 'online' : 'offline', cookies: s.kind === 'cookie_login', ...(sessionServer === undefined ? {} : { sessionServer }) }, port, workers, adminPort);
  const execArgv = [...(opts.nodeArgs ?? imageNodeOptions()), ...(opts.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`, `--cpu-prof-name=${profileName(s)}`])];
  try {
    const router = await startListeningChild('passage', [...execArgv, opts.routerMain ?? ROUTER_MAIN, '--config', config], port);
    // The port accepts once the first worker listens; measure only once all of them do.
    if (workers > 1) {
      try {
        await waitForOk(`http://127.0.0.1:${adminPort}/readyz`);
      } catch (err) {
        await router.stop();
        throw err;
      }
    }
    return [router, ...helpers];
  } catch (err) {
    for (const h of helpers) await h.stop();
    throw err;
  }
}

export async function runScenario(s: Scenario, opts: CoreOptions): Promise<ScenarioResult> {
  const loadBefore = loadavg()[0];
  const servers = await startServers(s, opts);
  const server = servers[0];
  try {
    const target: ExchangeTarget = { port: server.port, serverHost: ROUTE_HOST };
    const start = (done: Parameters<typeof startExchange>[2]) => startExchange(s.kind, target, done);
    let cpuFrom: number | undefined;
    let cpuTo: number | undefined;
    const peak = await closedLoop(start, {
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
      concurrency: opts.concurrency,
      onMeasureStart: () => (cpuFrom = server.cpuSeconds()),
      onMeasureEnd: () => (cpuTo = server.cpuSeconds()),
    });
    const cpu = cpuFrom === undefined || cpuTo === undefined ? undefined : cpuTo - cpuFrom;
    let half: LoadResult | undefined;
    if (opts.halfPeak && peak.rate > 0) {
      half = await openLoop(start, { warmupMs: opts.warmupMs, durationMs: opts.durationMs, rate: peak.rate / 2, maxInFlight: opts.maxInFlight });
    }
    return {
      ...s,
      loadBefore,
      peak,
      serverCpuPercent: cpu === undefined ? undefined : (100 * cpu) / peak.seconds,
      serverCpuUsPerExchange: cpu === undefined || peak.completed === 0 ? undefined : (cpu * 1e6) / peak.completed,
      half,
      profile: opts.profileDir === undefined || s.target !== 'passage' ? undefined : join(opts.profileDir, profileName(s)),
    };
  } finally {
    for (const child of servers) await child.stop();
    removeConfigDirs();
  }
}

/** Removes the router configs written so far (`routerFiles`): once their servers have stopped. */
export function removeConfigDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** One pass over every scenario of the selected targets. */
export async function runCoreRound(opts: CoreOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS) {
    if (!opts.targets.has(s.target) || (opts.kinds !== undefined && !opts.kinds.has(s.kind))) continue;
    opts.log(`  ${s.target}${(s.workers ?? 1) > 1 ? ` (workers = ${s.workers})` : ''} ${s.kind} (load ${loadavg()[0].toFixed(2)}) …`);
    const r = await runScenario(s, opts);
    opts.log(`    ${r.peak.rate.toFixed(0)}/s p50 ${r.peak.p50Ms.toFixed(2)} ms p99 ${r.peak.p99Ms.toFixed(2)} ms, errors ${r.peak.errors}` +
      (r.half === undefined ? '' : `; at ${r.half.offeredRate?.toFixed(0)}/s p99 ${r.half.p99Ms.toFixed(2)} ms`) +
      (r.peak.firstError === undefined ? '' : ` (first error: ${r.peak.firstError})`));
    results.push(r);
  }
  return results;
}
