import { AUTH_COOKIE_KEY, cookieExpiry, issueAuthCookie } from '../auth/cookie.ts';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import {
  decodeConfigurationPacket,
  encodeAddResourcePack,
  encodeConfigurationKeepAlive,
  encodeStoreCookie,
  encodeTransfer,
} from '../protocol/configuration.ts';
import type { ResourcePackResult } from '../protocol/configuration.ts';
import { textComponent } from '../protocol/text.ts';
import { selectTarget } from '../routing/strategies.ts';
import { filterTargets } from '../routing/target-filter.ts';
import { runLoginHook } from './access-check.ts';
import type { Handshake } from '../protocol/handshake.ts';
import type { GameProfile } from '../protocol/login.ts';
import type { ResourcePack, Route, Target } from '../table/types.ts';
import { transferAfterWake } from '../wake/hold.ts';
import type { WakeHold } from '../wake/hold.ts';
import { hasWakeTargets } from '../wake/waker.ts';
import type { Connection } from './connection.ts';
import type { Phase } from './phase.ts';

/** `accepted` and `downloaded` are progress reports; every other result ends that pack's story. */
const INTERMEDIATE_RESULTS: ReadonlySet<ResourcePackResult> = new Set(['accepted', 'downloaded']);

/** What a finished login hands the configuration phase. */
export interface VerifiedLogin {
  readonly profile: GameProfile;
  /**
   * When the session server last verified this player: now for a Mojang login, the cookie's own time
   * for a cookie login (never moved forward); undefined when no auth cookie may be issued from this
   * login (offline mode, or an old-format cookie without that time).
   */
  readonly verifiedAt: number | undefined;
}

/** Where the configuration phase is between packets. */
export type ConfigurationStep = 'await_client_information' | 'login_hook' | 'await_resource_packs' | 'transferring';

/**
 * Phase 4, configuration: Client Information (locale) → resource packs, each until its final result →
 * Store Cookie (when cookies are on) → Transfer. Keep-alives run throughout.
 */
export class ConfigurationPhase implements Phase {
  readonly state = 'configuration';
  private readonly conn: Connection;
  private readonly handshake: Handshake;
  private readonly route: Route;
  private readonly login: VerifiedLogin;
  private step: ConfigurationStep = 'await_client_information';
  private clientLocale: string | undefined;
  /** The id of the keep-alive sent and not answered yet. */
  private pendingKeepAlive: bigint | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private left = false;
  /** Resource packs pushed and still waiting for a final result, by pack UUID. */
  private readonly pendingPacks = new Map<string, ResourcePack>();
  /** The target the login hook named (`action = "target"`): it replaces the strategy's choice. */
  private hookTarget: string | undefined;
  /** Set while the player waits for a sleeping target to wake. */
  private wakeHold: WakeHold | undefined;

  constructor(conn: Connection, handshake: Handshake, route: Route, login: VerifiedLogin) {
    this.conn = conn;
    this.handshake = handshake;
    this.route = route;
    this.login = login;
  }

  get locale(): string | undefined {
    return this.clientLocale;
  }

  get playerName(): string {
    return this.login.profile.name;
  }

  begin(): void {
    // Armed once the chunk that brought Login Acknowledged is handled: a client that sent its Client
    // Information with it (every vanilla client) has been transferred by then, and a login needs no
    // keep-alive timer at all.
    queueMicrotask(() => {
      if (this.left) return;
      this.keepAliveTimer = setInterval(() => this.keepAlive(), this.conn.ctx.config.limits.keepAliveIntervalMs).unref();
    });
  }

  leave(): void {
    this.left = true;
    if (this.keepAliveTimer !== undefined) clearInterval(this.keepAliveTimer);
    this.wakeHold?.end('left');
  }

  handle(body: Buffer): void {
    const packet = decodeConfigurationPacket(body, this.handshake.protocol);
    switch (packet.kind) {
      case 'client_information':
        this.clientLocale = packet.locale;
        if (this.step !== 'await_client_information') return;
        // Not awaited: keep-alives must be answered while the hook thinks (its timeout may pass the keep-alive interval).
        if (this.route.loginHook !== undefined) this.askLoginHook().catch((err: unknown) => this.conn.fail(err));
        else this.pushResourcePacks();
        return;
      case 'keep_alive':
        if (this.pendingKeepAlive !== packet.id) {
          throw new ProtocolError('ERR_BAD_VALUE', `keep alive: id ${packet.id} was never sent`);
        }
        this.pendingKeepAlive = undefined;
        return;
      case 'resource_pack':
        this.onResourcePackResult(packet.uuid, packet.result);
        return;
      case 'plugin_message':
      case 'known_packs':
      case 'pong':
      case 'cookie':
        return;
      default:
        throw new ProtocolError('ERR_UNEXPECTED_PACKET', `configuration: ${packet.kind} while ${this.step}`);
    }
  }

