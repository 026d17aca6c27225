// The attacker, in its own process so its CPU and sockets do not distort the measuring client:
//   node scripts/reliability/attack.ts <kind> '<json options>'
// Prints `{"event":…}` lines while running and one `{"result":…}` line at the end.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { login } from '../../test/helpers/minecraft.ts';
import { encodeProxyV1, encodeProxyV2 } from '../../test/helpers/proxy.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { encodeVarInt } from '../../router/protocol/varint.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { loopback, percentile } from './stats.ts';

type Options = Record<string, number | string>;
const [kind, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as Options;
const port = Number(opts.port);
const emit = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a seeded PRNG, so a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hs = (intent: number, host = 'play.test', protocol = 769): Buffer => encodeHandshake({ protocol, host, port: 25565, intent });
const loginStart = (name: string): Buffer => new PacketWriter().string(name).uuid('00000000-0000-0000-0000-000000000000').packet(0x00);
const statusRequest = new PacketWriter().packet(0x00);
const pingPacket = new PacketWriter().long(1n).packet(0x01);

/** Runs `task(i)` for i < total with at most `concurrency` in flight, stopping early at `untilMs`. */
async function pool(total: number, concurrency: number, untilMs: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total && performance.now() < untilMs) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next;
}

type Ending = 'router_closed' | 'client_cut' | 'connect_error';

/** Connects from `from`, writes the chunks, lingers up to `lingerMs` for the router, then resets. */
function poke(from: string, chunks: Buffer[], lingerMs: number): Promise<Ending> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let connected = false;
    let done = false;
    const finish = (e: Ending): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!socket.destroyed) socket.resetAndDestroy();
      resolve(e);
    };
    const timer = setTimeout(() => finish('client_cut'), lingerMs + 2000);
    socket.on('connect', () => {
      connected = true;
      for (const c of chunks) socket.write(c);
      clearTimeout(timer);
      setTimeout(() => finish('client_cut'), lingerMs);
    });
    socket.on('data', () => {});
    socket.on('end', () => finish('router_closed'));
    socket.on('error', () => finish(connected ? 'router_closed' : 'connect_error'));
    socket.on('close', () => finish(connected ? 'router_closed' : 'connect_error'));
  });
}

function fuzzInput(rnd: () => number): Buffer[] {
  const int = (n: number): number => Math.floor(rnd() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const seeds: (() => Buffer[])[] = [
    () => [hs(1), statusRequest, pingPacket],
    () => [hs(2), loginStart(`Fuzz${int(1000)}`)],
    () => [hs(3, 'x.test', int(800)), loginStart('F')],
    () => [hs(2, 'a'.repeat(int(300)))],
    () => [Buffer.from([0xfe, 0x01, 0xfa]), bytes(int(40))],
    () => [Buffer.from([0xfe])],
    () => [encodeProxyV1(`${int(256)}.${int(256)}.${int(256)}.${int(256)}`, int(65536)), hs(1), statusRequest],
    () => [encodeProxyV2({ source: `${int(256)}.1.2.3`, sourcePort: int(65536), tlvs: bytes(int(64)) }), hs(2), loginStart('P')],
    () => [encodeProxyV2({ command: 'local' }), hs(1), statusRequest],
    () => [encodeVarInt(int(1 << 22)), bytes(int(32))],
    () => [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80])],
  ];
  const r = rnd();
  let data: Buffer;
  if (r < 0.3) data = bytes(1 + int(200));
  else {
    data = Buffer.concat(seeds[int(seeds.length)]());
    if (r < 0.9) {
      for (let m = 1 + int(4); m > 0; m--) {
        const at = int(data.length);
        switch (int(5)) {
          case 0: data[at] ^= 1 << int(8); break;
          case 1: data[at] = int(256); break;
          case 2: data = data.subarray(0, at); break;
          case 3: data = Buffer.concat([data.subarray(0, at), bytes(1 + int(16)), data.subarray(at)]); break;
          case 4: data = Buffer.concat([data, data.subarray(at)]); break;
        }
        if (data.length === 0) data = bytes(1);
      }
    }
  }
  // Random chunking: the router must frame across any split.
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = rnd() < 0.5 ? data.length - at : 1 + int(data.length - at);
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

async function fuzz(): Promise<object> {
  const total = Number(opts.connections);
  const rnd = prng(Number(opts.seed ?? 1));
  const endings: Record<Ending, number> = { router_closed: 0, client_cut: 0, connect_error: 0 };
  const started = performance.now();
  const made = await pool(total, Number(opts.concurrency ?? 200), started + Number(opts.maxMs ?? 180_000), async (i) => {
    const e = await poke(loopback(Number(opts.pool), i % Number(opts.poolSize)), fuzzInput(rnd), Math.floor(rnd() * Number(opts.lingerMs ?? 100)));
    endings[e]++;
    if (i % 10_000 === 0) emit({ event: 'progress', done: i });
  });
  return { connections: made, seconds: (performance.now() - started) / 1000, ...endings };
}

