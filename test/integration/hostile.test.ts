// The router under hostile input: PROXY headers from trusted and untrusted peers, rate limits,
// pending-connection caps, deadlines a trickle cannot stretch, and a burst of fuzzed connections.
// Each client IP is a different loopback address (127.0.0.0/8 is all local).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { login, ping } from '../helpers/minecraft.ts';
import { encodeProxyV1, encodeProxyV2 } from '../helpers/proxy.ts';
import { startFakeSessionServer } from '../helpers/session-server.ts';
import type { FakeSessionServer } from '../helpers/session-server.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

const VERSION = '1.21.4';
const statusHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 });
const loginHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 });
const statusRequest = new PacketWriter().packet(0x00);
const loginStart = (name: string): Buffer => new PacketWriter().string(name).uuid('00000000-0000-0000-0000-000000000000').packet(0x00);

interface Exchange {
  readonly data: Buffer;
  /** How the router ended it: `end` (FIN after a goodbye), `reset`/`closed` (cut), `open` (still open at the timeout). */
  readonly how: 'end' | 'reset' | 'closed' | 'open';
}

/** Sends bytes from `from` (a loopback address), possibly spaced by `gapMs`; resolves when the router closes or at `timeoutMs`. */
function exchange(port: number, from: string, parts: Buffer[], opts: { timeoutMs?: number; gapMs?: number } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    const chunks: Buffer[] = [];
    let done = false;
    let sender: NodeJS.Timeout | undefined;
    const finish = (how: Exchange['how']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(sender);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), how });
    };
    const timer = setTimeout(() => finish('open'), opts.timeoutMs ?? 3000);
    socket.on('connect', () => {
      if (opts.gapMs === undefined) {
        for (const p of parts) socket.write(p);
        return;
      }
      const queue = [...parts];
      sender = setInterval(() => (queue.length > 0 && !socket.destroyed ? socket.write(queue.shift()!) : clearInterval(sender)), opts.gapMs);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => finish('end'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => finish('closed'));
  });
}

/** One byte at a time: what a slowloris sends. */
const bytewise = (b: Buffer): Buffer[] => [...b].map((x) => Buffer.from([x]));

async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 5000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PROXY protocol', () => {
  let router: TestRouter;
  let session: FakeSessionServer;
  before(async () => {
    session = await startFakeSessionServer();
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'a', port: 25599 }]),
      config: {
        auth: { mode: 'online', session_server: session.url, prevent_proxy_connections: true },
        // Long enough that a login's header (sent with its first bytes) is never cut off on a loaded
        // machine; the trickle below takes several times longer.
        proxy_protocol: { enabled: true, trusted_proxies: ['127.0.0.0/24'], header_timeout: '1s' },
      },
    });
  });
  after(async () => {
    await router.stop(0);
    await session.close();
  });

  test('the client IP from a v2 header is the one sent to hasJoined (prevent_proxy_connections)', async () => {
    const result = await login({ port: router.port, version: VERSION, username: 'Proxied', sessionServer: session.url, proxyHeader: encodeProxyV2({ source: '203.0.113.9', sourcePort: 50000 }) });
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.at(-1)?.ip, '203.0.113.9');
  });

  test('a v1 header over IPv6 works the same', async () => {
    const result = await login({ port: router.port, version: VERSION, username: 'ProxiedSix', sessionServer: session.url, proxyHeader: encodeProxyV1('2001:db8::42', 50001) });
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.at(-1)?.ip, '2001:db8::42');
  });

  test('a v2 LOCAL header (a health check) is answered as the proxy itself', async () => {
    const { data } = await exchange(router.port, '127.0.0.1', [encodeProxyV2({ command: 'local' }), statusHandshake, statusRequest], { timeoutMs: 500 });
    assert.match(data.toString('utf8'), /Hello from the test/);
  });

  test('a trusted proxy that sends no header, garbage, or a header too slowly is cut off and counted', async () => {
    const before = {
      missing: await router.counter('passage_proxy_header_errors_total', { kind: 'ERR_PROXY_MISSING' }),
      timeout: await router.counter('passage_proxy_header_errors_total', { kind: 'ERR_PROXY_TIMEOUT' }),
    };
    const [direct, garbage, silent, trickle] = await Promise.all([
      exchange(router.port, '127.0.0.1', [statusHandshake, statusRequest]),
      exchange(router.port, '127.0.0.2', [Buffer.from('GET / HTTP/1.1\r\n\r\n')]),
      exchange(router.port, '127.0.0.3', []),
      // 38 bytes, 100 ms apart: ~3.8 s, far past the 1 s header deadline.
      exchange(router.port, '127.0.0.4', bytewise(Buffer.from('PROXY TCP4 203.0.113.1 127.0.0.1 1 2\r\n')), { gapMs: 100, timeoutMs: 6000 }),
    ]);
    for (const r of [direct, garbage, silent, trickle]) assert.notEqual(r.how, 'open');
    assert.equal(direct.data.length, 0, 'no status for a connection without a header');
    assert.equal(await router.counter('passage_proxy_header_errors_total', { kind: 'ERR_PROXY_MISSING' }), before.missing + 2);
    assert.equal(await router.counter('passage_proxy_header_errors_total', { kind: 'ERR_PROXY_TIMEOUT' }), before.timeout + 2);
  });

  test('stalled headers never hold up the accept loop: a login goes through while 50 proxies stall', async () => {
    const stalled = Array.from({ length: 50 }, () => exchange(router.port, '127.0.0.5', [Buffer.from('PROXY TCP4 ')], { timeoutMs: 2000 }));
    const result = await login({ port: router.port, version: VERSION, username: 'Unstalled', sessionServer: session.url, proxyHeader: encodeProxyV2({ source: '198.51.100.1', sourcePort: 1 }) });
    assert.ok(result.transfer);
    await Promise.all(stalled);
  });
});