  private keepAlive(): void {
    const conn = this.conn;
    if (this.pendingKeepAlive !== undefined) {
      // The previous keep-alive is still unanswered after a whole interval: the client is gone.
      conn.reportError('ERR_KEEPALIVE_TIMEOUT');
      conn.disconnect('timeout', {}, 'timeout');
      return;
    }
    this.pendingKeepAlive = BigInt(Date.now());
    conn.send(encodeConfigurationKeepAlive(this.pendingKeepAlive));
  }

  /**
   * The route's login hook, once the locale is known and before any pack is downloaded: it may refuse
   * the player or name the target. Keep-alives go on meanwhile.
   */
  private async askLoginHook(): Promise<void> {
    const conn = this.conn;
    this.step = 'login_hook';
    const { profile } = this.login;
    const decision = await runLoginHook(conn, this.route, {
      name: profile.name, uuid: profile.id, ip: conn.clientIp, host: this.handshake.host, protocol: this.handshake.protocol, route: this.route.id, locale: this.clientLocale ?? '',
    });
    if (decision.kind === 'refused' || conn.state === 'closed') return;
    this.hookTarget = decision.target;
    this.pushResourcePacks();
  }

  private pushResourcePacks(): void {
    const conn = this.conn;
    const packs = this.route.resourcePacks ?? [];
    if (packs.length === 0) {
      this.transfer();
      return;
    }
    this.step = 'await_resource_packs';
    for (const pack of packs) {
      this.pendingPacks.set(pack.id, pack);
      conn.send(encodeAddResourcePack({ uuid: pack.id, url: pack.url, hash: pack.hash, forced: pack.forced, ...(pack.prompt === undefined ? {} : { prompt: textComponent(pack.prompt) }) }));
    }
    // Downloads take a while: a deadline of their own, after which only forced packs matter.
    conn.limit({ deadlineMs: conn.ctx.config.limits.resourcePackTimeoutMs, onDeadline: () => this.onResourcePackTimeout() });
  }

  private onResourcePackResult(uuid: string, result: ResourcePackResult): void {
    const conn = this.conn;
    const pack = this.pendingPacks.get(uuid);
    if (this.step !== 'await_resource_packs' || pack === undefined || INTERMEDIATE_RESULTS.has(result)) return;
    this.pendingPacks.delete(uuid);
    publish(events.resourcePack, conn.ctx.source, { route: this.route.id, pack: uuid, result });
    if (pack.forced && result !== 'loaded') {
      conn.disconnect('resource_pack_required', {}, `resource_pack:${result}`);
      return;
    }
    if (this.pendingPacks.size === 0) this.transfer();
  }

  private onResourcePackTimeout(): void {
    const conn = this.conn;
    if (conn.state === 'closed') return;
    const forcedPending = [...this.pendingPacks.values()].some((p) => p.forced);
    for (const pack of this.pendingPacks.values()) publish(events.resourcePack, conn.ctx.source, { route: this.route.id, pack: pack.id, result: 'timeout' });
    this.pendingPacks.clear();
    if (forcedPending) {
      conn.reportError('ERR_RESOURCE_PACK_TIMEOUT');
      conn.disconnect('resource_pack_required', {}, 'timeout');
      return;
    }
    this.transfer();
  }

