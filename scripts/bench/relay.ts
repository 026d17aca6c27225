#!/usr/bin/env node
// The passthrough relay benchmark (docs/BENCHMARKS.md, "Passthrough relay"): bulk throughput and
// small-message round trips on loopback, directly to a backend, through Passage (a passthrough
// route) and through HAProxy in TCP mode; CPU seconds per GB relayed for the two relays. Every
// server runs in its own process; the client runs here.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { cpuSecondsOf, freePort, startListeningChild, startReportingChild } from './lib/processes.ts';
import type { ServerChild } from './lib/processes.ts';
import { formatProfile, summarizeProfile } from './lib/profile.ts';

const HELP = `Usage: node scripts/bench/relay.ts [options]

Bulk throughput and small-message round-trip latency on loopback: direct, through Passage
(passthrough route) and through HAProxy (TCP mode, Debian package), plus CPU per GB relayed.

Options:
  --mib N            MiB sent per throughput run (default 2048)
  --streams LIST     parallel connections per throughput run, comma-separated (default 1,4)
  --directions LIST  up (client → backend), down (backend → client), comma-separated (default up)
  --rounds N         throughput runs per row; the table shows the median (default 3)
  --round-trips N    measured round trips per latency run (default 20000)
  --message B        bytes per round-trip message (default 64)
  --haproxy-threads N  HAProxy nbthread (default 1: one thread, like Passage's one event loop)
  --router FILE      relay through this router entry instead of router/main.ts (A/B a change)
  --profile DIR      run the router with --cpu-prof, write its profile to DIR and print where
                     its CPU went (the whole run: start-up, every row, the round trips)
  --router-node-flags=FLAGS  more Node flags for the router process, space-separated, after an
                     "=" (e.g. --router-node-flags=--trace-gc: one line per collection)
  --no-haproxy       skip HAProxy
  --no-iperf         skip the iperf3 reference
  --json FILE        also write the raw results as JSON
  -h, --help         show this help`;

const REPO = resolve(import.meta.dirname, '../..');
const CHUNK_BYTES = 256 * 1024;
/** Bounded waits: a stuck run fails instead of hanging the benchmark. */
const RUN_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 15_000;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        mib: { type: 'string', default: '2048' },
        streams: { type: 'string', default: '1,4' },
        directions: { type: 'string', default: 'up' },
        rounds: { type: 'string', default: '3' },
        'round-trips': { type: 'string', default: '20000' },
        message: { type: 'string', default: '64' },
        'haproxy-threads': { type: 'string', default: '1' },
        router: { type: 'string' },
        'router-node-flags': { type: 'string', default: '' },
        profile: { type: 'string' },
        'no-haproxy': { type: 'boolean', default: false },
        'no-iperf': { type: 'boolean', default: false },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
})();
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const TOTAL_BYTES = positiveInt('mib', args.mib) * 1024 * 1024;
const STREAMS = args.streams.split(',').map((s) => positiveInt('streams', s));
type Direction = 'up' | 'down';
const DIRECTIONS: Direction[] = args.directions.split(',').map((d) => (d === 'up' || d === 'down' ? d : fail(`--directions takes up and down, got ${JSON.stringify(d)}`)));
const ROUNDS = positiveInt('rounds', args.rounds);
const ROUND_TRIPS = positiveInt('round-trips', args['round-trips']);
const MESSAGE_BYTES = positiveInt('message', args.message);
const HAPROXY_THREADS = positiveInt('haproxy-threads', args['haproxy-threads']);
const PROFILE = args.profile === undefined ? undefined : join(resolve(args.profile), 'passage-relay.cpuprofile');
const ROUTER_NODE_FLAGS = args['router-node-flags'].split(/\s+/).filter((f) => f !== '');
for (const f of ROUTER_NODE_FLAGS) if (!f.startsWith('--')) fail(`--router-node-flags takes Node flags (--name[=value]), got ${JSON.stringify(f)}`);
if (PROFILE !== undefined) ROUTER_NODE_FLAGS.push('--cpu-prof', `--cpu-prof-dir=${resolve(args.profile as string)}`, '--cpu-prof-name=passage-relay.cpuprofile');

/** What a player sends before anything else: Passage routes on the handshake host. Same length for both hosts. */
function prefixFor(host: string): Buffer {
  return Buffer.concat([
    encodeHandshake({ protocol: 769, host, port: 25565, intent: 2 }),
    new PacketWriter().string('Bench').uuid('00000000000000000000000000000000').packet(0x00),
  ]);
}
const PREFIX = { sink: prefixFor('sink.bench'), echo: prefixFor('echo.bench'), source: prefixFor('down.bench') };

