// Applying big tables in a running router (issue 19; docs/BENCHMARKS.md, "Applying big tables"). For
// each size: publish with passagectl to a file:// store served over HTTP on 127.0.0.1, then poll it
// from a real router (router/app.ts) through the `http` source, three ways:
//   before   one envelope verified and indexed on the event loop in one go (the old poller's path)
//   single   one envelope verified in a worker thread, applied in slices
//   chunked  a manifest plus chunks, applied in slices
// and measure the apply time, the longest event-loop stall (monitorEventLoopDelay), status-exchange
// latency (handshake + status request → response, back to back) during the apply vs idle, requests
// per poll, chunks read for a one-route change, and heap bytes per route.
//   node --expose-gc [--max-semi-space-size=8] scripts/bench/table.ts --apply [--sizes 1000,10000,100000] [--modes before,single,chunked] [--slice-pause MS] [--json]
// (The router runs in this process, so its V8 flags are this process's: the image sets --max-semi-space-size=8.)

import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { run as keysGenerate } from '../../cli/commands/keys-generate.ts';
import { run as publish } from '../../cli/commands/table-publish.ts';
import type { CliContext } from '../../cli/context.ts';
import { startPassage, type RunningPassage } from '../../router/app.ts';
import { buildConfig } from '../../router/config/load.ts';
import { HttpTableSource } from '../../router/routing/sources/http.ts';
import { TablePoller } from '../../router/routing/sources/poller.ts';
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
  readonly maxStallMs: number;
  /** maxStallMs: the larger of monitorEventLoopDelay's max and the longest gap between 1 ms timer callbacks. */
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
async function serveDirectory(dir: string): Promise<{ server: Server; url: (path: string) => string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    let body: Buffer;
    try {
      body = readFileSync(join(dir, path));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${statSync(join(dir, path)).mtimeMs}-${body.length}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, etag }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: (path) => `http://127.0.0.1:${port}/${path}`, requests: () => requests };
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

function p99(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function startRouter(dir: string): Promise<RunningPassage> {
  writeFileSync(join(dir, 'routes.toml'), 'table_id = "bench"\nversion = 0\n[[routes]]\nid = "boot"\nhosts = ["*"]\n[[routes.targets]]\nid = "a"\naddress = "127.0.0.1:25566"\n');
  const config = buildConfig(
    { address: '127.0.0.1:0', admin: { address: '127.0.0.1:0' }, table: { path: 'routes.toml', allow_unsigned: true }, rate_limiter: { enabled: false }, auth: { mode: 'offline' } },
    join(dir, 'passage.toml'),
  );
  return startPassage(config, { log: silent });
}

async function measure(routes: number, mode: ApplyRow['mode'], slicePauseMs: number | undefined): Promise<ApplyRow> {
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
    ...(mode === 'before' ? { inlineVerifyMaxBytes: Number.MAX_SAFE_INTEGER, sliceBudgetMs: Number.MAX_SAFE_INTEGER } : { slicePauseMs }),
  });
  try {
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) idle.push(await statusOnce(port));
    const heapBefore = heap();

    const applyOnce = async (): Promise<{ ms: number; stall: number; pings: number[]; requests: number }> => {
      const requestsBefore = http.requests();
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      // A second measure of the same thing: the longest gap between 1 ms timer callbacks.
      let last = performance.now();
      let gap = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }, 1);
      const t0 = performance.now();
      const applied = poller.pollOnce().then((outcome) => {
        if (outcome.kind !== 'applied') throw new Error(`${mode} ${routes}: ${JSON.stringify(outcome)}`);
        return performance.now() - t0;
      });
      const pings = await pingDuring(port, applied);
      const ms = await applied;
      histogram.disable();
      clearInterval(ticker);
      gap = Math.max(gap, performance.now() - last);
      return { ms, stall: Math.max(histogram.max / 1e6, gap), pings, requests: http.requests() - requestsBefore };
    };
    const first = await applyOnce();
    const firstSlice = poller.lastApply()?.longestSliceMs ?? 0;
    const heapAfter = heap();
    const requestsUnchanged = http.requests();
    await poller.pollOnce();
    const unchanged = http.requests() - requestsUnchanged;

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
      heapBytesPerRoute: (globalThis as { gc?: unknown }).gc === undefined ? null : Math.round((heapAfter - heapBefore) / routes),
    };
  } finally {
    await poller.stop();
    await router.stop(0);
    await new Promise((resolve) => http.server.close(resolve));
  }
}

export const APPLY_MODES = ['before', 'single', 'chunked'] as const;

/** `slicePauseMs`: the rest between slices (default: the router's, DEFAULT_SLICE_PAUSE_MS). */
export async function runApplyBenchmark(sizes: readonly number[], modes: readonly ApplyRow['mode'][] = APPLY_MODES, slicePauseMs?: number): Promise<ApplyRow[]> {
  const rows: ApplyRow[] = [];
  for (const routes of sizes) for (const mode of modes) rows.push(await measure(routes, mode, slicePauseMs));
  return rows;
}

export function applyTable(rows: readonly ApplyRow[]): string {
  const f = (n: number): string => (Number.isNaN(n) ? '–' : n === Number.POSITIVE_INFINITY ? 'failed' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en'));
  const lines = [
    '| routes | mode | publish | latest object | apply | longest stall (longest slice) | status p99 idle → during apply (n) | requests: first / unchanged poll | one-route change: apply, stall, requests, chunks read | heap per route |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.routes.toLocaleString('en')} | ${r.mode} | ${f(r.publishMs)} ms | ${(r.latestBytes / 1024).toFixed(0)} KiB${r.chunks > 0 && r.mode === 'chunked' ? ` + ${r.chunks} chunks` : ''} | ${f(r.applyMs)} ms | ${f(r.maxStallMs)} ms (${r.mode === 'before' ? '–' : `${f(r.longestSliceMs)} ms`}) | ${f(r.pingIdleP99Ms)} → ${f(r.pingApplyP99Ms)} ms (${r.pingsDuringApply}) | ${r.requestsFirstPoll} / ${r.requestsUnchangedPoll} | ${f(r.deltaApplyMs)} ms, ${f(r.deltaMaxStallMs)} ms, ${r.deltaRequests}, ${r.mode === 'chunked' ? r.deltaChunksRead : '–'} | ${r.heapBytesPerRoute === null ? '–' : `${r.heapBytesPerRoute} B`} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
