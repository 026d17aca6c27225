// Applying big tables in a running router (issue 19; docs/BENCHMARKS.md, "Applying big tables"). For
// each size: publish with passagectl to a file:// store served over HTTP on 127.0.0.1, then poll it
// from a real router (router/app.ts) through the `http` source, three ways:
//   before   one envelope verified and indexed on the event loop in one go (the old poller's path)
//   single   one envelope verified in a worker thread, applied in slices
//   chunked  a manifest plus chunks, applied in slices
// and measure the apply time, the longest event-loop stall (monitorEventLoopDelay), status-exchange
// latency (handshake + status request → response, back to back) during the apply vs idle, requests
// per poll, chunks read for a one-route change, and heap bytes per route.
// BENCH_GAPS=1 prints every gap over 8 ms with the main thread's CPU time in it.
//   node --expose-gc [--max-semi-space-size=8] scripts/bench/table.ts --apply [--sizes 1000,10000,100000] [--modes before,single,chunked] [--slice-budget MS] [--slice-pause MS] [--off-thread-min-routes N] [--json]
// (The router runs in this process, so its V8 flags are this process's: the image sets --max-semi-space-size=8.)

import { fork } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as perfConstants, monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { pino } from 'pino';
import { run as keysGenerate } from '../../cli/commands/keys-generate.ts';
import { run as publish } from '../../cli/commands/table-publish.ts';
import type { CliContext } from '../../cli/context.ts';
import { startPassage, type RunningPassage } from '../../router/app.ts';
import { buildConfig } from '../../router/config/load.ts';
import type { ActiveTable } from '../../router/routing/active-table.ts';
import { CompactRouteList } from '../../router/routing/compact-routes.ts';
import { HttpTableSource } from '../../router/routing/sources/http.ts';
import { TablePoller } from '../../router/routing/sources/poller.ts';
import { KeyTable } from '../../router/table/key-table.ts';
import { readPublicKeyFile } from '../../router/table/keys.ts';
import { startExchange } from './lib/client.ts';

const silent = pino({ level: 'silent' });
const MAX_BYTES = 64 * 1024 * 1024;

export interface ApplyRow {
  readonly routes: number;
  readonly mode: 'before' | 'single' | 'chunked';
  readonly publishMs: number;
  readonly latestBytes: number;
  readonly chunks: number;
  readonly applyMs: number;
  /** maxStallMs: the larger of monitorEventLoopDelay's max and the longest gap between 1 ms timer callbacks. */
  readonly maxStallMs: number;
  /** The same measure over IDLE_WATCH_MS with the table held, the same pings and no apply. */
  readonly idleStallMs: number;
  /** The most main-thread CPU time in one stall (watchStalls): during the apply, idle, during the one-route change. */
  readonly busyStallMs: number;
  readonly idleBusyMs: number;
  readonly deltaBusyStallMs: number;
  /** The longest major and minor GC pause during the first apply, and during the same watch idle. */
  readonly gc: { readonly apply: GcPauses; readonly idle: GcPauses };
  /** Longest slice of the apply itself (the poller's own measure; GC pauses inside a slice included). */
  readonly longestSliceMs: number;
  readonly pingIdleP99Ms: number;
  readonly pingApplyP99Ms: number;
  readonly pingsDuringApply: number;
  readonly requestsFirstPoll: number;
  readonly requestsUnchangedPoll: number;
  readonly deltaApplyMs: number;
  readonly deltaRequests: number;
  readonly deltaChunksRead: number;
  readonly deltaMaxStallMs: number;
  readonly heapBytesPerRoute: number | null;
  /** Bytes of the table's own arrays outside the V8 heap (route segments, key tables), per route. */
  readonly offHeapBytesPerRoute: number | null;
  /** Whether the first apply built the routes in a worker thread. */
  readonly offThread: boolean;
}

function document(routes: number, version: number, edited = -1): Record<string, unknown> {
  return {
    table_id: 'bench',
    version,
    routes: Array.from({ length: routes }, (_, i) => ({
      id: `route-${i}`,
      hosts: [`play${i}.example.com`, `*.net${i}.example.org`],
      strategy: 'least_players',
      status: { motd: `Route ${i}${i === edited ? ' (edited)' : ''}`, max_players: 500 },
      targets: [
        { id: 'a', address: `10.${(i >> 8) & 255}.${i & 255}.1:25565`, priority: 0, meta: { players: '10' } },
        { id: 'b', address: `10.${(i >> 8) & 255}.${i & 255}.2:25565`, priority: 1, meta: { players: '20' } },
      ],
    })),
  };
}

