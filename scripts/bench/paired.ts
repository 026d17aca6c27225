#!/usr/bin/env node
// `npm run bench:paired`: issue 16's two comparisons with the bare server, measured in short windows
// that alternate between the two servers (docs/BENCHMARKS.md, "Paired windows").
//
// `npm run bench` measures each server for 20 s in turn, so a burst of the host's noise (on this VM,
// CPU time stolen by the hypervisor) can land on one server's window and not the other's, and
// decide a ratio. Here both servers run for the whole run and the load generator switches between
// them every few seconds, in an order that alternates pair by pair: whatever the machine does lands on
// both alike. Each figure is reported per pair, pooled over all pairs, and as the median of the pairs.
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { imageNodeOptions, removeConfigDirs, ROUTE_HOST, startServers } from './core.ts';
import { startExchange } from './lib/client.ts';
import type { ExchangeKind } from './lib/client.ts';
import { closedLoop, openLoop } from './lib/load.ts';
import type { LoadResult } from './lib/load.ts';
import type { ServerChild } from './lib/processes.ts';
import { TARGETS } from './lib/report.ts';
import { argChecks, argsOrExit } from './lib/args.ts';
import { median } from './lib/stats.ts';

const HELP = `Usage: node scripts/bench/paired.ts [options]

Issue 16's two comparisons with the bare Node server, in windows that alternate between the servers:
  1. Passage's offline login→transfer rate as a share of the bare server's status rate (the ceiling),
     both closed loop (--concurrency in flight);
  2. status p99 at half of each server's own peak, open loop, Passage against bare.
Both servers run for the whole run; every pair measures each once, in an order that alternates.

Options:
  --pairs N         window pairs per comparison (default 8)
  --window S        measured seconds per window (default 3)
  --warmup S        unmeasured seconds at the start of each window (default 0.5)
  --concurrency N   exchanges in flight in the closed loop (default 48)
  --router FILE     benchmark this router entry instead of router/main.ts
  --node-arg ARG    a Node flag for the router (repeatable; default: the image's NODE_OPTIONS)
  --json FILE       also write every window's figures as JSON
  -h, --help        show this help`;

const { fail, positive } = argChecks('bench:paired', HELP);

interface Measured {
  readonly result: LoadResult;
  readonly serverCpuUsPerExchange: number | undefined;
}

interface PeakPair {
  readonly load: number;
  readonly bareStatus: Measured;
  readonly passageLogin: Measured;
  readonly passageStatus: Measured;
}

interface TailPair {
  readonly load: number;
  readonly bare: LoadResult;
  readonly passage: LoadResult;
}

/**
 * Runs `tasks` one after the other, first to last in an even pair and last to first in an odd one, so no
 * server always goes first; the results come back in the order of `tasks`.
 */
export async function inTurn<T>(pair: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  for (let k = 0; k < tasks.length; k++) {
    const at = pair % 2 === 0 ? k : tasks.length - 1 - k;
    results[at] = await tasks[at]!();
  }
  return results;
}

