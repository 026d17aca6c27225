// The reliability suite: each scenario starts a fresh router process, keeps a real minecraft-protocol
// client logging in and a status probe pinging, runs one attack from a separate process, and reports
// what the real client saw. Everything stays on 127.0.0.0/8 and is bounded in count and time.
//
//   node scripts/reliability/run.ts            # full run (≈ 3 min), rewrites docs/RELIABILITY.md
//   node scripts/reliability/run.ts --quick    # scaled-down smoke run, prints only
//   node scripts/reliability/run.ts --only fuzz,flood
//   node scripts/reliability/run.ts --router dist/router/main.js --node-args=--max-semi-space-size=4
//
// Needs `ulimit -n` ≥ 12000 for the idle-socket scenario (10,000 sockets on each side).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startPlayer, startProbe } from './player.ts';
import type { PlayerStats, ProbeStats } from './player.ts';
import { startRouterProcess } from './router-process.ts';
import type { RouterProcess } from './router-process.ts';
import { startChaosSessionServer } from './session-server.ts';
import type { ChaosSessionServer } from './session-server.ts';
import { mib, ms, percentile } from './stats.ts';
import { argsOrExit } from '../bench/lib/args.ts';

const USAGE = 'Usage: node scripts/reliability/run.ts [--quick] [--only LIST] [--out FILE] [--router FILE] [--node-args=FLAGS]';
const { values: args } = argsOrExit('reliability', USAGE, () => parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' }, router: { type: 'string' }, 'node-args': { type: 'string' } } }));
/** The router entry point (`--router dist/router/main.js` after `npm run build`) and extra Node flags for it. */
const ROUTER_MAIN = args.router === undefined ? undefined : resolve(args.router);
const ROUTER_NODE_ARGS = args['node-args']?.split(' ').filter((a) => a !== '') ?? [];
const quick = args.quick === true;
const scale = (full: number, small: number): number => (quick ? small : full);
const ATTACK = new URL('./attack.ts', import.meta.url).pathname;
const VERSION = '1.21.4';
const PLAYER_POOL = 2;
const PROBE_POOL = 3;

const ROUTES = `table_id = "reliability"
version = 1
[[routes]]
id = "main"
hosts = ["play.test"]
[routes.status]
motd = "Reliability"
max_players = 1000
[[routes.targets]]
id = "backend"
address = "127.0.0.1:25599"
[[routes]]
id = "relay"
hosts = ["relay.test"]
mode = "passthrough"
[routes.status]
motd = "Relay"
max_players = 10
[[routes.targets]]
id = "refusing"
address = "127.0.0.1:1"
`;

/** Production-like limits, with a 10 s window so a run can show the limiter at work. */
const BASE = `timeout = "60s"
[auth]
mode = "offline"
[rate_limiter]
duration = "10s"
size = 20
status_size = 20
`;

interface Row {
  name: string;
  attack: string;
  outcome: string;
  player: PlayerStats;
  probe: ProbeStats;
  peakRss: number;
  logLines: number;
  extra?: string;
}

/** Runs the attack process; `onEvent` sees its progress lines (e.g. "all sockets open"). */
function attack(kind: string, opts: object, onEvent: (e: Record<string, unknown>) => void = () => {}): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ATTACK, kind, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: Record<string, any> | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const j = JSON.parse(line) as Record<string, unknown>;
      if ('result' in j) result = j.result as Record<string, any>;
      else onEvent(j);
    });
    child.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`attack ${kind} exited with ${code}`))));
  });
}