function quietContext(): CliContext & { out: () => string } {
  let out = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
    isTTY: false,
    json: true,
    now: Date.now,
    clients: {} as CliContext['clients'],
    signal: new AbortController().signal,
    out: () => out,
  } as unknown as CliContext & { out: () => string };
}

/** Serves a directory over HTTP with strong ETags on the latest (If-None-Match → 304), counting requests. */
/** The store's origin, in a child process (servers/store.ts): its work is not the router's. */
async function serveDirectory(dir: string): Promise<{ url: (path: string) => string; requests: () => Promise<number>; close: () => Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./servers/store.ts', import.meta.url)), [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the store server exited (${code})`)));
  });
  return {
    url: (path) => `http://127.0.0.1:${port}/${path}`,
    requests: () => new Promise<number>((resolve) => {
      child.once('message', (m) => resolve((m as { requests: number }).requests));
      child.send('count');
    }),
    close: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.disconnect();
    }),
  };
}

/** One status exchange's latency; a failed one (the router cut it: its deadline passed while the loop was held) counts as Infinity. */
function statusOnce(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    startExchange('status', { port, serverHost: 'play1.example.com' }, (err) => resolve(err === undefined ? performance.now() - started : Number.POSITIVE_INFINITY));
  });
}

/** Back-to-back status exchanges until `until` settles; their latencies. */
async function pingDuring(port: number, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) latencies.push(await statusOnce(port));
  return latencies;
}

/** How long the idle watch (no apply) runs. */
const IDLE_WATCH_MS = 4_000;

/** The longest major and the longest minor GC pause in a watch, as V8 reports them (ms). */
export interface GcPauses {
  readonly major: number;
  readonly minor: number;
}

/**
 * Watches the event loop from now until stop(): `stall`, the longest, the larger of
 * monitorEventLoopDelay's max and the longest gap between 1 ms timer callbacks (two measures of the same
 * thing); `busy`, the most CPU time the main thread spent inside one gap (its own work and the GC pauses
 * it ran); `gc`, the GC pauses among them. A gap much longer than its CPU time is the thread not
 * scheduled: on this 2-vCPU VM the store's origin process, the ping client and V8's helper threads share
 * the cores.
 */

