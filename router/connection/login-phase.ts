import { performance } from 'node:perf_hooks';
import { AUTH_COOKIE_KEY, verifyAuthCookie } from '../auth/cookie.ts';
import { createStreamCiphers, minecraftServerHash, newVerifyToken, openEncryptionResponse } from '../auth/encryption.ts';
import { offlineUuid } from '../auth/offline.ts';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { decodeLoginPacket, encodeEncryptionRequest, encodeLoginCookieRequest, encodeLoginSuccess } from '../protocol/login.ts';
import type { GameProfile } from '../protocol/login.ts';
import { playerAccess } from '../routing/access.ts';
import { refuseLogin } from './access-check.ts';
import { ConfigurationPhase } from './configuration-phase.ts';
import type { Connection } from './connection.ts';
import { MAX_CONFIGURATION_FRAME, MAX_LOGIN_FRAME } from './limits.ts';
import type { Phase } from './phase.ts';

/** Where a login is between packets. */
export type LoginStep = 'await_start' | 'await_cookie' | 'await_encryption' | 'authenticating' | 'await_acknowledged';

/**
 * Phase 3, login.
 *   online mode:   Login Start → [Cookie Request → Cookie Response] → Encryption Request →
 *                  Encryption Response → (hasJoined unless the cookie was valid) → Login Success
 *   offline mode:  Login Start → Login Success
 * Then Login Acknowledged moves the client to the configuration phase. Until Login Start the accept
 * deadline runs and only a Login Start-sized frame is read; Login Start starts the login's own
 * deadline (which spans the session-server call) and allows the larger login frames (cookie responses).
 */
export class LoginPhase implements Phase {
  readonly state = 'login';
  private readonly conn: Connection;
  private readonly handshake: Handshake;
  private step: LoginStep = 'await_start';
  private name: string | undefined;
  private verifyToken: Buffer | undefined;
  /** A profile from a valid auth cookie: the session-server call is skipped. */
  private cookieProfile: GameProfile | undefined;
  private verifiedAt: number | undefined;
  private profile: GameProfile | undefined;

  constructor(conn: Connection, handshake: Handshake) {
    this.conn = conn;
    this.handshake = handshake;
  }

  get playerName(): string | undefined {
    return this.name;
  }