describe('PROXY headers from untrusted peers', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'a', port: 25599 }]),
      config: { auth: { mode: 'offline' }, proxy_protocol: { enabled: true, trusted_proxies: ['10.0.0.0/8'] } },
    });
  });
  after(() => router.stop(0));

  test('a PROXY header from a peer outside trusted_proxies closes that connection as ERR_PROXY_UNTRUSTED', async () => {
    for (const header of [encodeProxyV1('1.2.3.4', 1), encodeProxyV2({ source: '1.2.3.4' })]) {
      const r = await exchange(router.port, '127.0.0.1', [Buffer.concat([header, statusHandshake, statusRequest])]);
      assert.equal(r.data.length, 0);
      assert.notEqual(r.how, 'open');
    }
    assert.equal(await router.counter('passage_proxy_header_errors_total', { kind: 'ERR_PROXY_UNTRUSTED' }), 2);
  });

  test('the same peer connecting directly is served', async () => {
    const result = await login({ port: router.port, version: VERSION, username: 'Direct' });
    assert.ok(result.transfer);
  });
});

describe('rate limits and pending caps', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'a', port: 25599 }]),
      config: {
        auth: { mode: 'offline' },
        rate_limiter: { duration: '60s', size: 2, status_size: 3 },
        limits: { max_pending_per_ip: 3, handshake_timeout: '400ms', login_timeout: '5s' },
      },
    });
  });
  after(() => router.stop(0));

  test('a login over its budget is told to wait while another IP logs in', async () => {
    const from = '127.0.1.1';
    for (const name of ['Ann', 'Bob']) assert.ok((await login({ port: router.port, version: VERSION, username: name, localAddress: from })).transfer);
    const third = await login({ port: router.port, version: VERSION, username: 'Cid', localAddress: from });
    assert.equal(third.disconnect, 'Too many connection attempts. Please wait a moment before trying again.');
    assert.ok((await login({ port: router.port, version: VERSION, username: 'Dee', localAddress: '127.0.1.2' })).transfer);
    assert.equal(await router.counter('passage_rate_limit_exceeded_total', { budget: 'login' }), 1);
  });

  test('status pings have their own budget; one over it is closed without an answer', async () => {
    const from = '127.0.1.3';
    for (let i = 0; i < 3; i++) assert.match((await exchange(router.port, from, [statusHandshake, statusRequest], { timeoutMs: 500 })).data.toString(), /Hello/);
    const over = await exchange(router.port, from, [statusHandshake, statusRequest]);
    assert.equal(over.data.length, 0);
    assert.notEqual(over.how, 'open');
    assert.equal(await router.counter('passage_rate_limit_exceeded_total', { budget: 'status' }), 1);
    // The status budget being spent leaves logins alone.
    assert.ok((await login({ port: router.port, version: VERSION, username: 'Eve', localAddress: from })).transfer);
  });

  test('past max_pending_per_ip a client is reset on accept; others are not affected', async () => {
    const held = Array.from({ length: 3 }, () => exchange(router.port, '127.0.1.4', [], { timeoutMs: 2000 }));
    await new Promise((r) => setTimeout(r, 100));
    const fourth = await exchange(router.port, '127.0.1.4', [statusHandshake, statusRequest]);
    assert.equal(fourth.data.length, 0);
    assert.notEqual(fourth.how, 'open');
    assert.equal(await router.counter('passage_connections_rejected_total', { reason: 'max_pending_per_ip' }), 1);
    assert.match((await exchange(router.port, '127.0.1.5', [statusHandshake, statusRequest], { timeoutMs: 500 })).data.toString(), /Hello/);
    await Promise.all(held);
  });

  test('past the global max_pending every new socket is reset on accept, from any IP, until one settles', async () => {
    const capped = await startTestRouter({
      routes: transferRoutes([{ id: 'a', port: 25599 }]),
      config: { auth: { mode: 'offline' }, limits: { max_pending: 2, handshake_timeout: '1500ms' } },
    });
    try {
      const held = ['127.0.2.1', '127.0.2.2'].map((ip) => exchange(capped.port, ip, [], { timeoutMs: 3000 }));
      await new Promise((r) => setTimeout(r, 100));
      const third = await exchange(capped.port, '127.0.2.3', [statusHandshake, statusRequest]);
      assert.equal(third.data.length, 0);
      assert.notEqual(third.how, 'open');
      assert.equal(await capped.counter('passage_connections_rejected_total', { reason: 'max_pending' }), 1);
      // The held sockets hit their handshake deadline and free their slots: the next client is served.
      await Promise.all(held);
      assert.match((await exchange(capped.port, '127.0.2.3', [statusHandshake, statusRequest], { timeoutMs: 1000 })).data.toString(), /Hello/);
    } finally {
      await capped.stop(0);
    }
  });

  test('a slowloris handshake is cut at the absolute handshake deadline however steadily it trickles', async () => {
    const before = await router.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' });
    // 1 byte per 50 ms would take well over the 400 ms deadline; a per-read timer would never fire.
    const r = await exchange(router.port, '127.0.1.6', bytewise(loginHandshake), { gapMs: 50, timeoutMs: 4000 });
    assert.notEqual(r.how, 'open');
    assert.equal(await router.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' }), before + 1);
  });

  test('Login Start ends the handshake deadline: the login runs on its own, longer one', async () => {
    // Offline: Login Success comes back at once; then this client never acknowledges it.
    const r = await exchange(router.port, '127.0.1.7', [loginHandshake, loginStart('Slow')], { timeoutMs: 1200 });
    assert.equal(r.how, 'open', 'still open three handshake deadlines later');
    assert.equal(r.data[1], 0x02, 'Login Success was sent');
  });

  test('a Login Start frame over its small limit is refused before it is buffered', async () => {
    const before = await router.counter('passage_errors_total', { kind: 'ERR_FRAME_TOO_LARGE' });
    const big = Buffer.concat([Buffer.from([0xb8, 0x17]), Buffer.alloc(10)]); // announces 3000 bytes
    const r = await exchange(router.port, '127.0.1.8', [loginHandshake, big]);
    assert.notEqual(r.how, 'open');
    assert.equal(await router.counter('passage_errors_total', { kind: 'ERR_FRAME_TOO_LARGE' }), before + 1);
  });
});