// --- processes -------------------------------------------------------------------------------------

async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${name}: port ${port} not open within ${READY_TIMEOUT_MS} ms`);
}

interface Relay {
  readonly name: string;
  readonly sinkPort: number;
  readonly echoPort: number;
  readonly sourcePort: number;
  /** CPU seconds of the relay process; undefined for the direct path. */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

async function startPassage(dir: string, sink: number, echo: number, source: number): Promise<Relay> {
  const port = await freePort();
  const admin = await freePort();
  writeFileSync(
    join(dir, 'routes.toml'),
    ['table_id = "bench"', 'version = 1',
      '[[routes]]', 'id = "sink"', 'hosts = ["sink.bench"]', 'mode = "passthrough"', '[[routes.targets]]', 'id = "sink"', `address = "127.0.0.1:${sink}"`,
      '[[routes]]', 'id = "echo"', 'hosts = ["echo.bench"]', 'mode = "passthrough"', '[[routes.targets]]', 'id = "echo"', `address = "127.0.0.1:${echo}"`,
      '[[routes]]', 'id = "down"', 'hosts = ["down.bench"]', 'mode = "passthrough"', '[[routes.targets]]', 'id = "down"', `address = "127.0.0.1:${source}"`,
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'passage.toml'),
    [`address = "127.0.0.1:${port}"`, 'timeout = "10m"', '[admin]', `address = "127.0.0.1:${admin}"`, '[auth]', 'mode = "offline"',
      '[rate_limiter]', 'enabled = false', '[table]', 'allow_unsigned = true', `path = "${join(dir, 'routes.toml')}"`, `cache_file = "${join(dir, 'cache.json')}"`, '[log]', 'level = "warn"',
    ].join('\n') + '\n',
  );
  const child: ServerChild = await startListeningChild('passage', [...ROUTER_NODE_FLAGS, resolve(args.router ?? join(REPO, 'router/main.ts')), '--config', join(dir, 'passage.toml')], port);
  // Both routes share one listener; the handshake host picks the backend.
  return { name: 'Passage', sinkPort: port, echoPort: port, sourcePort: port, cpuSeconds: () => child.cpuSeconds(), stop: () => child.stop() };
}

async function startHaproxy(dir: string, sink: number, echo: number, source: number): Promise<Relay> {
  const [sinkPort, echoPort, sourcePort] = [await freePort(), await freePort(), await freePort()];
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global', `  nbthread ${HAPROXY_THREADS}`, '  maxconn 1024',
      'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 10m', '  timeout server 10m',
      `listen sink`, `  bind 127.0.0.1:${sinkPort}`, `  server sink 127.0.0.1:${sink}`,
      `listen echo`, `  bind 127.0.0.1:${echoPort}`, `  server echo 127.0.0.1:${echo}`,
      `listen source`, `  bind 127.0.0.1:${sourcePort}`, `  server source 127.0.0.1:${source}`,
    ].join('\n') + '\n',
  );
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Not installed is the machine's state, not the bench's bug: one line that says what to do.
  const missing = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new BenchSetupError('haproxy is not installed: apt-get install haproxy, or run with --no-haproxy') : err);
    });
  });
  missing.catch(() => {});
  await Promise.race([missing, (async () => {
    await waitForPort(sinkPort, child, 'haproxy');
    await waitForPort(echoPort, child, 'haproxy');
    await waitForPort(sourcePort, child, 'haproxy');
  })()]);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: `HAProxy ${HAPROXY_THREADS === 1 ? '(1 thread)' : `(${HAPROXY_THREADS} threads)`}`,
    sinkPort,
    echoPort,
    sourcePort,
    cpuSeconds: () => cpuSecondsOf(child.pid as number),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// --- measurements ----------------------------------------------------------------------------------

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS))),
  ]);
}

async function open(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/** Sends `bytes` after the prefix as fast as the socket takes them, half-closes, waits for the sink's count. */
async function bulkStream(port: number, bytes: number): Promise<void> {
  const socket = await open(port);
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x5a);
  const replies: Buffer[] = [];
  socket.on('data', (c: Buffer) => replies.push(c));
  const ended = once(socket, 'end');
  socket.write(PREFIX.sink);
  for (let sent = 0; sent < bytes; ) {
    const n = Math.min(CHUNK_BYTES, bytes - sent);
    sent += n;
    if (!socket.write(n === CHUNK_BYTES ? chunk : chunk.subarray(0, n))) await once(socket, 'drain');
  }
  socket.end();
  await ended;
  socket.destroy();
  const reply = Buffer.concat(replies);
  const counted = reply.length === 8 ? Number(reply.readBigUInt64BE()) : -1;
  if (counted !== bytes) throw new Error(`sink counted ${counted} bytes, sent ${bytes}`);
}

/** Asks the source backend for `bytes` and reads them until it closes. */
async function downloadStream(port: number, bytes: number): Promise<void> {
  const socket = await open(port);
  let received = 0;
  socket.on('data', (c: Buffer) => (received += c.length));
  const ended = once(socket, 'end');
  const count = Buffer.alloc(8);
  count.writeBigUInt64BE(BigInt(bytes));
  socket.write(Buffer.concat([PREFIX.source, count]));
  await ended;
  socket.destroy();
  if (received !== bytes) throw new Error(`received ${received} bytes from the source, asked for ${bytes}`);
}

interface ThroughputResult {
  readonly direction: Direction;
  readonly path: string;
  readonly streams: number;
  /** The median of `roundGbits`. */
  readonly gbitPerSecond: number;
  /** Each round's throughput; round i of every path ran back to back. */
  readonly roundGbits: readonly number[];
  /** Relay CPU seconds per GB (10^9 bytes) relayed; undefined for the direct path. */
  readonly cpuSecondsPerGB: number | undefined;
}

async function throughput(relay: Relay | undefined, backend: { sink: number; source: number }, direction: Direction, streams: number, bytes: number): Promise<{ gbit: number; cpuPerGB: number | undefined }> {
  const port = direction === 'up' ? relay?.sinkPort ?? backend.sink : relay?.sourcePort ?? backend.source;
  const stream = direction === 'up' ? bulkStream : downloadStream;
  const perStream = Math.floor(bytes / streams);
  const cpuBefore = relay?.cpuSeconds();
  const started = process.hrtime.bigint();
  await withTimeout(Promise.all(Array.from({ length: streams }, () => stream(port, perStream))), 'throughput run');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = relay?.cpuSeconds();
  const total = perStream * streams;
  const cpuPerGB = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / (total / 1e9);
  return { gbit: (total * 8) / seconds / 1e9, cpuPerGB };
}

interface LatencyResult {
  readonly path: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

/** One connection, one message in flight: send, wait for the whole echo, repeat. Microseconds. */
async function latency(port: number, trips: number): Promise<number[]> {
  const socket = await open(port);
  const message = Buffer.alloc(MESSAGE_BYTES, 0x61);
  let waiting = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    waiting -= c.length;
    if (waiting <= 0 && wake !== undefined) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  socket.write(PREFIX.echo);
  const roundTrip = (): Promise<void> =>
    new Promise<void>((r) => {
      wake = r;
      waiting += MESSAGE_BYTES;
      socket.write(message);
    });
  const warmup = Math.min(2000, trips);
  for (let i = 0; i < warmup; i++) await roundTrip();
  const samples: number[] = [];
  for (let i = 0; i < trips; i++) {
    const t0 = process.hrtime.bigint();
    await roundTrip();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  socket.destroy();
  return samples;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function iperfReference(): Promise<number | undefined> {
  const port = await freePort();
  // Not `-1`: the readiness probe below would be its one client.
  const server = spawn('iperf3', ['-s', '-p', String(port)], { stdio: 'ignore' });
  server.on('error', () => {});
  try {
    await waitForPort(port, server, 'iperf3');
  } catch {
    return undefined;
  }
  const client = spawn('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '5', '-J'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  client.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await withTimeout(once(client, 'exit'), 'iperf3');
  server.kill('SIGKILL');
  try {
    const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e9;
  } catch {
    return undefined;
  }
}

// --- run -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-relay-bench-'));
  const children: { stop(): Promise<void> }[] = [];
  try {
    const backendScript = join(REPO, 'scripts/bench/servers/relay-backend.ts');
    const sink = await startReportingChild('sink', backendScript, ['sink', String(PREFIX.sink.length)]);
    children.push(sink);
    const echo = await startReportingChild('echo', backendScript, ['echo', String(PREFIX.echo.length)]);
    children.push(echo);
    const source = await startReportingChild('source', backendScript, ['source', String(PREFIX.source.length)]);
    children.push(source);
    const backends = { sink: sink.port, source: source.port };
    const passage = await startPassage(dir, sink.port, echo.port, source.port);
    children.push(passage);
    const relays: (Relay | undefined)[] = [undefined, passage];
    if (!args['no-haproxy']) {
      const haproxy = await startHaproxy(dir, sink.port, echo.port, source.port);
      children.push(haproxy);
      relays.push(haproxy);
    }
    const iperf = args['no-iperf'] ? undefined : await iperfReference();

    const results: ThroughputResult[] = [];
    for (const direction of DIRECTIONS) {
      for (const streams of STREAMS) {
        for (const relay of relays) {
          process.stderr.write(`throughput ${direction}: ${relay?.name ?? 'direct'}, ${streams} stream(s), warm-up…\n`);
          await throughput(relay, backends, direction, streams, Math.min(TOTAL_BYTES, 256 * 1024 * 1024));
        }
        // Round by round, every path once, in an order that rotates: a burst of the machine's noise
        // lands on one round of every path instead of on every round of one path.
        const runs = relays.map(() => [] as { gbit: number; cpuPerGB: number | undefined }[]);
        for (let i = 0; i < ROUNDS; i++) {
          for (let k = 0; k < relays.length; k++) {
            const at = (i + k) % relays.length;
            process.stderr.write(`throughput ${direction}: ${relays[at]?.name ?? 'direct'}, ${streams} stream(s), round ${i + 1}…\n`);
            runs[at]!.push(await throughput(relays[at], backends, direction, streams, TOTAL_BYTES));
          }
        }
        relays.forEach((relay, at) => {
          const cpu = runs[at]!.map((r) => r.cpuPerGB).filter((c): c is number => c !== undefined);
          const gbits = runs[at]!.map((r) => r.gbit);
          results.push({ direction, path: relay?.name ?? 'direct', streams, gbitPerSecond: median(gbits), roundGbits: gbits, cpuSecondsPerGB: cpu.length === 0 ? undefined : median(cpu) });
        });
      }
    }
    const latencies: LatencyResult[] = [];
    for (const relay of relays) {
      const path = relay?.name ?? 'direct';
      process.stderr.write(`latency: ${path}…\n`);
      const samples = (await withTimeout(latency(relay?.echoPort ?? echo.port, ROUND_TRIPS), 'latency run')).sort((a, b) => a - b);
      latencies.push({
        path,
        p50: percentile(samples, 50),
        p90: percentile(samples, 90),
        p99: percentile(samples, 99),
        mean: samples.reduce((a, b) => a + b, 0) / samples.length,
      });
    }
    process.stdout.write(report(results, latencies, iperf));
    if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ throughput: results, latency: latencies, iperfGbit: iperf }, null, 2));
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  // The router writes its profile as it exits, so only now.
  if (PROFILE !== undefined) process.stdout.write(`\n${formatProfile(`profile of Passage (${PROFILE})`, summarizeProfile(PROFILE))}\n`);
}

function report(results: ThroughputResult[], latencies: LatencyResult[], iperf: number | undefined): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Loopback, ${cpus().length} × ${cpu}, Node ${process.version}; ${args.mib} MiB per throughput run, median of ${ROUNDS}; ${ROUND_TRIPS} round trips of ${MESSAGE_BYTES} B.`,
    iperf === undefined ? '' : `iperf3 reference (loopback, 1 stream, 5 s): ${iperf.toFixed(1)} Gbit/s.`,
    '',
    '| direction | path | streams | throughput (Gbit/s) | vs HAProxy (median of the rounds\' ratios) | relay CPU s per GB |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const haproxy = results.find((h) => h.direction === r.direction && h.streams === r.streams && h.path.startsWith('HAProxy'));
    const ratio = haproxy === undefined || r.path === 'direct' ? '' : `${Math.round(median(r.roundGbits.map((g, i) => g / haproxy.roundGbits[i]!)) * 100)}%`;
    lines.push(`| ${r.direction === 'up' ? 'client → backend' : 'backend → client'} | ${r.path} | ${r.streams} | ${r.gbitPerSecond.toFixed(2)} | ${ratio} | ${r.cpuSecondsPerGB === undefined ? '' : r.cpuSecondsPerGB.toFixed(3)} |`);
  }
  const direct = latencies.find((l) => l.path === 'direct');
  lines.push('', '| path | p50 (µs) | p90 (µs) | p99 (µs) | mean (µs) | added p50 (µs) |', '| --- | --- | --- | --- | --- | --- |');
  for (const l of latencies) {
    const added = direct === undefined || l === direct ? '' : (l.p50 - direct.p50).toFixed(0);
    lines.push(`| ${l.path} | ${l.p50.toFixed(0)} | ${l.p90.toFixed(0)} | ${l.p99.toFixed(0)} | ${l.mean.toFixed(0)} | ${added} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The machine lacks something the bench needs: reported in one line, no stack. */
class BenchSetupError extends Error {}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof BenchSetupError ? `bench: ${err.message}\n` : `bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