function watchStalls(): { stop: () => { stall: number; busy: number; gc: GcPauses } } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // GC pauses as V8 reports them (the main thread's part): what of a stall the collector took.
  const gc = { major: 0, minor: 0 };
  const since = performance.now();
  const note = (entries: readonly PerformanceEntry[]): void => {
    for (const entry of entries) {
      // Entries arrive after the collection: one that began before the watch (a forced gc()) is not its.
      if (entry.startTime < since) continue;
      const kind = ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major = Math.max(gc.major, entry.duration);
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gc.minor = Math.max(gc.minor, entry.duration);
    }
  };
  const observer = new PerformanceObserver((list) => note(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastCpu = process.threadCpuUsage();
  let gap = 0;
  let busy = 0;
  const sample = (): void => {
    const now = performance.now();
    const cpu = process.threadCpuUsage();
    const cpuMs = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000;
    if (process.env.BENCH_GAPS !== undefined && now - last > 8) process.stderr.write(`gap ${Math.round(now)} ms: ${(now - last).toFixed(1)} ms, ${cpuMs.toFixed(1)} ms CPU\n`);
    gap = Math.max(gap, now - last);
    busy = Math.max(busy, Math.min(cpuMs, now - last));
    last = now;
    lastCpu = cpu;
  };
  const ticker = setInterval(sample, 1);
  return {
    stop: () => {
      sample();
      histogram.disable();
      clearInterval(ticker);
      note(observer.takeRecords());
      observer.disconnect();
      return { stall: Math.max(histogram.max / 1e6, gap), busy, gc: { ...gc } };
    },
  };
}

function p99(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

function heap(): { heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return { heap: process.memoryUsage().heapUsed };
}

/** The bytes a table holds outside the V8 heap: its route segments and its index's key tables. */
function tableArrayBytes(active: ActiveTable): number {
  const routes = active.table.routes instanceof CompactRouteList ? active.table.routes.byteLength : 0;
  const keys = [active.index.exact, active.index.wildcards].reduce((sum, k) => sum + (k instanceof KeyTable ? k.byteLength : 0), 0);
  return routes + keys;
}

async function startRouter(dir: string): Promise<RunningPassage> {
  writeFileSync(join(dir, 'routes.toml'), 'table_id = "bench"\nversion = 0\n[[routes]]\nid = "boot"\nhosts = ["*"]\n[[routes.targets]]\nid = "a"\naddress = "127.0.0.1:25566"\n');
  const config = buildConfig(
    { address: '127.0.0.1:0', admin: { address: '127.0.0.1:0' }, table: { path: 'routes.toml', allow_unsigned: true }, rate_limiter: { enabled: false }, auth: { mode: 'offline' } },
    join(dir, 'passage.toml'),
  );
  return startPassage(config, { log: silent });
}

async function measure(routes: number, mode: ApplyRow['mode'], slices: SliceOptions): Promise<ApplyRow> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-bench-table-'));
  await keysGenerate({ out: dir }, quietContext());
  const keyFile = join(dir, 'passage-signing.key');
  // publish checks envelopes against the default 1 MiB cap; these routers allow MAX_BYTES, so force the big single envelopes.
  const trust = { trust: { publicKeys: [join(dir, 'passage-signing.pub')] }, force: mode !== 'chunked' };
  const chunkAboveBytes = mode === 'chunked' ? 0 : Number.MAX_SAFE_INTEGER;
  const publishVersion = async (version: number, edited = -1): Promise<number> => {
    const file = join(dir, `routes-${version}.json`);
    writeFileSync(file, JSON.stringify(document(routes, version, edited)));
    const t0 = performance.now();
    await publish({ file, to: `file://${join(dir, 'store', 'table.json')}`, keys: [keyFile], expiresInMs: 3_600_000, ...trust, chunkAboveBytes }, quietContext());
    return performance.now() - t0;
  };
  const publishMs = await publishVersion(1);
  const http = await serveDirectory(join(dir, 'store'));
  const router = await startRouter(dir);
  const port = router.address.port;
  const poller = new TablePoller({
    source: new HttpTableSource({ url: http.url('table.json'), maxBytes: MAX_BYTES }),
    store: router.router.ctx.tables,
    trustedKeys: [await readPublicKeyFile(join(dir, 'passage-signing.pub'))],
    expectedTableId: 'bench',
    allowUnsigned: false,
    maxBytes: MAX_BYTES,
    intervalMs: 3_600_000,
    log: silent,
    // `before`: the old poller's path, everything on the loop in one go.
    ...(mode === 'before' ? { inlineVerifyMaxBytes: Number.MAX_SAFE_INTEGER, sliceBudgetMs: Number.MAX_SAFE_INTEGER, assembleOffThreadMinRoutes: Number.POSITIVE_INFINITY } : { ...slices }),
  });
  try {
    // A running router has fetched before (every poll): the first fetch() of a process loads undici.
    await (await fetch(http.url('warm-up'))).arrayBuffer();
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) idle.push(await statusOnce(port));
    const heapBefore = heap();

    const applyOnce = async (): Promise<{ ms: number; stall: number; busy: number; gc: GcPauses; pings: number[]; requests: number }> => {
      const requestsBefore = await http.requests();
      const stalls = watchStalls();
      const t0 = performance.now();
      const applied = poller.pollOnce().then((outcome) => {
        if (outcome.kind !== 'applied') throw new Error(`${mode} ${routes}: ${JSON.stringify(outcome)}`);
        if (process.env.BENCH_GAPS !== undefined) process.stderr.write(`apply ${Math.round(t0)}..${Math.round(performance.now())} ms\n`);
        return performance.now() - t0;
      });
      const pings = await pingDuring(port, applied);
      const ms = await applied;
      return { ms, ...stalls.stop(), pings, requests: (await http.requests()) - requestsBefore };
    };
    const first = await applyOnce();
    const firstSlice = poller.lastApply()?.longestSliceMs ?? 0;
    const firstOffThread = poller.lastApply()?.offThread ?? false;
    const firstOffHeap = tableArrayBytes(router.router.ctx.tables.current!);
    const heapAfter = heap();
    // The same watch with the table held and no apply: what this process stalls anyway under the same pings.
    const idleWatch = watchStalls();
    await pingDuring(port, new Promise((resolve) => setTimeout(resolve, IDLE_WATCH_MS)));
    const quiet = idleWatch.stop();
    const requestsUnchanged = (await http.requests());
    await poller.pollOnce();
    const unchanged = (await http.requests()) - requestsUnchanged;

    await publishVersion(2, Math.floor(routes / 2));
    // The publisher ran in this process; a router never holds its garbage (hundreds of MB at 100,000 routes).
    heap();
    const delta = await applyOnce();
    return {
      routes,
      mode,
      publishMs,
      latestBytes: statSync(join(dir, 'store', 'table.json')).size,
      chunks: poller.lastApply()?.chunks ?? 0,
      applyMs: first.ms,
      maxStallMs: first.stall,
      busyStallMs: first.busy,
      idleStallMs: quiet.stall,
      idleBusyMs: quiet.busy,
      longestSliceMs: firstSlice,
      pingIdleP99Ms: p99(idle),
      pingApplyP99Ms: p99(first.pings),
      pingsDuringApply: first.pings.length,
      requestsFirstPoll: first.requests,
      requestsUnchangedPoll: unchanged,
      deltaApplyMs: delta.ms,
      deltaRequests: delta.requests,
      deltaChunksRead: poller.lastApply()?.chunksRead ?? 0,
      deltaMaxStallMs: delta.stall,
      deltaBusyStallMs: delta.busy,
      gc: { apply: first.gc, idle: quiet.gc },
      heapBytesPerRoute: (globalThis as { gc?: unknown }).gc === undefined ? null : Math.round((heapAfter.heap - heapBefore.heap) / routes),
      // Counted from the table itself: segments built in a worker thread are SharedArrayBuffers, which the
      // main thread's process.memoryUsage().arrayBuffers does not count.
      offHeapBytesPerRoute: (globalThis as { gc?: unknown }).gc === undefined ? null : Math.round(firstOffHeap / routes),
      offThread: firstOffThread,
    };
  } finally {
    await poller.stop();
    await router.stop(0);
    await http.close();
  }
}