/** Sockets that connect and then send nothing (idle) or one byte every `gapMs` (slowloris). */
async function hold(trickle: boolean): Promise<object> {
  const total = Number(opts.sockets);
  const gapMs = Number(opts.gapMs ?? 500);
  const perIp = Number(opts.perIp ?? 10);
  const payload = Buffer.concat([hs(2, 'play.test'.padEnd(60, 'x')), loginStart('Slowloris')]);
  const lifetimes: number[] = [];
  let opened = 0;
  let refused = 0;
  const closedAll = new Set<Promise<void>>();
  const open = (i: number): Promise<void> =>
    new Promise((resolveOpen) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: loopback(Number(opts.pool), Math.floor(i / perIp)) });
      let at = 0;
      let timer: NodeJS.Timeout | undefined;
      let openedAt = 0;
      closedAll.add(
        new Promise<void>((resolveClosed) => {
          socket.on('connect', () => {
            opened++;
            openedAt = performance.now();
            resolveOpen();
            if (trickle) timer = setInterval(() => socket.write(payload.subarray(at, ++at)), gapMs);
          });
          socket.on('data', () => {});
          const closed = (): void => {
            clearInterval(timer);
            if (openedAt > 0) lifetimes.push(performance.now() - openedAt);
            else {
              refused++;
              resolveOpen();
            }
            socket.destroy();
            resolveClosed();
          };
          socket.on('error', closed);
          socket.on('close', closed);
        }),
      );
    });
  await pool(total, 500, Infinity, open);
  emit({ event: 'opened', opened, refused });
  // Everything is now held; the router must cut every socket at its deadline, however it trickles.
  const limit = sleep(Number(opts.waitMs ?? 30_000)).then(() => 'limit');
  const outcome = await Promise.race([Promise.all(closedAll).then(() => 'all_closed'), limit]);
  return {
    opened,
    refused,
    closedByRouter: lifetimes.length - refused,
    stillOpen: opened - lifetimes.length + refused,
    outcome,
    maxLifetimeMs: Math.round(Math.max(0, ...lifetimes)),
    p50LifetimeMs: Math.round(percentile(lifetimes, 50)),
  };
}

/** One IP sending logins and status pings at `rate`× its budgets for `seconds`. */
async function flood(): Promise<object> {
  const from = String(opts.from);
  const seconds = Number(opts.seconds);
  const loginsPerSecond = Number(opts.loginsPerSecond);
  const statusPerSecond = Number(opts.statusPerSecond);
  const out = { logins: 0, loginsAdmitted: 0, loginsRateLimited: 0, loginsOther: 0, status: 0, statusAnswered: 0, statusClosed: 0 };
  const exchange = (parts: Buffer[]): Promise<Buffer> =>
    new Promise((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
      const chunks: Buffer[] = [];
      const finish = (): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(chunks));
      };
      const timer = setTimeout(finish, 1000);
      socket.on('connect', () => parts.forEach((p) => socket.write(p)));
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if (Buffer.concat(chunks).length > 8) setTimeout(finish, 20);
      });
      socket.on('error', finish);
      socket.on('close', finish);
    });
  const tasks: Promise<void>[] = [];
  const started = performance.now();
  for (let tick = 0; tick < seconds * 20; tick++) {
    const due = started + tick * 50;
    await sleep(Math.max(0, due - performance.now()));
    for (let k = 0; k < loginsPerSecond / 20; k++) {
      out.logins++;
      tasks.push(
        exchange([hs(2), loginStart(`Flood${out.logins % 100}`)]).then((data) => {
          const text = data.toString('utf8');
          if (data[1] === 0x02) out.loginsAdmitted++;
          else if (text.includes('Too many connection attempts')) out.loginsRateLimited++;
          else out.loginsOther++;
        }),
      );
    }
    for (let k = 0; k < statusPerSecond / 20; k++) {
      out.status++;
      tasks.push(exchange([hs(1), statusRequest]).then((data) => void (data.length > 0 ? out.statusAnswered++ : out.statusClosed++)));
    }
  }
  await Promise.all(tasks);
  return out;
}

/** minecraft-protocol logins, `concurrency` at a time, tallying how each ended and how long it took. */
async function logins(): Promise<object> {
  const outcomes: Record<string, number> = {};
  const durations: number[] = [];
  const names = String(opts.names).split(',');
  await pool(Number(opts.total), Number(opts.concurrency), Infinity, async (i) => {
    const started = performance.now();
    let key: string;
    try {
      const r = await login(
        {
          port,
          version: String(opts.version ?? '1.21.4'),
          username: `${names[i % names.length]}${i}`.slice(0, 16),
          host: String(opts.host ?? 'play.test'),
          localAddress: loopback(Number(opts.pool), i % Number(opts.poolSize)),
          ...(opts.sessionServer === undefined ? {} : { sessionServer: String(opts.sessionServer) }),
        },
        Number(opts.clientTimeoutMs ?? 15_000),
      );
      key = r.transfer !== undefined ? 'transfer' : (r.disconnect ?? 'none');
    } catch (err) {
      key = `error: ${(err as Error).message.replace(/\d+/g, 'N')}`;
    }
    durations.push(performance.now() - started);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  });
  return { outcomes, maxMs: Math.round(Math.max(...durations)), p50Ms: Math.round(percentile(durations, 50)) };
}

const KINDS: Record<string, () => Promise<object>> = {
  fuzz,
  slowloris: () => hold(true),
  idle: () => hold(false),
  flood,
  logins,
};

const run = KINDS[kind];
if (run === undefined) {
  process.stderr.write(`unknown attack ${kind}; one of ${Object.keys(KINDS).join(', ')}\n`);
  process.exit(2);
}
run().then(
  (result) => {
    emit({ result });
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