  handle(body: Buffer): void | Promise<void> {
    const conn = this.conn;
    const packet = decodeLoginPacket(body);
    switch (packet.kind) {
      case 'start':
        if (this.step !== 'await_start') this.unexpected('login start');
        this.name = packet.name;
        conn.limit({ maxFrame: MAX_LOGIN_FRAME, deadlineMs: conn.ctx.config.limits.loginTimeoutMs });
        // A route's own `auth` beats passage.toml's mode.
        if ((conn.route?.auth ?? conn.ctx.config.auth.mode) === 'offline') {
          const started = performance.now();
          this.succeed({ id: offlineUuid(packet.name), name: packet.name, properties: [] }, undefined);
          publish(events.auth, conn.ctx.source, { result: 'offline', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
          return;
        }
        if (conn.ctx.cookieSecrets !== undefined) {
          // Ask for the auth cookie first: whether the client must authenticate with Mojang is part of
          // the Encryption Request, so the cookie has to be known before it is sent.
          this.step = 'await_cookie';
          conn.send(encodeLoginCookieRequest(AUTH_COOKIE_KEY));
          return;
        }
        this.requestEncryption(true);
        return;
      case 'cookie': {
        const { name } = this;
        if (this.step !== 'await_cookie' || packet.key !== AUTH_COOKIE_KEY || name === undefined) return;
        this.checkCookie(name, packet.payload);
        return;
      }
      case 'encryption': {
        const { name, verifyToken } = this;
        if (this.step !== 'await_encryption' || name === undefined || verifyToken === undefined) this.unexpected('encryption response');
        return this.authenticate(name, verifyToken, packet.sharedSecret, packet.verifyToken);
      }
      case 'acknowledged': {
        const { profile } = this;
        // The route is always there: the handshake phase refuses a login without one before any login packet is read.
        const route = conn.route;
        if (this.step !== 'await_acknowledged' || profile === undefined || route === undefined) this.unexpected('login acknowledged');
        conn.enter(new ConfigurationPhase(conn, this.handshake, route, { profile, verifiedAt: this.verifiedAt }), {
          maxFrame: MAX_CONFIGURATION_FRAME,
          deadlineMs: conn.ctx.config.limits.configurationTimeoutMs,
        });
        return;
      }
      case 'plugin_response':
        // Passage sends no login plugin requests; an answer anyway is harmless.
        return;
    }
  }

  private unexpected(kind: string): never {
    throw new ProtocolError('ERR_UNEXPECTED_PACKET', `login: ${kind} while ${this.step}`);
  }

  private requestEncryption(shouldAuthenticate: boolean): void {
    this.verifyToken = newVerifyToken();
    this.step = 'await_encryption';
    this.conn.send(encodeEncryptionRequest(this.conn.ctx.keys.publicKeyDer, this.verifyToken, shouldAuthenticate));
  }

  /** A valid cookie for this player from this IP skips Mojang; anything else falls back to it quietly. */
  private checkCookie(name: string, payload: Buffer | undefined): void {
    const { ctx, clientIp } = this.conn;
    const secrets = ctx.cookieSecrets;
    if (secrets === undefined) {
      // Not reached: the cookie is only asked for when cookies are on.
      this.requestEncryption(true);
      return;
    }
    const check = verifyAuthCookie(payload, secrets, { ip: clientIp, now: ctx.now(), maxAgeMs: ctx.config.auth.cookieMaxAgeMs });
    let result: string = check.ok ? 'valid' : check.reason;
    if (check.ok && check.claims.profile.name.toLowerCase() !== name.toLowerCase()) result = 'name';
    publish(events.cookie, ctx.source, { result });
    if (check.ok && result === 'valid') {
      this.cookieProfile = check.claims.profile;
      // The re-issued cookie keeps the original check's time, so cookie logins never extend it; an
      // old-format cookie is not re-issued at all (it has no such time) and lapses at its own expiry.
      this.verifiedAt = check.claims.version === 1 ? undefined : check.claims.verifiedAt;
      this.requestEncryption(false);
    } else {
      this.requestEncryption(true);
    }
  }

  private async authenticate(name: string, verifyToken: Buffer, encSecret: Buffer, encToken: Buffer): Promise<void> {
    const conn = this.conn;
    const { keys, sessionServer, config } = conn.ctx;
    const started = performance.now();
    const { sharedSecret } = openEncryptionResponse(keys, verifyToken, encSecret, encToken);
    conn.enableEncryption(createStreamCiphers(sharedSecret));
    if (this.cookieProfile !== undefined) {
      // Encryption stays on for cookie logins: only the session-server round trip is saved.
      this.succeed(this.cookieProfile, this.verifiedAt);
      publish(events.auth, conn.ctx.source, { result: 'cookie', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
      return;
    }
    this.step = 'authenticating';
    const hash = minecraftServerHash('', sharedSecret, keys.publicKeyDer);
    const ip = config.auth.preventProxyConnections ? conn.clientIp : undefined;
    let profile: GameProfile;
    try {
      profile = await sessionServer.hasJoined(name, hash, ip);
    } catch (err) {
      publish(events.auth, conn.ctx.source, { result: 'failed', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
      sessionServer.reportFailure(err, conn.ctx.log);
      throw err;
    }
    publish(events.auth, conn.ctx.source, { result: 'ok', durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id });
    if (conn.state === 'closed') return;
    this.succeed(profile, conn.ctx.now());
  }

  /** Login Success; `verifiedAt` is the session-server check this login rests on (undefined: no cookie from it). */
  private succeed(profile: GameProfile, verifiedAt: number | undefined): void {
    // Names and UUIDs are checked once they are authenticated, before Login Success.
    const route = this.conn.route;
    const refused = route === undefined ? undefined : playerAccess(route, profile);
    if (route !== undefined && refused !== undefined) {
      refuseLogin(this.conn, route, refused, { name: profile.name, id: profile.id });
      return;
    }
    this.profile = profile;
    this.verifiedAt = verifiedAt;
    this.step = 'await_acknowledged';
    this.conn.send(encodeLoginSuccess(profile, this.handshake.protocol));
  }
}