describe('a burst of fuzzed connections', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'a', port: 25599 }]),
      // Short enough that silent fuzz connections end within their 2 s exchange, long enough that the real
      // login and ping afterwards never race the deadline on a loaded machine.
      config: { auth: { mode: 'offline' }, limits: { handshake_timeout: '1500ms' }, rate_limiter: { size: 1000, status_size: 1000 } },
    });
  });
  after(() => router.stop(0));

  test('300 connections of random and mutated packets close, release every slot, and a real login still works', async () => {
    const valid = [statusHandshake, statusRequest, loginHandshake, loginStart('Fuzz'), Buffer.from([0xfe, 0x01, 0xfa]), encodeProxyV1('1.2.3.4', 1)];
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 })).map(([b, flips]) => {
      const copy = Buffer.from(b);
      for (const [at, v] of flips) copy[at % copy.length] = v;
      return copy;
    });
    const input = fc.array(fc.oneof(mutated, fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u))), { minLength: 1, maxLength: 4 });
    const samples = fc.sample(input, { numRuns: 300, seed: 42 });
    for (let i = 0; i < samples.length; i += 50) {
      await Promise.all(samples.slice(i, i + 50).map((parts, j) => exchange(router.port, `127.0.2.${1 + ((i + j) % 200)}`, parts.filter((p) => p.length > 0), { timeoutMs: 2000 })));
    }
    await eventually(() => router.router.ctx.admission!.caps.pending === 0, 'every pending slot released');
    assert.equal(router.router.ctx.admission!.caps.trackedKeys, 0);
    assert.ok((await login({ port: router.port, version: VERSION, username: 'AfterFuzz' })).transfer);
    const status = await ping(router.port, 'play.test', VERSION);
    assert.equal(status.version.protocol, 769);
  });
});
