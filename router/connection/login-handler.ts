import { performance } from 'node:perf_hooks';
import { AUTH_COOKIE_KEY, verifyAuthCookie } from '../auth/cookie.ts';
import { createStreamCiphers, minecraftServerHash, newVerifyToken, openEncryptionResponse } from '../auth/encryption.ts';
import { offlineUuid } from '../auth/offline.ts';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { decodeLoginPacket, encodeEncryptionRequest, encodeLoginCookieRequest, encodeLoginSuccess } from '../protocol/login.ts';
import type { GameProfile } from '../protocol/login.ts';
import type { Connection } from './connection.ts';
import { beginConfiguration } from './configuration-handler.ts';

function unexpected(conn: Connection, kind: string): never {
  throw new ProtocolError('ERR_UNEXPECTED_PACKET', `login: ${kind} while ${conn.step}`);
}

/**
 * Login, online mode:   Login Start → [Cookie Request → Cookie Response] → Encryption Request →
 *                       Encryption Response → (hasJoined unless the cookie was valid) → Login Success
 * Login, offline mode:  Login Start → Login Success
 * Then Login Acknowledged moves the client to the configuration state.
 */
export function handleLogin(conn: Connection, body: Buffer): void | Promise<void> {
  const packet = decodeLoginPacket(body);
  switch (packet.kind) {
    case 'start':
      if (conn.step !== 'await_start') unexpected(conn, 'login start');
      conn.playerName = packet.name;
      if (conn.ctx.config.auth.mode === 'offline') {
        const started = performance.now();
        sendLoginSuccess(conn, { id: offlineUuid(packet.name), name: packet.name, properties: [] });
        publish(events.auth, conn.ctx.source, { result: 'offline', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
        return;
      }
      if (conn.ctx.cookieSecrets !== undefined) {
        // Ask for the auth cookie first: whether the client must authenticate with Mojang is part of
        // the Encryption Request, so the cookie has to be known before it is sent.
        conn.step = 'await_cookie';
        conn.send(encodeLoginCookieRequest(AUTH_COOKIE_KEY));
        return;
      }
      requestEncryption(conn, true);
      return;
    case 'cookie':
      if (conn.step !== 'await_cookie' || packet.key !== AUTH_COOKIE_KEY) return;
      checkCookie(conn, packet.payload);
      return;
    case 'encryption':
      if (conn.step !== 'await_encryption') unexpected(conn, 'encryption response');
      return authenticate(conn, packet.sharedSecret, packet.verifyToken);
    case 'acknowledged':
      if (conn.step !== 'await_acknowledged') unexpected(conn, 'login acknowledged');
      beginConfiguration(conn);
      return;
    case 'plugin_response':
      // Passage sends no login plugin requests; an answer anyway is harmless.
      return;
  }
}

function requestEncryption(conn: Connection, shouldAuthenticate: boolean): void {
  conn.verifyToken = newVerifyToken();
  conn.step = 'await_encryption';
  conn.send(encodeEncryptionRequest(conn.ctx.keys.publicKeyDer, conn.verifyToken, shouldAuthenticate));
}

/** A valid cookie for this player from this IP skips Mojang; anything else falls back to it quietly. */
function checkCookie(conn: Connection, payload: Buffer | undefined): void {
  const check = verifyAuthCookie(payload, conn.ctx.cookieSecrets!, { ip: conn.clientIp, now: conn.ctx.now(), maxAgeMs: conn.ctx.config.auth.cookieMaxAgeMs });
  let result: string = check.ok ? 'valid' : check.reason;
  if (check.ok && check.claims.profile.name.toLowerCase() !== conn.playerName!.toLowerCase()) result = 'name';
  publish(events.cookie, conn.ctx.source, { result });
  if (check.ok && result === 'valid') {
    conn.cookieProfile = check.claims.profile;
    // The re-issued cookie keeps the original check's time, so cookie logins never extend it; an
    // old-format cookie is not re-issued at all (it has no such time) and lapses at its own expiry.
    conn.verifiedAt = check.claims.version === 1 ? undefined : check.claims.verifiedAt;
    requestEncryption(conn, false);
  } else {
    requestEncryption(conn, true);
  }
}

async function authenticate(conn: Connection, encSecret: Buffer, encToken: Buffer): Promise<void> {
  const { keys, sessionServer, config } = conn.ctx;
  const started = performance.now();
  const { sharedSecret } = openEncryptionResponse(keys, conn.verifyToken!, encSecret, encToken);
  conn.enableEncryption(createStreamCiphers(sharedSecret));
  if (conn.cookieProfile !== undefined) {
    // Encryption stays on for cookie logins: only the session-server round trip is saved.
    conn.verified = true;
    sendLoginSuccess(conn, conn.cookieProfile);
    publish(events.auth, conn.ctx.source, { result: 'cookie', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
    return;
  }
  conn.step = 'authenticating';
  const hash = minecraftServerHash('', sharedSecret, keys.publicKeyDer);
  const ip = config.auth.preventProxyConnections ? conn.clientIp : undefined;
  let profile: GameProfile;
  try {
    profile = await sessionServer.hasJoined(conn.playerName!, hash, ip);
  } catch (err) {
    publish(events.auth, conn.ctx.source, { result: 'failed', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
    sessionServer.reportFailure(err, conn.ctx.log);
    throw err;
  }
  publish(events.auth, conn.ctx.source, { result: 'ok', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
  if (conn.state === 'closed') return;
  conn.verified = true;
  conn.verifiedAt = conn.ctx.now();
  sendLoginSuccess(conn, profile);
}

function sendLoginSuccess(conn: Connection, profile: GameProfile): void {
  conn.profile = profile;
  conn.step = 'await_acknowledged';
  conn.send(encodeLoginSuccess(profile, conn.handshake!.protocol));
}
