// What the router's events and metrics cost per exchange, in process: the events a status exchange
// and an offline login → transfer publish, published to a RouterMetrics attached as the router
// attaches it, timed over many rounds. Sockets and the load generator play no part, so the figure
// moves little with the machine's load (the socket benchmarks' CPU column moves by ±40% here).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { argsOrExit } from './lib/args.ts';

const USAGE = `Usage: node scripts/bench/metrics.ts [--tree DIR] [--rounds N]

Nanoseconds of event publishing and metrics per status exchange and per offline login → transfer.
--tree DIR  a checkout whose router/ to measure (default this one), e.g. a worktree of an older commit`;

const { values } = argsOrExit('metrics', USAGE, () => parseArgs({ options: { tree: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}
const tree = resolve(values.tree ?? new URL('../..', import.meta.url).pathname);
const rounds = Math.max(1, Math.floor(Number(values.rounds ?? 5)));
const { RouterMetrics } = (await import(`${tree}/router/metrics/registry.ts`)) as typeof import('../../router/metrics/registry.ts');
const { events, publish } = (await import(`${tree}/router/events.ts`)) as typeof import('../../router/events.ts');

/** Older trees lack some channels: what they do not publish costs them nothing. */
type Channels = Record<string, Parameters<typeof publish>[0] | undefined>;
const ch = events as unknown as Channels;
const emit = (name: string, message: Record<string, unknown>): void => {
  const c = ch[name];
  if (c !== undefined) publish(c, source, message as never);
};

const source = {};
const metrics = new RouterMetrics({ defaultMetrics: false }).attach(source);

/** The events of one offline login → transfer, as router/connection publishes them. */
function login(id: number): void {
  emit('connectionOpened', { remote: '127.0.0.1', connectionId: id });
  emit('handshake', { intent: 'login', route: 'main', protocol: 769, connectionId: id });
  emit('loginProtocol', { protocol: 769, support: 'known', result: 'accepted', connectionId: id });
  emit('auth', { result: 'offline', durationSeconds: 0.00001, connectionId: id });
  emit('transfer', { route: 'main', target: 'lobby', connectionId: id });
  emit('connectionClosed', { connectionId: id, intent: 'login', outcome: 'transferred', durationSeconds: 0.004 });
}

/** The events of one status exchange. */
function status(id: number): void {
  emit('connectionOpened', { remote: '127.0.0.1', connectionId: id });
  emit('handshake', { intent: 'status', route: 'main', protocol: 769, connectionId: id });
  emit('status', { route: 'main', durationSeconds: 0.00002 });
  emit('connectionClosed', { connectionId: id, intent: 'status', outcome: 'status', durationSeconds: 0.002 });
}

const N = 200_000;
const time = (f: (i: number) => void): number => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(i);
  return Number(process.hrtime.bigint() - t) / N;
};
const loginNs: number[] = [];
const statusNs: number[] = [];
for (let r = 0; r < rounds; r++) {
  loginNs.push(time(login));
  statusNs.push(time(status));
}
// The first round warms the JIT up; the best of the rest is the figure.
const best = (xs: number[]): number => Math.min(...(xs.length > 1 ? xs.slice(1) : xs));
console.log(`${tree}: events + metrics ${best(statusNs).toFixed(0)} ns per status exchange, ${best(loginNs).toFixed(0)} ns per offline login → transfer (best of ${rounds} × ${N})`);
metrics.detach();
