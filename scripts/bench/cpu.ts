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
import { freePort, startListeningChild } from './lib/processes.ts';

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
  -h, --help        show this help`;

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
}

async function measure(routerMain: string, kind: ExchangeKind, rate: number, durationMs: number, nodeArgs: readonly string[]): Promise<Run> {
  const load = loadavg()[0];
  const port = await freePort();
  const router = await startListeningChild('passage', [...nodeArgs, routerMain, '--config', routerFiles({ mode: 'offline' }, port)], port);
  try {
    let from: number | undefined;
    let to: number | undefined;
    const result = await openLoop((done) => startExchange(kind, { port, serverHost: 'play.bench' }, done), {
      warmupMs: WARMUP_MS,
      durationMs,
      rate,
      maxInFlight: MAX_IN_FLIGHT,
      onMeasureStart: () => (from = router.cpuSeconds()),
      onMeasureEnd: () => (to = router.cpuSeconds()),
    });
    const cpu = from === undefined || to === undefined ? NaN : to - from;
    return { cpuUs: (cpu * 1e6) / Math.max(1, result.completed), p99Ms: result.p99Ms, skipped: result.skipped ?? 0, errors: result.errors, load };
  } finally {
    await router.stop();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const { values } = parseArgs({
  options: {
    router: { type: 'string', multiple: true },
    rate: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    exchanges: { type: 'string' },
    'node-arg': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  console.log(USAGE);
} else {
  const routers = (values.router ?? [here('../../router/main.ts')]).map((r) => resolve(r));
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
        const r = await measure(router, kind, rate, durationMs, nodeArgs);
        const key = `${router}\t${kind}`;
        runs.set(key, [...(runs.get(key) ?? []), r]);
        console.error(`round ${round} ${router} ${kind}: ${r.cpuUs.toFixed(0)} µs/exchange, p99 ${r.p99Ms.toFixed(2)} ms (load ${r.load.toFixed(2)}${r.skipped > 0 ? `, ${r.skipped} skipped` : ''}${r.errors > 0 ? `, ${r.errors} errors` : ''})`);
      }
    }
  }
  console.log(`${rate}/s open loop, ${durationMs / 1000} s measured, median of ${rounds} round(s)${nodeArgs.length > 0 ? `, node ${nodeArgs.join(' ')}` : ''}`);
  console.log('| router | exchange | router CPU µs/exchange (median) | per round | p99 ms (median) | load average (1 min) per round |');
  console.log('|---|---|--:|---|--:|---|');
  for (const [key, rs] of runs) {
    const [router, kind] = key.split('\t');
    console.log(`| ${router} | ${kind} | ${median(rs.map((r) => r.cpuUs)).toFixed(0)} | ${rs.map((r) => r.cpuUs.toFixed(0)).join(', ')} | ${median(rs.map((r) => r.p99Ms)).toFixed(2)} | ${rs.map((r) => r.load.toFixed(1)).join(', ')} |`);
  }
}