interface Scenario {
  readonly name: string;
  readonly attack: string;
  readonly config?: string;
  readonly online?: boolean;
  run(ctx: { router: RouterProcess; session: ChaosSessionServer | undefined; note: (s: string) => void; stopMeasuring: () => Promise<void> }): Promise<string>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    attack: 'none',
    async run() {
      await sleep(scale(10_000, 3000));
      return '–';
    },
  },
  {
    name: 'fuzz',
    attack: `${scale(100_000, 5000).toLocaleString('en')} connections of random bytes and mutated valid packets (handshake, status, Login Start, legacy ping, PROXY v1/v2), random chunking, from 4,064 IPs; half of them trusted proxies`,
    config: '[proxy_protocol]\nenabled = true\ntrusted_proxies = ["127.10.8.0/21"]\n',
    async run({ router, note }) {
      const r = await attack('fuzz', { port: router.port, connections: scale(100_000, 5000), concurrency: 200, pool: 10, poolSize: 4064, lingerMs: 100, seed: 20240601, maxMs: 240_000 });
      const kinds = await router.breakdown('passage_errors_total', 'kind');
      note(`errors counted by kind: ${kinds.map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}`);
      return `${r.connections.toLocaleString('en')} connections in ${r.seconds.toFixed(0)} s: ${r.router_closed.toLocaleString('en')} closed by the router, ${r.client_cut.toLocaleString('en')} cut by the fuzzer after ≤ 100 ms, ${r.connect_error} connect errors`;
    },
  },
  {
    name: 'slowloris',
    attack: `${scale(2000, 300).toLocaleString('en')} sockets trickling a Login handshake 1 byte / 500 ms, 10 per IP`,
    async run({ router }) {
      const r = await attack('slowloris', { port: router.port, sockets: scale(2000, 300), perIp: 10, gapMs: 500, pool: 11, waitMs: 15_000 });
      return `${r.opened} opened; ${r.closedByRouter} cut by the router at the 5 s handshake deadline (longest lived ${(r.maxLifetimeMs / 1000).toFixed(1)} s), ${r.stillOpen} still open`;
    },
  },
  {
    name: 'idle',
    attack: `${scale(10_000, 1000).toLocaleString('en')} sockets that connect and send nothing, 10 per IP (handshake_timeout 15 s, max_pending 12,000)`,
    config: '[limits]\nhandshake_timeout = "15s"\nmax_pending = 12000\n',
    async run({ router, note }) {
      await sleep(1000);
      const before = router.currentRss();
      let during = 0;
      let opened = 0;
      const r = await attack('idle', { port: router.port, sockets: scale(10_000, 1000), perIp: 10, pool: 12, waitMs: 25_000 }, (e) => {
        if (e.event === 'opened') {
          opened = Number(e.opened);
          // Let the router finish accepting, then read its RSS while every socket is held.
          setTimeout(() => (during = router.currentRss()), 1500);
        }
      });
      const perSocket = (during - before) / Math.max(1, opened);
      note(`RSS ${mib(before)} before, ${mib(during)} with ${opened.toLocaleString('en')} idle sockets held: ≈ ${(perSocket / 1024).toFixed(1)} KiB per socket`);
      return `${r.opened.toLocaleString('en')} held; ≈ ${(perSocket / 1024).toFixed(1)} KiB RSS per socket; ${r.closedByRouter.toLocaleString('en')} cut at the deadline (longest ${(r.maxLifetimeMs / 1000).toFixed(1)} s), ${r.stillOpen} still open`;
    },
  },
  {
    name: 'flood',
    attack: 'one IP at 10× its budgets for 10 s: 20 logins/s and 20 status pings/s against 20 per 10 s each',
    async run({ router }) {
      const r = await attack('flood', { port: router.port, from: '127.13.0.1', seconds: scale(10, 4), loginsPerSecond: 20, statusPerSecond: 20 });
      return `logins: ${r.loginsAdmitted} admitted, ${r.loginsRateLimited} told "Too many connection attempts", ${r.loginsOther} other; status: ${r.statusAnswered} answered, ${r.statusClosed} closed unanswered`;
    },
  },
  {
    name: 'session-server',
    attack: 'online mode, session_timeout 2 s: 400 logins (50 at a time) whose hasJoined hangs (Hang…) or gets HTTP 500 (Err…); then the whole session server hangs',
    config: '[auth]\nmode = "online"\nsession_timeout = "2s"\n',
    online: true,
    async run({ router, session, note, stopMeasuring }) {
      const r = await attack('logins', { port: router.port, total: scale(400, 60), concurrency: scale(50, 20), names: 'Hang,Err', pool: 14, poolSize: 50, sessionServer: session!.url });
      const outcomes = Object.entries(r.outcomes as Record<string, number>).map(([k, v]) => `${v} × "${k}"`).join(', ');
      // The real client is not measured through the outage: nobody can log in while Mojang is down.
      await stopMeasuring();
      // Full outage: players are told at the timeout, then logins work again the moment it recovers.
      session!.everyone = 'hang';
      const outage = await attack('logins', { port: router.port, total: 10, concurrency: 10, names: 'Outage', pool: 15, poolSize: 10, sessionServer: session!.url });
      session!.everyone = 'normal';
      const recovered = await attack('logins', { port: router.port, total: 10, concurrency: 10, names: 'Back', pool: 16, poolSize: 10, sessionServer: session!.url });
      note(`full outage: ${JSON.stringify(outage.outcomes)} (slowest ${outage.maxMs} ms); right after recovery: ${JSON.stringify(recovered.outcomes)}`);
      return `${outcomes}; slowest answer ${r.maxMs} ms`;
    },
  },
  {
    name: 'backend-refuses',
    attack: '300 logins (20 at a time) on a passthrough route whose only backend refuses connections',
    async run({ router }) {
      const r = await attack('logins', { port: router.port, total: scale(300, 40), concurrency: 20, names: 'Relay', host: 'relay.test', pool: 17, poolSize: 30 });
      const outcomes = Object.entries(r.outcomes as Record<string, number>).map(([k, v]) => `${v} × "${k}"`).join(', ');
      return `${outcomes}; slowest ${r.maxMs} ms`;
    },
  },
];