  /**
   * Stores an auth cookie for the next login, when cookies are on and this login was verified. It
   * carries the time of the session-server check this login rests on (a cookie login passes its own
   * along unchanged) and expires no later than `cookie_max_age` after it.
   */
  private storeAuthCookie(target: Target): void {
    const conn = this.conn;
    const secrets = conn.ctx.cookieSecrets;
    const { profile, verifiedAt } = this.login;
    if (secrets === undefined || verifiedAt === undefined) return;
    const now = conn.ctx.now();
    const { cookieTtlMs, cookieMaxAgeMs } = conn.ctx.config.auth;
    const expiresAt = cookieExpiry(now, verifiedAt, { ttlMs: cookieTtlMs, maxAgeMs: cookieMaxAgeMs });
    if (expiresAt <= now) return;
    try {
      const cookie = issueAuthCookie({ profile, ip: conn.clientIp, issuedAt: now, verifiedAt, expiresAt, target: target.id }, secrets);
      conn.send(encodeStoreCookie(AUTH_COOKIE_KEY, cookie));
    } catch (err) {
      // A profile too large for the cookie limit only costs the player a session-server call next time.
      conn.reportError('ERR_COOKIE_TOO_LARGE');
      if (conn.ctx.log.isLevelEnabled('debug')) conn.ctx.log.debug({ player: profile.name }, (err as Error).message);
    }
  }

  /**
   * Picks the target by the route's strategy and hands the player over. A route with adapters takes its
   * targets from discovery and may ask a strategy adapter, falling back to its own strategy when that fails.
   */
  transfer(): void {
    const conn = this.conn;
    const route = this.route;
    const { profile } = this.login;
    const hook = conn.table?.adapters;
    const targets = filterTargets(route.targetFilter, hook?.targets(route) ?? route.targets);
    if (this.hookTarget !== undefined) {
      // The hook's target must be one of the route's current targets that passes its filter.
      const named = targets.find((t) => t.id === this.hookTarget);
      if (named === undefined) {
        conn.reportError('ERR_LOGIN_HOOK_TARGET');
        if (conn.ctx.log.isLevelEnabled('debug')) conn.ctx.log.debug({ route: route.id, target: this.hookTarget }, 'the login hook named a target the route does not have');
      }
      if (named !== undefined && named.wake !== undefined && conn.ctx.wake !== undefined) {
        // The hook chose a target that may sleep: wake it and hold the player, as for the strategy's choice.
        this.step = 'transferring';
        transferAfterWake(conn, route, conn.ctx.wake, [named], (ts) => ts[0], (t) => this.sendTransfer(t), (hold) => (this.wakeHold = hold)).catch((err: unknown) => conn.fail(err));
        return;
      }
      this.sendTransfer(named);
      return;
    }
    const select = (): Target | undefined => selectTarget(route, { playerId: profile.id, random: conn.ctx.random, counters: conn.ctx.counters }, targets);
    const waker = conn.ctx.wake;
    if (waker !== undefined && hasWakeTargets(targets)) {
      // Wake on join: awake targets first, else the player waits here while a sleeping one starts.
      this.step = 'transferring';
      const among = (ts: readonly Target[]): Target | undefined => selectTarget(route, { playerId: profile.id, random: conn.ctx.random, counters: conn.ctx.counters }, ts);
      transferAfterWake(conn, route, waker, targets, among, (t) => this.sendTransfer(t), (hold) => (this.wakeHold = hold)).catch((err: unknown) => conn.fail(err));
      return;
    }
    const asked = hook?.choose(route, targets, { id: profile.id, name: profile.name, ip: conn.clientIp, protocol: this.handshake.protocol, host: this.handshake.host, ...(this.clientLocale === undefined ? {} : { locale: this.clientLocale }) });
    if (asked === undefined) {
      this.sendTransfer(select());
      return;
    }
    this.step = 'transferring';
    // Outside the frame loop nobody else catches: a failure here (a hook that broke its never-rejects
    // promise, an encoding error) must still end as a disconnect and a metric, not an unhandled rejection.
    asked.then((choice) => {
      if (conn.state === 'closed') return;
      this.sendTransfer(choice.kind === 'chosen' ? choice.target : choice.kind === 'none' ? undefined : select());
    }).catch((err: unknown) => conn.fail(err));
  }

  private sendTransfer(target: Target | undefined): void {
    const conn = this.conn;
    const route = this.route;
    if (target === undefined) {
      conn.reportError('ERR_NO_TARGET');
      conn.disconnect('no_target');
      return;
    }
    this.step = 'transferring';
    this.storeAuthCookie(target);
    conn.send(encodeTransfer(target.host, target.port));
    publish(events.transfer, conn.ctx.source, { route: route.id, target: target.id, connectionId: conn.id });
    if (conn.ctx.log.isLevelEnabled('debug')) {
      conn.ctx.log.debug({ player: this.login.profile.name, route: route.id, target: target.id }, 'transferred');
    }
    conn.closeAfterTransfer();
  }
}
