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
import type { Target } from '../table/types.ts';
import type { Connection } from './connection.ts';
import { MAX_CONFIGURATION_FRAME } from './limits.ts';

/** `accepted` and `downloaded` are progress reports; every other result ends that pack's story. */
const INTERMEDIATE_RESULTS: ReadonlySet<ResourcePackResult> = new Set(['accepted', 'downloaded']);

/**
 * Configuration: Client Information (locale) → resource packs, each until its final result →
 * Store Cookie (when cookies are on) → Transfer. Keep-alives run throughout.
 */
export function beginConfiguration(conn: Connection): void {
  conn.state = 'configuration';
  conn.step = 'await_client_information';
  conn.decoder.maxFrame = MAX_CONFIGURATION_FRAME;
  conn.setStateDeadline(conn.ctx.config.limits.configurationTimeoutMs);
  conn.startKeepAlive(() => {
    if (conn.pendingKeepAlive !== undefined) {
      // The previous keep-alive is still unanswered after a whole interval: the client is gone.
      conn.reportError('ERR_KEEPALIVE_TIMEOUT');
      conn.disconnect('timeout', {}, 'timeout');
      return;
    }
    conn.pendingKeepAlive = BigInt(Date.now());
    conn.send(encodeConfigurationKeepAlive(conn.pendingKeepAlive));
  });
}

export function handleConfiguration(conn: Connection, body: Buffer): void {
  const packet = decodeConfigurationPacket(body, conn.handshake!.protocol);
  switch (packet.kind) {
    case 'client_information':
      conn.locale = packet.locale;
      if (conn.step === 'await_client_information') pushResourcePacks(conn);
      return;
    case 'keep_alive':
      if (conn.pendingKeepAlive !== packet.id) {
        throw new ProtocolError('ERR_BAD_VALUE', `keep alive: id ${packet.id} was never sent`);
      }
      conn.pendingKeepAlive = undefined;
      return;
    case 'resource_pack':
      onResourcePackResult(conn, packet.uuid, packet.result);
      return;
    case 'plugin_message':
    case 'known_packs':
    case 'pong':
    case 'cookie':
      return;
    default:
      throw new ProtocolError('ERR_UNEXPECTED_PACKET', `configuration: ${packet.kind} while ${conn.step}`);
  }
}

function pushResourcePacks(conn: Connection): void {
  const packs = conn.route!.resourcePacks ?? [];
  if (packs.length === 0) {
    transfer(conn);
    return;
  }
  conn.step = 'await_resource_packs';
  for (const pack of packs) {
    conn.pendingPacks.set(pack.id, pack);
    conn.send(encodeAddResourcePack({ uuid: pack.id, url: pack.url, hash: pack.hash, forced: pack.forced, ...(pack.prompt === undefined ? {} : { prompt: textComponent(pack.prompt) }) }));
  }
  // Downloads take a while: a deadline of their own, after which only forced packs matter.
  conn.setStateDeadline(conn.ctx.config.limits.resourcePackTimeoutMs, () => onResourcePackTimeout(conn));
}

function onResourcePackResult(conn: Connection, uuid: string, result: ResourcePackResult): void {
  const pack = conn.pendingPacks.get(uuid);
  if (conn.step !== 'await_resource_packs' || pack === undefined || INTERMEDIATE_RESULTS.has(result)) return;
  conn.pendingPacks.delete(uuid);
  publish(events.resourcePack, conn.ctx.source, { route: conn.route!.id, pack: uuid, result });
  if (pack.forced && result !== 'loaded') {
    conn.disconnect('resource_pack_required', {}, `resource_pack:${result}`);
    return;
  }
  if (conn.pendingPacks.size === 0) transfer(conn);
}

