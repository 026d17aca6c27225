// Router CPU per exchange at a fixed arrival rate, for several router trees interleaved round by
// round: the A/B figure for a change in the router's own work. At the peak (npm run bench) CPU per
// exchange depends on the throughput reached (more exchanges per event-loop wake-up cost less each),
// and the throughput moves 2× with the machine's load; at one fixed rate that batching is the same
// for every router, and interleaving spreads the machine's drift over all of them.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { imageNodeOptions, routerFiles } from './core.ts';
import { startExchange } from './lib/client.ts';
import type { ExchangeKind } from './lib/client.ts';
import { openLoop } from './lib/load.ts';
import { freePort, startListeningChild, startReportingChild } from './lib/processes.ts';
import type { ServerChild } from './lib/processes.ts';
import { argsOrExit } from './lib/args.ts';
import { median } from './lib/stats.ts';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const USAGE = `Usage: node scripts/bench/cpu.ts [options]

Router CPU (user + system, /proc) per status exchange and per offline login → transfer at a fixed
arrival rate, each router in a fresh process, the routers interleaved round by round.

Options:
  --router FILE     a router entry to measure; repeat to compare (default router/main.ts)
  --rate N          arrivals per second (default 1500)
  --duration S      measured seconds per run (default 5)
  --rounds N        rounds over all routers; the median is reported (default 3)
  --exchanges LIST  status,offline_login (default both)
  --node-arg ARG    a Node flag for the router (repeatable; default: the image's NODE_OPTIONS, as
                    npm run bench; --node-arg= runs with none)
  --bare            also measure the bare reference server (scripts/bench/servers/bare.ts), with
                    the same Node flags
  --gc              also report the young generation's collections during the measured window
                    (--trace-gc-nvp): mean scavenge pause and bytes promoted per scavenge and per
                    exchange, the share of the young generation that survived
  -h, --help        show this help`;

/** The row name --bare adds. */
const BARE = 'bare';

const KINDS: readonly ExchangeKind[] = ['status', 'offline_login'];
/** Arrivals beyond this many in flight are skipped (and reported): the rate is then too high for the machine. */
const MAX_IN_FLIGHT = 1024;
const WARMUP_MS = 1500;

interface Run {
  readonly cpuUs: number;
  readonly p99Ms: number;
  readonly skipped: number;
  readonly errors: number;
  readonly load: number;
  readonly gc: GcFigures | undefined;
}

interface GcFigures {
  readonly count: number;
  /** Mean pause of one scavenge. */
  readonly pauseMs: number;
  readonly promotedPerExchange: number;
  readonly promotedPerScavenge: number;
  /** Mean share of the young generation that survived a scavenge. */
  readonly survivedPercent: number;
}

/** The scavenges of a measured window, from --trace-gc-nvp lines (`gc=s`). */
interface Scavenges {
  count: number;
  pauseMs: number;
  promoted: number;
  survivedPercent: number;
}

function nvp(line: string, key: string): number {
  const m = new RegExp(`(?:^|\\s)${key}=([\\d.]+)`).exec(line);
  return m === null ? NaN : Number(m[1]);
}

async function measure(routerMain: string, kind: ExchangeKind, rate: number, durationMs: number, nodeArgs: readonly string[], gc: boolean): Promise<Run> {
  const load = loadavg()[0];
  const flags = gc ? [...nodeArgs, '--trace-gc-nvp'] : [...nodeArgs];
  let measuring = false;
  const scavenges: Scavenges = { count: 0, pauseMs: 0, promoted: 0, survivedPercent: 0 };
  const onLine = (line: string): boolean => {
    if (!line.includes('pause=')) return false;
    if (measuring && / gc=s /.test(line)) {
      scavenges.count++;
      scavenges.pauseMs += nvp(line, 'pause');
      scavenges.promoted += nvp(line, 'promoted');
      scavenges.survivedPercent += nvp(line, 'new_space_survive_rate_');
    }
    return true;
  };
  let router: ServerChild;
  if (routerMain === BARE) {
    router = await startReportingChild('bare', here('./servers/bare.ts'), [], { nodeArgs: flags, onLine });
  } else {
    const port = await freePort();
    router = await startListeningChild('passage', [...flags, routerMain, '--config', routerFiles({ mode: 'offline' }, port)], port, { onLine });
  }
  const port = router.port;
  try {
    let from: number | undefined;
    let to: number | undefined;
    const result = await openLoop((done) => startExchange(kind, { port, serverHost: 'play.bench' }, done), {
      warmupMs: WARMUP_MS,
      durationMs,
      rate,
      maxInFlight: MAX_IN_FLIGHT,
      onMeasureStart: () => {
        from = router.cpuSeconds();
        measuring = true;
      },
      onMeasureEnd: () => {
        to = router.cpuSeconds();
        measuring = false;
      },
    });
    const cpu = from === undefined || to === undefined ? NaN : to - from;
    const per = Math.max(1, scavenges.count);
    const gcRun: GcFigures | undefined = gc
      ? { count: scavenges.count, pauseMs: scavenges.pauseMs / per, promotedPerExchange: scavenges.promoted / Math.max(1, result.completed), promotedPerScavenge: scavenges.promoted / per, survivedPercent: scavenges.survivedPercent / per }
      : undefined;
    return { cpuUs: (cpu * 1e6) / Math.max(1, result.completed), p99Ms: result.p99Ms, skipped: result.skipped ?? 0, errors: result.errors, load, gc: gcRun };
  } finally {
    await router.stop();
  }
}

