// The auth cookie (`passage:authentication`): after one verified login, Passage stores a signed
// profile in the client (Store Cookie); on the next login (at Passage or at a backend that shares the
// secret) the client hands it back (Cookie Response) and the session-server call is skipped.
//
// Wire format, version 2 (documented in docs/AUTH_COOKIE.md so backend plugins can verify it):
//   byte     version (2)
//   uint16   JSON length (big-endian)
//   bytes    JSON: {"id","name","properties":[{name,value,signature?}],"ip","iat","vat","exp","target"}
//   bytes32  HMAC-SHA256(secret, every byte before it)
// iat/vat/exp are Unix milliseconds. The whole cookie is at most 5120 bytes (the protocol's cookie limit).
//
// `vat` is when Mojang's session server last verified the player. A cookie login re-issues the cookie
// with the same `vat`, so a chain of cookie logins never outlives `cookie_max_age` after that check: a
// banned account (or a stolen cookie replayed from the same NAT) is sent back to Mojang within it.
// Version 1 had no `vat` (its `iat` moved forward on every cookie login); such cookies are still read,
// with `iat` standing in for `vat`, until their own `exp` (at most one `cookie_ttl` after the upgrade),
// and never re-issued: the next login after that goes to Mojang and gets a version-2 cookie.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassageError } from '../errors.ts';
import type { GameProfile, ProfileProperty } from '../protocol/login.ts';
import { MAX_COOKIE_BYTES } from '../protocol/limits.ts';

export const AUTH_COOKIE_KEY = 'passage:authentication';
export const AUTH_COOKIE_VERSION = 2;
/** The format before `vat`: read (never written) until those cookies expire. */
export const AUTH_COOKIE_LEGACY_VERSION = 1;
const MAC_BYTES = 32;
const HEADER_BYTES = 3;
/** Secrets shorter than this are refused: an HMAC key should carry at least 128 bits. */
export const MIN_SECRET_BYTES = 16;
/** Clocks of routers and backends differ a little; a cookie from slightly in the future is fine. */
export const COOKIE_CLOCK_SKEW_MS = 60_000;
/** `auth.cookie_max_age` by default: how long one session-server check may carry cookie logins. */
export const DEFAULT_COOKIE_MAX_AGE_MS = 24 * 3600_000;

export interface AuthCookieClaims {
  readonly profile: GameProfile;
  readonly ip: string;
  readonly issuedAt: number;
  /** When the session server last verified this player (a cookie login keeps it, never moves it). */
  readonly verifiedAt: number;
  readonly expiresAt: number;
  readonly target: string;
  /**
   * The format (verify fills it in; issuing writes the current one when absent). A version-1 cookie is
   * used until it expires but never re-issued: nobody knows when Mojang last saw that player.
   */
  readonly version?: 1 | 2;
}

/** `stale`: signed and unexpired, but the session-server check it rests on is older than the max age. */
export type CookieRejection = 'missing' | 'malformed' | 'version' | 'signature' | 'ip' | 'expired' | 'stale' | 'future';

export type CookieCheck = { readonly ok: true; readonly claims: AuthCookieClaims } | { readonly ok: false; readonly reason: CookieRejection };

export class CookieSecretError extends PassageError {
  readonly code = 'ERR_COOKIE_SECRET';
}

/**
 * Secrets for rotation, one per line (file) or comma-separated (environment); the first signs, all
 * verify. Whitespace around each is trimmed; blank lines are ignored.
 */
export function parseSecrets(text: string, source: string): Buffer[] {
  const secrets = text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Buffer.from(s, 'utf8'));
  if (secrets.length === 0) throw new CookieSecretError(`${source}: no cookie secret in it`);
  const short = secrets.findIndex((s) => s.length < MIN_SECRET_BYTES);
  if (short !== -1) throw new CookieSecretError(`${source}: secret ${short + 1} is ${secrets[short].length} bytes, at least ${MIN_SECRET_BYTES} needed`);
  return secrets;
}