async function runScenario(s: Scenario): Promise<Row> {
  const session = s.online === true ? await startChaosSessionServer() : undefined;
  let config = BASE;
  if (s.config !== undefined) {
    // A scenario's sections replace the base's same-named ones.
    for (const section of s.config.matchAll(/^\[(\w+)\]/gm)) config = config.replace(new RegExp(`\\[${section[1]}\\][^[]*`), '');
    config += s.config;
  }
  if (session !== undefined) config = config.replace('mode = "online"', `mode = "online"\nsession_server = "${session.url}"`);
  const router = await startRouterProcess({ config, routes: ROUTES, ...(ROUTER_MAIN === undefined ? {} : { main: ROUTER_MAIN }), nodeArgs: ROUTER_NODE_ARGS });
  const notes: string[] = [];
  try {
    let measured: [PlayerStats, ProbeStats] | undefined;
    const player = startPlayer({ port: router.port, version: VERSION, pool: PLAYER_POOL, poolSize: 32, ...(session === undefined ? {} : { sessionServer: session.url }) });
    const probe = startProbe({ port: router.port, pool: PROBE_POOL, poolSize: 64, everyMs: 50 });
    // Warm-up (first logins load minecraft-protocol's data and JIT-compile both sides): not measured.
    await sleep(2000);
    player.reset();
    probe.reset();
    router.resetPeak();
    const logBefore = router.logLines();
    process.stdout.write(`· ${s.name}: running\n`);
    const stopMeasuring = async (): Promise<void> => void (measured ??= await Promise.all([player.stop(), probe.stop()]));
    const outcome = await s.run({ router, session, note: (n) => notes.push(n), stopMeasuring });
    await stopMeasuring();
    const [playerStats, probeStats] = measured!;
    const row: Row = { name: s.name, attack: s.attack, outcome, player: playerStats, probe: probeStats, peakRss: router.peakRss(), logLines: router.logLines() - logBefore, ...(notes.length > 0 ? { extra: notes.join('; ') } : {}) };
    process.stdout.write(
      `  ${s.name}: real logins ${row.player.served} served / ${row.player.failed} failed; peak RSS ${mib(row.peakRss)}; p99 status ${ms(percentile(row.probe.latencies, 99))}; p99 login ${ms(percentile(row.player.latencies, 99))}\n  ${outcome}\n${notes.map((n) => `  ${n}\n`).join('')}`,
    );
    if (row.player.failures.length > 0) process.stdout.write(`  failures: ${row.player.failures.join(' | ')}\n`);
    return row;
  } finally {
    await router.stop();
    await session?.close();
  }
}