const { values } = argsOrExit('cpu', USAGE, () => parseArgs({
  options: {
    router: { type: 'string', multiple: true },
    rate: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    exchanges: { type: 'string' },
    'node-arg': { type: 'string', multiple: true },
    bare: { type: 'boolean' },
    gc: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
}));
if (values.help === true) {
  console.log(USAGE);
} else {
  const routers = [...(values.router ?? [here('../../router/main.ts')]).map((r) => resolve(r)), ...(values.bare === true ? [BARE] : [])];
  const gc = values.gc === true;
  const rate = Number(values.rate ?? 1500);
  const durationMs = Number(values.duration ?? 5) * 1000;
  const rounds = Math.max(1, Math.floor(Number(values.rounds ?? 3)));
  const kinds = values.exchanges === undefined ? KINDS : (values.exchanges.split(',') as ExchangeKind[]);
  for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`unknown exchange "${k}" (known: ${KINDS.join(', ')})`);
  if (!(rate > 0) || !(durationMs > 0)) throw new Error('--rate and --duration expect positive numbers');
  const nodeArgs = values['node-arg'] === undefined ? imageNodeOptions() : values['node-arg'].filter((a) => a !== '');
  const runs = new Map<string, Run[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const router of routers) {
      for (const kind of kinds) {
        const r = await measure(router, kind, rate, durationMs, nodeArgs, gc);
        const key = `${router}\t${kind}`;
        runs.set(key, [...(runs.get(key) ?? []), r]);
        const gcText = r.gc === undefined ? '' : `; ${r.gc.count} scavenges of ${r.gc.pauseMs.toFixed(2)} ms, ${r.gc.promotedPerExchange.toFixed(0)} B promoted per exchange`;
        console.error(`round ${round} ${router} ${kind}: ${r.cpuUs.toFixed(0)} µs/exchange, p99 ${r.p99Ms.toFixed(2)} ms${gcText} (load ${r.load.toFixed(2)}${r.skipped > 0 ? `, ${r.skipped} skipped` : ''}${r.errors > 0 ? `, ${r.errors} errors` : ''})`);
      }
    }
  }
  console.log(`${rate}/s open loop, ${durationMs / 1000} s measured, median of ${rounds} round(s)${nodeArgs.length > 0 ? `, node ${nodeArgs.join(' ')}` : ''}`);
  const gcHead = gc ? ' scavenge pause ms (mean) | promoted B per exchange | promoted KB per scavenge | young generation survived |' : '';
  console.log(`| router | exchange | router CPU µs/exchange (median) | per round | p99 ms (median) |${gcHead} load average (1 min) per round |`);
  console.log(`|---|---|--:|---|--:|${gc ? '--:|--:|--:|--:|' : ''}---|`);
  for (const [key, rs] of runs) {
    const [router, kind] = key.split('\t');
    const g = rs.map((r) => r.gc).filter((x): x is GcFigures => x !== undefined);
    const gcCells = gc
      ? ` ${median(g.map((x) => x.pauseMs)).toFixed(2)} | ${median(g.map((x) => x.promotedPerExchange)).toFixed(0)} | ${median(g.map((x) => x.promotedPerScavenge / 1000)).toFixed(0)} | ${median(g.map((x) => x.survivedPercent)).toFixed(1)}% |`
      : '';
    console.log(`| ${router} | ${kind} | ${median(rs.map((r) => r.cpuUs)).toFixed(0)} | ${rs.map((r) => r.cpuUs.toFixed(0)).join(', ')} | ${median(rs.map((r) => r.p99Ms)).toFixed(2)} |${gcCells} ${rs.map((r) => r.load.toFixed(1)).join(', ')} |`);
  }
}
