// Session-server trouble reaches the operator: with Mojang unreachable every online login ends in "The
// login servers are not answering", and the router says so at warn (visible at the default info level),
// with the cause, once per minute per kind of failure rather than once per player.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startPassage } from '../../router/app.ts';
import { AuthError } from '../../router/auth/errors.ts';
import { SessionServerClient } from '../../router/auth/session-server.ts';
import { buildConfig } from '../../router/config/load.ts';
import { login } from '../helpers/minecraft.ts';
import { transferRoutes } from '../helpers/router.ts';
import { startFakeSessionServer } from '../helpers/session-server.ts';

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  cause?: string;
  sessionServer?: string;
  suppressedSinceLast?: number;
}

function capture(): { log: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const outageLines = (lines: LogLine[]) => lines.filter((l) => /session server failed a login check/.test(l.msg));

test('with the session server unreachable, players see the login-servers message and the router logs the cause once, at warn', async () => {
  // The player's own launcher still reaches "Mojang" (a local stand-in); the router's session_server is a closed port.
  const launcherSide = await startFakeSessionServer();
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((r) => probe.close(r));
  const dir = mkdtempSync(join(tmpdir(), 'passage-session-'));
  writeFileSync(join(dir, 'routes.toml'), transferRoutes([{ id: 'lobby', port: 25599 }]));
  const config = buildConfig(
    {
      address: '127.0.0.1:0',
      admin: { address: '127.0.0.1:0' },
      rate_limiter: { enabled: false },
      auth: { mode: 'online', session_server: closed, session_timeout: '2s' },
      table: { path: 'routes.toml', cache_file: 'cache.json', allow_unsigned: true },
    },
    join(dir, 'passage.toml'),
  );
  const { log, lines } = capture();
  const router = await startPassage(config, { log });
  try {
    for (const username of ['Stranded1', 'Stranded2']) {
      const result = await login({ port: router.address.port, version: '1.21.4', username, sessionServer: launcherSide.url });
      assert.match(result.disconnect ?? '', /login servers are not answering/, username);
    }
    const logged = outageLines(lines);
    assert.equal(logged.length, 1, 'the second failure within the minute is counted, not logged');
    assert.ok(logged[0]!.level >= 40, 'warn or above: seen at the default info level');
    assert.equal(logged[0]!.code, 'ERR_AUTH_SESSION_UNAVAILABLE');
    assert.match(logged[0]!.cause ?? '', /ECONNREFUSED/);
    assert.equal(logged[0]!.sessionServer, closed);
  } finally {
    await router.stop(0);
    await launcherSide.close();
  }
});

test('outage lines are rate-limited per kind and report how many were left out; a player who did not join is not an outage', () => {
  const client = new SessionServerClient({ baseUrl: 'https://sessionserver.example', timeoutMs: 1000, outageLogIntervalMs: 60_000 });
  const { log, lines } = capture();
  const t0 = 1_000_000;
  client.reportFailure(new AuthError('ERR_AUTH_SESSION_TIMEOUT', 'session server did not answer within 1000 ms'), log, t0);
  client.reportFailure(new AuthError('ERR_AUTH_SESSION_TIMEOUT', 'session server did not answer within 1000 ms'), log, t0 + 1_000);
  client.reportFailure(new AuthError('ERR_AUTH_SESSION_TIMEOUT', 'session server did not answer within 1000 ms'), log, t0 + 2_000);
  client.reportFailure(new AuthError('ERR_AUTH_SESSION_UNAVAILABLE', 'session server answered HTTP 503'), log, t0 + 3_000);
  client.reportFailure(new AuthError('ERR_AUTH_NOT_VERIFIED', 'session server does not know x joined'), log, t0 + 4_000);
  client.reportFailure(new Error('not an auth failure'), log, t0 + 5_000);
  client.reportFailure(new AuthError('ERR_AUTH_SESSION_TIMEOUT', 'session server did not answer within 1000 ms'), log, t0 + 61_000);
  client.close();
  const logged = outageLines(lines);
  assert.deepEqual(logged.map((l) => [l.code, l.suppressedSinceLast]), [
    ['ERR_AUTH_SESSION_TIMEOUT', 0],
    ['ERR_AUTH_SESSION_UNAVAILABLE', 0],
    ['ERR_AUTH_SESSION_TIMEOUT', 2],
  ]);
  assert.equal(logged[1]!.cause, 'session server answered HTTP 503');
});