function report(rows: Row[], seconds: number): string {
  const line = (r: Row): string =>
    `| ${r.name} | ${r.player.served} | ${r.player.failed} | ${r.probe.answered} / ${r.probe.failed} | ${ms(percentile(r.probe.latencies, 50))} / ${ms(percentile(r.probe.latencies, 99))} | ${ms(percentile(r.player.latencies, 99))} | ${mib(r.peakRss)} | ${r.logLines} |`;
  return `# Reliability

What a real player sees while Passage is attacked. Every scenario starts a fresh router process
(\`node ${[...ROUTER_NODE_ARGS, ROUTER_MAIN === undefined ? 'router/main.ts' : relative(process.cwd(), ROUTER_MAIN)].join(' ')} --config …\`), keeps a real \`minecraft-protocol\` 1.21.4 client logging in back to
back (from its own 32 loopback addresses, so it stays within its rate budget) and a status probe
pinging every 50 ms (from 64 addresses), then runs one attack from a separate process. All traffic is
on 127.0.0.0/8; every attack is bounded in count and time.

Reproduce: \`npm run reliability\` (= \`node scripts/reliability/run.ts\`; \`--quick\` for a smoke run,
\`--only fuzz,flood\` for some scenarios; \`npm run build\` then \`-- --router dist/router/main.js
--node-args=--max-semi-space-size=8\` for the router as the image runs it, which is how this file was written). The idle scenario holds 10,000 sockets on each side: raise
\`ulimit -n\` to at least 12,000 first. Router settings for every scenario: offline mode unless noted,
\`[rate_limiter] duration = "10s", size = 20, status_size = 20\`, other limits at their defaults
(\`handshake_timeout\` 5 s, \`max_pending\` 10,000, \`max_pending_per_ip\` 16).

Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${mib(totalmem())} RAM, Node ${process.version}. Run took ${seconds.toFixed(0)} s on ${new Date().toISOString().slice(0, 10)}.

| scenario | real logins served | real logins failed | status probes answered / failed | status latency p50 / p99 | login latency p99 | router peak RSS | router log lines |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map(line).join('\n')}

"Status latency" is connect → complete Status Response ("handshake latency"): the \`baseline\` row is
without attack. "Login latency" is connect → Transfer packet for the real client. Peak RSS is
the router process's, sampled every 50 ms during the scenario. Log lines are everything the router
wrote at level \`info\` during the attack: client mistakes are counted, never logged.

## Memory under attack

The fuzz scenario used to peak at 259–275 MiB RSS. The router's own buffers were not the cause
(external memory stayed at about 5 MiB, and frames are copied out of socket chunks, so a closed socket
pins nothing): V8's young generation was. A flood of short connections allocates fast, and V8 grows
each semi-space to its default maximum: the heap reached 160 MiB (51 MiB of it new space in use) while
the old space held about 27 MiB. The image therefore sets \`NODE_OPTIONS=--max-semi-space-size=8\`
(Dockerfile): with 8 MiB semi-spaces the same attack peaked at 130 MiB RSS and a 65 MiB heap, the old
space at about 45 MiB (4 MiB: 124 MiB, 2 MiB: 120 MiB; 8 keeps scavenges less frequent). Running the
compiled \`dist/\` instead of the \`.ts\` sources saves about 30 MiB more (baseline scenario: 111 MiB
on the sources, 80 MiB compiled). Side by
side on 2026-12-01, fuzz scenario: \`node router/main.ts\` with Node's defaults 259 MiB,
\`node --max-semi-space-size=8 dist/router/main.js\` (the table above) 131 MiB.

## What each attack did
${rows.map((r) => `- **${r.name}**: ${r.attack}.  \n  Result: ${r.outcome}.${r.extra === undefined ? '' : `  \n  ${r.extra}.`}${r.player.failures.length > 0 ? `  \n  Real-client failures: ${r.player.failures.join(' | ')}` : ''}`).join('\n')}

## Reading the attackers' outcomes

The outcomes in the session-server and backend-refuses rows are tallied by the *attacking* process:
dozens of \`minecraft-protocol\` clients at once, sharing 2 CPUs with the router and the measuring client.
\`write EPIPE\`, \`timed out\` and \`socketClosed\` there are that process falling behind (its slowest
login took 10–25 s): the router had answered and, after its 1 s linger, closed the socket before the
overloaded client got to read the answer. Not proven line by line; the evidence is that the measuring
client never failed, and that 10 concurrent logins during the full session-server outage all got the
message within about 4.4 s. The 219 log lines in backend-refuses are the passthrough relay logging
each refused backend connection at \`info\` (one per attempt).
`;
}

async function main(): Promise<void> {
  const only = args.only?.split(',');
  const chosen = SCENARIOS.filter((s) => only === undefined || only.includes(s.name));
  const started = Date.now();
  const rows: Row[] = [];
  for (const s of chosen) rows.push(await runScenario(s));
  const text = report(rows, (Date.now() - started) / 1000);
  const out = args.out ?? (quick || only !== undefined ? undefined : new URL('../../docs/RELIABILITY.md', import.meta.url).pathname);
  if (out !== undefined) {
    writeFileSync(out, text);
    process.stdout.write(`wrote ${out}\n`);
  }
  const failed = rows.reduce((n, r) => n + r.player.failed, 0);
  if (failed > 0) {
    process.stdout.write(`${failed} real logins failed\n`);
    process.exitCode = 1;
  }
}

await main();