/** The q-quantile of every latency of several windows together (nearest rank). */
export function pooledQuantile(windows: readonly Float64Array[], q: number): number {
  const n = windows.reduce((sum, w) => sum + w.length, 0);
  if (n === 0) return NaN;
  const all = new Float64Array(n);
  let at = 0;
  for (const w of windows) {
    all.set(w, at);
    at += w.length;
  }
  all.sort();
  return all[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
}

async function main(): Promise<void> {
  const { values } = argsOrExit('bench:paired', HELP, () =>
    parseArgs({
      options: {
        pairs: { type: 'string' },
        window: { type: 'string' },
        warmup: { type: 'string' },
        concurrency: { type: 'string' },
        router: { type: 'string' },
        'node-arg': { type: 'string', multiple: true },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const pairs = Math.floor(positive('pairs', values.pairs, 8));
  const windowMs = positive('window', values.window, 3) * 1000;
  const warmupMs = positive('warmup', values.warmup, 0.5) * 1000;
  const concurrency = Math.floor(positive('concurrency', values.concurrency, 48));
  const nodeArgs = values['node-arg'] === undefined ? imageNodeOptions() : values['node-arg'].filter((a) => a !== '');
  const routerOpts = { nodeArgs, ...(values.router === undefined ? {} : { routerMain: resolve(values.router) }) };
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${process.platform}`);
  log(`router: node ${[...nodeArgs, values.router ?? 'router/main.ts'].join(' ')}`);
  log(`${pairs} pairs per comparison, windows of ${warmupMs / 1000} s warm-up + ${windowMs / 1000} s measured`);

  const servers: ServerChild[] = [];
  try {
    const [bare] = await startServers({ target: 'bare', kind: 'status' }, routerOpts);
    servers.push(bare!);
    const [passage] = await startServers({ target: 'passage', kind: 'offline_login' }, routerOpts);
    servers.push(passage!);

    const exchange = (server: ServerChild, kind: ExchangeKind) => (done: Parameters<typeof startExchange>[2]) =>
      startExchange(kind, { port: server.port, serverHost: ROUTE_HOST }, done);
    const peakOf = async (server: ServerChild, kind: ExchangeKind): Promise<Measured> => {
      let from: number | undefined;
      let to: number | undefined;
      const result = await closedLoop(exchange(server, kind), {
        warmupMs, durationMs: windowMs, concurrency,
        onMeasureStart: () => (from = server.cpuSeconds()),
        onMeasureEnd: () => (to = server.cpuSeconds()),
      });
      const cpu = from === undefined || to === undefined || result.completed === 0 ? undefined : ((to - from) * 1e6) / result.completed;
      return { result, serverCpuUsPerExchange: cpu };
    };

    // Warm both servers up (JIT, socket buffers) before anything counts.
    await peakOf(bare!, 'status');
    await peakOf(passage!, 'status');
    await peakOf(passage!, 'offline_login');

    log('peaks (closed loop): bare status, Passage offline login, Passage status');
    const peaks: PeakPair[] = [];
    for (let i = 0; i < pairs; i++) {
      const load = loadavg()[0];
      const [bareStatus, passageLogin, passageStatus] = await inTurn(i, [
        () => peakOf(bare!, 'status'),
        () => peakOf(passage!, 'offline_login'),
        () => peakOf(passage!, 'status'),
      ]);
      const pair = { load, bareStatus: bareStatus!, passageLogin: passageLogin!, passageStatus: passageStatus! };
      peaks.push(pair);
      log(`  pair ${i + 1} (load ${load.toFixed(2)}): bare status ${pair.bareStatus.result.rate.toFixed(0)}/s, Passage login ${pair.passageLogin.result.rate.toFixed(0)}/s` +
        ` (${((100 * pair.passageLogin.result.rate) / pair.bareStatus.result.rate).toFixed(0)}%), Passage status ${pair.passageStatus.result.rate.toFixed(0)}/s`);
    }

    const bareHalf = median(peaks.map((p) => p.bareStatus.result.rate)) / 2;
    const passageHalf = median(peaks.map((p) => p.passageStatus.result.rate)) / 2;
    log(`half peaks (open loop, status): bare at ${bareHalf.toFixed(0)}/s, Passage at ${passageHalf.toFixed(0)}/s`);
    const tails: TailPair[] = [];
    for (let i = 0; i < pairs; i++) {
      const load = loadavg()[0];
      const run = (server: ServerChild, rate: number) =>
        openLoop(exchange(server, 'status'), { warmupMs, durationMs: windowMs, rate, maxInFlight: 4096, keepLatencies: true });
      const [bareResult, passageResult] = (await inTurn(i, [() => run(bare!, bareHalf), () => run(passage!, passageHalf)])) as [LoadResult, LoadResult];
      tails.push({ load, bare: bareResult, passage: passageResult });
      log(`  pair ${i + 1} (load ${load.toFixed(2)}): p99 bare ${bareResult.p99Ms.toFixed(2)} ms, Passage ${passageResult.p99Ms.toFixed(2)} ms` +
        ` (${(passageResult.p99Ms / bareResult.p99Ms).toFixed(1)}×)`);
    }

    process.stdout.write(`${report(peaks, tails)}\n`);
    if (values.json !== undefined) {
      const strip = (r: LoadResult) => ({ ...r, latencies: undefined });
      writeFileSync(values.json, JSON.stringify({
        machine: { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version },
        windowMs, warmupMs, concurrency, bareHalf, passageHalf,
        peaks: peaks.map((p) => ({ load: p.load, bareStatus: { ...p.bareStatus, result: strip(p.bareStatus.result) }, passageLogin: { ...p.passageLogin, result: strip(p.passageLogin.result) }, passageStatus: { ...p.passageStatus, result: strip(p.passageStatus.result) } })),
        tails: tails.map((t) => ({ load: t.load, bare: strip(t.bare), passage: strip(t.passage) })),
      }, null, 2));
    }
  } finally {
    for (const s of servers.reverse()) await s.stop();
    removeConfigDirs();
  }
}

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const pct = (v: number): string => `${(100 * v).toFixed(0)}%`;
const ms = (v: number): string => v.toFixed(2);
const cpuUs = (m: Measured): string => (m.serverCpuUsPerExchange === undefined ? '–' : m.serverCpuUsPerExchange.toFixed(0));

export function report(peaks: readonly PeakPair[], tails: readonly TailPair[]): string {
  const loginTarget = TARGETS.offlineLoginShareOfCeilingLean;
  const tailTarget = TARGETS.statusP99AtHalfPeakVsBare;
  const shares = peaks.map((p) => p.passageLogin.result.rate / p.bareStatus.result.rate);
  const pooledShare = peaks.reduce((s, p) => s + p.passageLogin.result.completed, 0) / Math.max(1, peaks.reduce((s, p) => s + p.bareStatus.result.completed, 0));
  const ratios = tails.map((t) => t.passage.p99Ms / t.bare.p99Ms);
  const pooledBare = pooledQuantile(tails.map((t) => t.bare.latencies ?? new Float64Array()), 0.99);
  const pooledPassage = pooledQuantile(tails.map((t) => t.passage.latencies ?? new Float64Array()), 0.99);
  const lines = [
    `| pair | bare status/s (CPU µs) | Passage offline login/s (CPU µs), share (≥ ${pct(loginTarget)}) | Passage status/s (CPU µs) | status p99 at half peak: bare, Passage (≤ ${tailTarget}×) |`,
    '|--:|--:|--:|--:|--:|',
    ...peaks.map((p, i) => {
      const t = tails[i];
      const tail = t === undefined ? '–' : `${ms(t.bare.p99Ms)}, ${ms(t.passage.p99Ms)} ms (${(t.passage.p99Ms / t.bare.p99Ms).toFixed(1)}×)`;
      return `| ${i + 1} | ${int(p.bareStatus.result.rate)} (${cpuUs(p.bareStatus)}) | ${int(p.passageLogin.result.rate)} (${cpuUs(p.passageLogin)}), ${pct(shares[i]!)} | ${int(p.passageStatus.result.rate)} (${cpuUs(p.passageStatus)}) | ${tail} |`;
    }),
    `| pooled | | ${pct(pooledShare)} | | ${ms(pooledBare)}, ${ms(pooledPassage)} ms (${(pooledPassage / pooledBare).toFixed(1)}×) |`,
    `| median of pairs | | ${pct(median(shares))} | | ${median(ratios).toFixed(1)}× |`,
    `| pairs met | | ${shares.filter((s) => s >= loginTarget).length} of ${shares.length} | | ${ratios.filter((r) => r <= tailTarget).length} of ${ratios.length} |`,
  ];
  const errors = [...peaks.flatMap((p) => [p.bareStatus.result, p.passageLogin.result, p.passageStatus.result]), ...tails.flatMap((t) => [t.bare, t.passage])].reduce((s, r) => s + r.errors + (r.skipped ?? 0), 0);
  if (errors > 0) lines.push('', `warning: ${errors} exchanges failed or were skipped (see the log above)`);
  return lines.join('\n');
}

if (import.meta.main) await main();
