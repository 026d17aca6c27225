import { events, publish } from '../events.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { decodeHandshake, INTENT_STATUS, INTENT_TRANSFER } from '../protocol/handshake.ts';
import { LEGACY_PING_BYTE } from '../protocol/legacy.ts';
import { protocolSupport, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';
import { admitHandshake } from '../limits/admission.ts';
import { ipAccess, maintenanceNeedsPlayer } from '../routing/access.ts';
import { refuseLogin } from './access-check.ts';
import type { Connection } from './connection.ts';
import { answerLegacyPing } from './legacy-ping.ts';
import { LoginPhase } from './login-phase.ts';
import { isRelayed, PassthroughPhase } from './passthrough-phase.ts';
import type { Phase } from './phase.ts';
import { MAX_LOGIN_START_FRAME, MAX_STATUS_FRAME } from './limits.ts';
import { StatusPhase } from './status-phase.ts';

/**
 * Phase 1, the handshake: the first frame names the host (which picks the table's route), the
 * protocol and the intent. A status intent moves to the status phase (or passthrough, for relayed
 * routes); a login intent is counted against the client's budget, checked against the route, and
 * moves to the login phase (or passthrough). The accept deadline keeps running until Login Start.
 */
export class HandshakePhase implements Phase {
  readonly state = 'handshake';
  private readonly conn: Connection;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  /** A pre-1.7 client sends `FE …` instead of a frame: it gets a kick-style status and the connection closes. */
  firstChunk(chunk: Buffer): boolean {
    if (chunk[0] !== LEGACY_PING_BYTE) return false;
    const conn = this.conn;
    conn.identify('legacy');
    if (admitHandshake(conn)) answerLegacyPing(conn, chunk);
    return true;
  }

  handle(body: Buffer): void {
    const conn = this.conn;
    const hs = decodeHandshake(body);
    const table = conn.ctx.tables.current;
    const route = table?.resolve(hs.host);
    const routeId = route?.id ?? '';

    if (hs.intent === INTENT_STATUS) {
      conn.identify('status', hs, table, route);
      conn.enter(new StatusPhase(conn, hs), { maxFrame: MAX_STATUS_FRAME });
      publish(events.handshake, conn.ctx.source, { intent: conn.intent, route: routeId, protocol: hs.protocol, connectionId: conn.id });
      // Relayed routes answer with the backend's own status (cached per protocol).
      if (admitHandshake(conn) && table !== undefined && route !== undefined && isRelayed(route, hs.protocol)) conn.enter(new PassthroughPhase(conn, hs, table, route), PassthroughPhase.limits('status'));
      return;
    }

    conn.identify(hs.intent === INTENT_TRANSFER ? 'transfer' : 'login', hs, table, route);
    // The client is in the login state from here on: every refusal below is a login disconnect.
    conn.enter(new LoginPhase(conn, hs), { maxFrame: MAX_LOGIN_START_FRAME });
    publish(events.handshake, conn.ctx.source, { intent: conn.intent, route: routeId, protocol: hs.protocol, connectionId: conn.id });
    // Rate limits come before anything that costs (route checks, backend dials, RSA).
    if (!admitHandshake(conn)) return;

    if (conn.ctx.draining) {
      conn.disconnect('shutting_down');
      return;
    }
    if (route === undefined || table === undefined) {
      conn.disconnect('no_route', { host: hs.host });
      return;
    }
    // deny_ips before anything costly (RSA, the session server, a backend dial).
    const denied = ipAccess(route, conn.clientIp);
    if (denied !== undefined) {
      refuseLogin(conn, route, denied);
      return;
    }
    // With a maintenance_bypass list the login goes on to authentication, where the list is checked;
    // a relay never authenticates, so relayed clients are refused here.
    if (route.maintenance === true && (!maintenanceNeedsPlayer(route) || isRelayed(route, hs.protocol))) {
      // Operators flip this in the table; the route's status (MOTD) is theirs to word the announcement.
      conn.disconnect('maintenance');
      return;
    }
    if (isRelayed(route, hs.protocol)) {
      // Passthrough routes, and clients too old to transfer on a route with `fallback = "passthrough"`.
      conn.enter(new PassthroughPhase(conn, hs, table, route), PassthroughPhase.limits('login'));
      return;
    }
    if (route.mode === 'transfer') admitProtocol(conn, hs);
  }
}

/**
 * Transfer needs 1.20.5+: older clients on a transfer route are told which versions work. A newer
 * protocol than any known one (a release that came out after this Passage) is served with the newest
 * known layout unless `[protocol]` says otherwise, counted, and its first login logged.
 */
function admitProtocol(conn: Connection, hs: Handshake): void {
  const protocol = hs.protocol;
  const support = protocolSupport(protocol);
  if (support === 'too_old') {
    conn.disconnect('unsupported_version', { versions: SUPPORTED_RANGE_TEXT });
    return;
  }
  const accepted = support === 'known' || conn.ctx.newerProtocols.accepts(protocol);
  if (support === 'newer') conn.ctx.newerProtocols.recordLogin(protocol, accepted);
  publish(events.loginProtocol, conn.ctx.source, { protocol, support, result: accepted ? 'accepted' : 'refused', connectionId: conn.id });
  if (!accepted) conn.disconnect('newer_version', { versions: SUPPORTED_RANGE_TEXT });
}