export const APPLY_MODES = ['before', 'single', 'chunked'] as const;

/** The poller's slices and worker-thread threshold; absent ones take the router's defaults (DEFAULT_SLICE_BUDGET_MS, DEFAULT_SLICE_PAUSE_MS, ASSEMBLE_OFF_THREAD_MIN_ROUTES). */
export interface SliceOptions {
  readonly sliceBudgetMs?: number;
  readonly slicePauseMs?: number;
  readonly assembleOffThreadMinRoutes?: number;
}

export async function runApplyBenchmark(sizes: readonly number[], modes: readonly ApplyRow['mode'][] = APPLY_MODES, slices: SliceOptions = {}): Promise<ApplyRow[]> {
  const rows: ApplyRow[] = [];
  for (const routes of sizes) for (const mode of modes) rows.push(await measure(routes, mode, slices));
  return rows;
}

export function applyTable(rows: readonly ApplyRow[]): string {
  const f = (n: number): string => (Number.isNaN(n) ? '–' : n === Number.POSITIVE_INFINITY ? 'failed' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en'));
  const lines = [
    '| routes | mode | publish | latest object | apply | longest stall, busy: apply (longest slice) / idle | longest GC pause, major, minor: apply / idle | status p99 idle → during apply (n) | requests: first / unchanged poll | one-route change: apply, stall, busy, requests, chunks read | per route: heap + table arrays |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.routes.toLocaleString('en')} | ${r.mode} | ${f(r.publishMs)} ms | ${(r.latestBytes / 1024).toFixed(0)} KiB${r.chunks > 0 && r.mode === 'chunked' ? ` + ${r.chunks} chunks` : ''} | ${f(r.applyMs)} ms | ${f(r.maxStallMs)}, ${f(r.busyStallMs)} ms (${r.mode === 'before' ? '–' : r.offThread ? 'worker thread' : `${f(r.longestSliceMs)} ms`}) / ${f(r.idleStallMs)}, ${f(r.idleBusyMs)} ms | ${f(r.gc.apply.major)}, ${f(r.gc.apply.minor)} / ${f(r.gc.idle.major)}, ${f(r.gc.idle.minor)} ms | ${f(r.pingIdleP99Ms)} → ${f(r.pingApplyP99Ms)} ms (${r.pingsDuringApply}) | ${r.requestsFirstPoll} / ${r.requestsUnchangedPoll} | ${f(r.deltaApplyMs)} ms, ${f(r.deltaMaxStallMs)}, ${f(r.deltaBusyStallMs)} ms, ${r.deltaRequests}, ${r.mode === 'chunked' ? r.deltaChunksRead : '–'} | ${r.heapBytesPerRoute === null ? '–' : `${r.heapBytesPerRoute} + ${r.offHeapBytesPerRoute} B`} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
