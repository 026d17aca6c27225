import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AUTH_COOKIE_KEY, DEFAULT_COOKIE_MAX_AGE_MS, cookieExpiry, issueAuthCookie, loadCookieSecrets, parseSecrets, verifyAuthCookie } from '../../router/auth/cookie.ts';
import type { AuthCookieClaims } from '../../router/auth/cookie.ts';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { login } from '../helpers/minecraft.ts';
import { onlineIdFor, startFakeSessionServer } from '../helpers/session-server.ts';
import type { FakeSessionServer } from '../helpers/session-server.ts';

const NOW = 1_800_000_000_000;
const OLD = Buffer.from('old-secret-0123456789abcdef');
const NEW = Buffer.from('new-secret-0123456789abcdef');
// A real-sized skin: textures values are ~400 base64 chars, signatures 684.
const claims: AuthCookieClaims = {
  profile: { id: '069a79f4-44e9-4726-a5be-fca90e38aaf5', name: 'Notch', properties: [{ name: 'textures', value: 'e'.repeat(460), signature: 's'.repeat(684) }] },
  ip: '203.0.113.7',
  issuedAt: NOW - 1000,
  verifiedAt: NOW - 5000,
  expiresAt: NOW + 3_600_000,
  target: 'lobby-1',
};

test('a cookie verifies with the secret that signed it and gives back the whole profile', () => {
  const cookie = issueAuthCookie(claims, [OLD]);
  assert.ok(cookie.length <= 5120, `${cookie.length} bytes`);
  assert.deepEqual(verifyAuthCookie(cookie, [OLD], { ip: claims.ip, now: NOW }), { ok: true, claims: { ...claims, version: 2 } });
});

test('a cookie from another IP, an expired one and one from the future are refused by reason', () => {
  const cookie = issueAuthCookie(claims, [OLD]);
  assert.deepEqual(verifyAuthCookie(cookie, [OLD], { ip: '203.0.113.8', now: NOW }), { ok: false, reason: 'ip' });
  assert.deepEqual(verifyAuthCookie(cookie, [OLD], { ip: claims.ip, now: claims.expiresAt }), { ok: false, reason: 'expired' });
  const future = issueAuthCookie({ ...claims, issuedAt: NOW + 120_000 }, [OLD]);
  assert.deepEqual(verifyAuthCookie(future, [OLD], { ip: claims.ip, now: NOW }), { ok: false, reason: 'future' });
  const slightlyAhead = issueAuthCookie({ ...claims, issuedAt: NOW + 30_000 }, [OLD]);
  assert.equal(verifyAuthCookie(slightlyAhead, [OLD], { ip: claims.ip, now: NOW }).ok, true, 'small clock skew is tolerated');
});

test('rotation: the first secret signs, every listed secret verifies, a removed secret does not', () => {
  const old = issueAuthCookie(claims, [OLD]);
  assert.equal(verifyAuthCookie(old, [NEW, OLD], { ip: claims.ip, now: NOW }).ok, true);
  const fresh = issueAuthCookie(claims, [NEW, OLD]);
  assert.equal(verifyAuthCookie(fresh, [NEW], { ip: claims.ip, now: NOW }).ok, true);
  assert.deepEqual(verifyAuthCookie(old, [NEW], { ip: claims.ip, now: NOW }), { ok: false, reason: 'signature' });
});

test('any flipped bit makes a cookie fail, never throw', () => {
  const cookie = issueAuthCookie(claims, [OLD]);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: cookie.length * 8 - 1 }), (bit) => {
      const copy = Buffer.from(cookie);
      copy[bit >> 3] ^= 1 << (bit & 7);
      return verifyAuthCookie(copy, [OLD], { ip: claims.ip, now: NOW }).ok === false;
    }),
    { numRuns: 500 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 6000 }), (b) => verifyAuthCookie(Buffer.from(b), [OLD], { ip: claims.ip, now: NOW }).ok === false));
  assert.deepEqual(verifyAuthCookie(undefined, [OLD], { ip: claims.ip, now: NOW }), { ok: false, reason: 'missing' });
});