function onResourcePackTimeout(conn: Connection): void {
  if (conn.state === 'closed') return;
  const forcedPending = [...conn.pendingPacks.values()].some((p) => p.forced);
  for (const pack of conn.pendingPacks.values()) publish(events.resourcePack, conn.ctx.source, { route: conn.route!.id, pack: pack.id, result: 'timeout' });
  conn.pendingPacks.clear();
  if (forcedPending) {
    conn.reportError('ERR_RESOURCE_PACK_TIMEOUT');
    conn.disconnect('resource_pack_required', {}, 'timeout');
    return;
  }
  transfer(conn);
}

/**
 * Stores an auth cookie for the next login, when cookies are on and this login was verified. It
 * carries the time of the session-server check this login rests on (a cookie login passes its own
 * along unchanged) and expires no later than `cookie_max_age` after it.
 */
function storeAuthCookie(conn: Connection, target: Target): void {
  const secrets = conn.ctx.cookieSecrets;
  const verifiedAt = conn.verifiedAt;
  if (secrets === undefined || !conn.verified || verifiedAt === undefined) return;
  const now = conn.ctx.now();
  const { cookieTtlMs, cookieMaxAgeMs } = conn.ctx.config.auth;
  const expiresAt = cookieExpiry(now, verifiedAt, { ttlMs: cookieTtlMs, maxAgeMs: cookieMaxAgeMs });
  if (expiresAt <= now) return;
  try {
    const cookie = issueAuthCookie({ profile: conn.profile!, ip: conn.clientIp, issuedAt: now, verifiedAt, expiresAt, target: target.id }, secrets);
    conn.send(encodeStoreCookie(AUTH_COOKIE_KEY, cookie));
  } catch (err) {
    // A profile too large for the cookie limit only costs the player a session-server call next time.
    conn.reportError('ERR_COOKIE_TOO_LARGE');
    if (conn.ctx.log.isLevelEnabled('debug')) conn.ctx.log.debug({ player: conn.profile!.name }, (err as Error).message);
  }
}

/**
 * Picks the target by the route's strategy and hands the player over. A route with adapters takes its
 * targets from discovery and may ask a strategy adapter, falling back to its own strategy when that fails.
 */
export function transfer(conn: Connection): void {
  const route = conn.route!;
  const hook = conn.table?.adapters;
  const targets = hook?.targets(route) ?? route.targets;
  const select = (): Target | undefined => selectTarget(route, { playerId: conn.profile!.id, random: conn.ctx.random, counters: conn.ctx.counters }, targets);
  const asked = hook?.choose(route, targets, { id: conn.profile!.id, name: conn.profile!.name, ip: conn.clientIp, protocol: conn.handshake!.protocol, host: conn.handshake!.host, ...(conn.locale === undefined ? {} : { locale: conn.locale }) });
  if (asked === undefined) {
    sendTransfer(conn, select());
    return;
  }
  conn.step = 'transferring';
  // Outside the frame loop nobody else catches: a failure here (a hook that broke its never-rejects
  // promise, an encoding error) must still end as a disconnect and a metric, not an unhandled rejection.
  asked.then((choice) => {
    if (conn.state === 'closed') return;
    sendTransfer(conn, choice.kind === 'chosen' ? choice.target : choice.kind === 'none' ? undefined : select());
  }).catch((err: unknown) => conn.fail(err));
}

function sendTransfer(conn: Connection, target: Target | undefined): void {
  const route = conn.route!;
  if (target === undefined) {
    conn.reportError('ERR_NO_TARGET');
    conn.disconnect('no_target');
    return;
  }
  conn.step = 'transferring';
  storeAuthCookie(conn, target);
  conn.send(encodeTransfer(target.host, target.port));
  publish(events.transfer, conn.ctx.source, { route: route.id, target: target.id, connectionId: conn.id });
  if (conn.ctx.log.isLevelEnabled('debug')) {
    conn.ctx.log.debug({ player: conn.profile!.name, route: route.id, target: target.id }, 'transferred');
  }
  conn.closeAfterTransfer();
}