/** Loads the secrets from `auth.cookie_secret_file` or `PASSAGE_COOKIE_SECRET`; none configured → undefined. */
export function loadCookieSecrets(file: string, env: NodeJS.ProcessEnv = process.env): Buffer[] | undefined {
  if (file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CookieSecretError(`${file}: cannot read the cookie secret (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return parseSecrets(text, file);
  }
  const fromEnv = env.PASSAGE_COOKIE_SECRET;
  return fromEnv === undefined || fromEnv.trim() === '' ? undefined : parseSecrets(fromEnv, 'PASSAGE_COOKIE_SECRET');
}

function mac(secret: Buffer, bytes: Buffer): Buffer {
  return createHmac('sha256', secret).update(bytes).digest();
}

/**
 * The expiry of a cookie issued at `now`: one `ttl` from now, but never past `maxAge` after the
 * session-server check it rests on.
 */
export function cookieExpiry(now: number, verifiedAt: number, policy: { readonly ttlMs: number; readonly maxAgeMs: number }): number {
  return Math.min(now + policy.ttlMs, verifiedAt + policy.maxAgeMs);
}

/**
 * Signs the claims with the first secret, in the current format unless `claims.version` is 1 (which
 * exists only so tests, a backend's included, can build old-format cookies). Throws RangeError if the
 * result exceeds the cookie limit.
 */
export function issueAuthCookie(claims: AuthCookieClaims, secrets: readonly Buffer[]): Buffer {
  const version = claims.version ?? AUTH_COOKIE_VERSION;
  if (!Number.isSafeInteger(claims.issuedAt) || !Number.isSafeInteger(claims.verifiedAt) || !Number.isSafeInteger(claims.expiresAt)) {
    throw new RangeError('auth cookie times must be integer milliseconds');
  }
  const json = Buffer.from(
    JSON.stringify({
      id: claims.profile.id,
      name: claims.profile.name,
      properties: claims.profile.properties,
      ip: claims.ip,
      iat: claims.issuedAt,
      ...(version === AUTH_COOKIE_VERSION ? { vat: claims.verifiedAt } : {}),
      exp: claims.expiresAt,
      target: claims.target,
    }),
    'utf8',
  );
  const body = Buffer.alloc(HEADER_BYTES + json.length);
  body[0] = version;
  body.writeUInt16BE(json.length, 1);
  json.copy(body, HEADER_BYTES);
  const cookie = Buffer.concat([body, mac(secrets[0], body)]);
  if (cookie.length > MAX_COOKIE_BYTES) throw new RangeError(`auth cookie of ${cookie.length} bytes, limit ${MAX_COOKIE_BYTES}`);
  return cookie;
}

function parseProperties(raw: unknown): ProfileProperty[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: ProfileProperty[] = [];
  for (const p of raw as { name?: unknown; value?: unknown; signature?: unknown }[]) {
    if (typeof p?.name !== 'string' || typeof p.value !== 'string') return undefined;
    if (p.signature !== undefined && typeof p.signature !== 'string') return undefined;
    out.push({ name: p.name, value: p.value, ...(typeof p.signature === 'string' ? { signature: p.signature } : {}) });
  }
  return out;
}

/**
 * Verifies a cookie: the signature (against every secret, in constant time), then the client IP, the
 * expiry, the age of the session-server check (`maxAgeMs`, default 24 h) and the issue and
 * verification times. Only a cookie that passes everything yields claims. A version-1 cookie (no
 * `vat`) is read with its `iat` as the verification time.
 */
export function verifyAuthCookie(
  cookie: Buffer | undefined,
  secrets: readonly Buffer[],
  expect: { readonly ip: string; readonly now: number; readonly skewMs?: number; readonly maxAgeMs?: number },
): CookieCheck {
  if (cookie === undefined || cookie.length === 0) return { ok: false, reason: 'missing' };
  if (cookie.length < HEADER_BYTES + MAC_BYTES || cookie.length > MAX_COOKIE_BYTES) return { ok: false, reason: 'malformed' };
  const version = cookie[0] as 1 | 2;
  if (version !== AUTH_COOKIE_VERSION && version !== AUTH_COOKIE_LEGACY_VERSION) return { ok: false, reason: 'version' };
  const jsonLength = cookie.readUInt16BE(1);
  if (HEADER_BYTES + jsonLength + MAC_BYTES !== cookie.length) return { ok: false, reason: 'malformed' };
  const body = cookie.subarray(0, HEADER_BYTES + jsonLength);
  const given = cookie.subarray(HEADER_BYTES + jsonLength);
  // Every secret is tried without an early exit, so timing does not tell which one matched.
  let signed = false;
  for (const secret of secrets) signed = timingSafeEqual(mac(secret, body), given) || signed;
  if (!signed) return { ok: false, reason: 'signature' };
  let doc: { id?: unknown; name?: unknown; properties?: unknown; ip?: unknown; iat?: unknown; vat?: unknown; exp?: unknown; target?: unknown };
  try {
    doc = JSON.parse(body.toString('utf8', HEADER_BYTES)) as typeof doc;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (doc === null || typeof doc !== 'object') return { ok: false, reason: 'malformed' };
  const properties = parseProperties(doc.properties);
  // Version 1 never carried `vat`; version 2 must. Its `iat` is the nearest thing to a verification time.
  const vat = version === AUTH_COOKIE_LEGACY_VERSION ? doc.iat : doc.vat;
  if (
    typeof doc.id !== 'string' || typeof doc.name !== 'string' || properties === undefined || typeof doc.ip !== 'string' ||
    !Number.isSafeInteger(doc.iat) || !Number.isSafeInteger(vat) || !Number.isSafeInteger(doc.exp) || typeof doc.target !== 'string'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const iat = doc.iat as number;
  const verifiedAt = vat as number;
  const exp = doc.exp as number;
  // A verification after the issue is a forgery by someone holding the secret, or a bug: refuse it.
  if (verifiedAt > iat) return { ok: false, reason: 'malformed' };
  const skew = expect.skewMs ?? COOKIE_CLOCK_SKEW_MS;
  const maxAge = expect.maxAgeMs ?? DEFAULT_COOKIE_MAX_AGE_MS;
  if (doc.ip !== expect.ip) return { ok: false, reason: 'ip' };
  if (expect.now >= exp) return { ok: false, reason: 'expired' };
  if (expect.now >= verifiedAt + maxAge) return { ok: false, reason: 'stale' };
  if (iat > expect.now + skew) return { ok: false, reason: 'future' };
  return {
    ok: true,
    claims: { profile: { id: doc.id, name: doc.name, properties }, ip: doc.ip, issuedAt: iat, verifiedAt, expiresAt: exp, target: doc.target, version },
  };
}