test('secrets come from a file (one per line, trimmed) or the environment, and short ones are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-secret-'));
  writeFileSync(join(dir, 'secret'), '  new-secret-0123456789abcdef \n\nold-secret-0123456789abcdef\n');
  assert.deepEqual(loadCookieSecrets(join(dir, 'secret'), {}), [NEW, OLD]);
  assert.deepEqual(loadCookieSecrets('', { PASSAGE_COOKIE_SECRET: 'new-secret-0123456789abcdef,old-secret-0123456789abcdef' }), [NEW, OLD]);
  assert.equal(loadCookieSecrets('', {}), undefined);
  assert.throws(() => parseSecrets('short', 'x'), /secret 1 is 5 bytes, at least 16 needed/);
  assert.throws(() => loadCookieSecrets(join(dir, 'missing'), {}), /cannot read the cookie secret/);
});

test('a cookie resting on a session-server check older than the max age is refused as stale, even unexpired', () => {
  const verifiedAt = NOW - 25 * 3600_000;
  const old = issueAuthCookie({ ...claims, verifiedAt, issuedAt: NOW - 1000, expiresAt: NOW + 3600_000 }, [OLD]);
  assert.deepEqual(verifyAuthCookie(old, [OLD], { ip: claims.ip, now: NOW }), { ok: false, reason: 'stale' }, 'the default max age is 24 h');
  assert.equal(DEFAULT_COOKIE_MAX_AGE_MS, 24 * 3600_000);
  assert.equal(verifyAuthCookie(old, [OLD], { ip: claims.ip, now: NOW, maxAgeMs: 26 * 3600_000 }).ok, true);
  assert.deepEqual(verifyAuthCookie(issueAuthCookie(claims, [OLD]), [OLD], { ip: claims.ip, now: NOW, maxAgeMs: 5000 }), { ok: false, reason: 'stale' });
});

test('a cookie claiming a verification after its own issue is refused', () => {
  const forged = issueAuthCookie({ ...claims, verifiedAt: claims.issuedAt + 1 }, [OLD]);
  assert.deepEqual(verifyAuthCookie(forged, [OLD], { ip: claims.ip, now: NOW }), { ok: false, reason: 'malformed' });
});

test('a version-2 cookie without a verification time is malformed, not read as the old format', () => {
  const body = Buffer.from(JSON.stringify({ id: claims.profile.id, name: 'Notch', properties: [], ip: claims.ip, iat: NOW, exp: NOW + 1000, target: 't' }));
  const head = Buffer.from([2, body.length >> 8, body.length & 0xff]);
  const signed = Buffer.concat([head, body]);
  const cookie = Buffer.concat([signed, createHmac('sha256', OLD).update(signed).digest()]);
  assert.deepEqual(verifyAuthCookie(cookie, [OLD], { ip: claims.ip, now: NOW }), { ok: false, reason: 'malformed' });
});

test('an old-format (version 1) cookie is read until its expiry, with its issue time as the verification time', () => {
  const v1 = issueAuthCookie({ ...claims, version: 1 }, [OLD]);
  assert.equal(v1[0], 1);
  assert.equal(JSON.parse(v1.subarray(3, 3 + v1.readUInt16BE(1)).toString()).vat, undefined, 'version 1 has no vat');
  const check = verifyAuthCookie(v1, [OLD], { ip: claims.ip, now: NOW });
  assert.deepEqual(check, { ok: true, claims: { ...claims, verifiedAt: claims.issuedAt, version: 1 } });
  assert.deepEqual(verifyAuthCookie(v1, [OLD], { ip: claims.ip, now: claims.expiresAt }), { ok: false, reason: 'expired' });
  const v3 = Buffer.from(issueAuthCookie(claims, [OLD]));
  v3[0] = 3;
  assert.deepEqual(verifyAuthCookie(v3, [OLD], { ip: claims.ip, now: NOW }), { ok: false, reason: 'version' });
});

test('a cookie expires one ttl after issue, but never past the max age after the check it rests on', () => {
  const policy = { ttlMs: 6 * 3600_000, maxAgeMs: 24 * 3600_000 };
  assert.equal(cookieExpiry(NOW, NOW, policy), NOW + policy.ttlMs);
  assert.equal(cookieExpiry(NOW, NOW - 20 * 3600_000, policy), NOW + 4 * 3600_000);
  assert.equal(cookieExpiry(NOW, NOW - 30 * 3600_000, policy), NOW - 6 * 3600_000);
});

