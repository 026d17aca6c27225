import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { issueAuthCookie, loadCookieSecrets, parseSecrets, verifyAuthCookie } from '../../router/auth/cookie.ts';
import type { AuthCookieClaims } from '../../router/auth/cookie.ts';

const NOW = 1_800_000_000_000;
const OLD = Buffer.from('old-secret-0123456789abcdef');
const NEW = Buffer.from('new-secret-0123456789abcdef');
// A real-sized skin: textures values are ~400 base64 chars, signatures 684.
const claims: AuthCookieClaims = {
  profile: { id: '069a79f4-44e9-4726-a5be-fca90e38aaf5', name: 'Notch', properties: [{ name: 'textures', value: 'e'.repeat(460), signature: 's'.repeat(684) }] },
  ip: '203.0.113.7',
  issuedAt: NOW - 1000,
  expiresAt: NOW + 3_600_000,
  target: 'lobby-1',
};

test('a cookie verifies with the secret that signed it and gives back the whole profile', () => {
  const cookie = issueAuthCookie(claims, [OLD]);
  assert.ok(cookie.length <= 5120, `${cookie.length} bytes`);
  assert.deepEqual(verifyAuthCookie(cookie, [OLD], { ip: claims.ip, now: NOW }), { ok: true, claims });
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