describe('cookie logins and the session-server check they rest on', () => {
  const SECRET = Buffer.from('renewal-secret-0123456789abcdef');
  const HOUR = 3600_000;
  let session: FakeSessionServer;
  let router: TestRouter;
  let clock = NOW;
  before(async () => {
    session = await startFakeSessionServer();
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'lobby', port: 25598 }]),
      config: { auth: { session_server: session.url, cookie_ttl: '1h', cookie_max_age: '3h' } },
      cookieSecrets: [SECRET],
      now: () => clock,
    });
  });
  after(async () => {
    await router.stop(0);
    await session.close();
  });
  const online = (name: string, jar: Map<string, Buffer>) => login({ port: router.port, version: '1.21.4', username: name, sessionServer: session.url, cookieJar: jar });
  const claimsIn = (jar: Map<string, Buffer>) => {
    const check = verifyAuthCookie(jar.get(AUTH_COOKIE_KEY), [SECRET], { ip: '127.0.0.1', now: clock, maxAgeMs: 3 * HOUR });
    assert.ok(check.ok, `the stored cookie verifies (${check.ok ? '' : check.reason})`);
    return check.claims;
  };

  test('logins via cookie never push the verification time forward, and past cookie_max_age the session server is asked again', async () => {
    const jar = new Map<string, Buffer>();
    const verifiedAt = clock;
    await online('Renewer', jar);
    assert.equal(claimsIn(jar).verifiedAt, verifiedAt);
    const calls = session.hasJoinedCalls.length;
    // Every 50 minutes, within the 1 h ttl of the cookie before: each login is a cookie login.
    for (let i = 1; i <= 3; i++) {
      clock += 50 * 60_000;
      const result = await online('Renewer', jar);
      assert.ok(result.transfer, `cookie login ${i} transfers`);
      assert.equal(session.hasJoinedCalls.length, calls, `cookie login ${i} makes no session-server call`);
      const claims = claimsIn(jar);
      assert.equal(claims.issuedAt, clock, `cookie login ${i} re-issues the cookie`);
      assert.equal(claims.verifiedAt, verifiedAt, `cookie login ${i} keeps the original verification time`);
      assert.ok(claims.expiresAt <= verifiedAt + 3 * HOUR, `cookie login ${i}: expiry within cookie_max_age of the check`);
    }
    // 3 h 20 min after the only Mojang check: the cookie no longer counts.
    clock += 50 * 60_000;
    const result = await online('Renewer', jar);
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.length, calls + 1, 'a real session-server check');
    assert.equal(claimsIn(jar).verifiedAt, clock, 'the fresh check starts a new cookie');
  });

  test('a cookie still unexpired but resting on a check older than cookie_max_age is refused as stale', async () => {
    const jar = new Map<string, Buffer>();
    const profile = { id: onlineIdFor('Stale').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'), name: 'Stale', properties: [] };
    // As a router with a longer max age (or a backend) would have issued it.
    jar.set(AUTH_COOKIE_KEY, issueAuthCookie({ profile, ip: '127.0.0.1', issuedAt: clock - 60_000, verifiedAt: clock - 4 * HOUR, expiresAt: clock + HOUR, target: 'lobby' }, [SECRET]));
    const calls = session.hasJoinedCalls.length;
    const result = await online('Stale', jar);
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.length, calls + 1);
    assert.ok((await router.counter('passage_auth_cookie_total', { result: 'stale' })) >= 1);
  });

  test('an old-format cookie logs in until it expires and is not re-issued', async () => {
    const jar = new Map<string, Buffer>();
    await online('Legacy', jar);
    const mine = claimsIn(jar);
    const v1 = issueAuthCookie({ ...mine, issuedAt: clock, expiresAt: clock + HOUR, version: 1 }, [SECRET]);
    jar.set(AUTH_COOKIE_KEY, v1);
    const calls = session.hasJoinedCalls.length;
    clock += 10 * 60_000;
    await online('Legacy', jar);
    assert.equal(session.hasJoinedCalls.length, calls, 'the old cookie is still honoured');
    assert.deepEqual(jar.get(AUTH_COOKIE_KEY), v1, 'and not renewed into a new-format cookie');
    clock += HOUR;
    await online('Legacy', jar);
    assert.equal(session.hasJoinedCalls.length, calls + 1, 'after its expiry the session server is asked');
    assert.equal(jar.get(AUTH_COOKIE_KEY)![0], 2, 'and the new cookie has the new format');
  });
});
