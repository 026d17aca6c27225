import { events, publish } from '../events.ts';
import { decodeHandshake, INTENT_STATUS, INTENT_TRANSFER } from '../protocol/handshake.ts';
import { protocolSupport, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';
import { admitHandshake } from '../limits/admission.ts';
import type { Connection } from './connection.ts';
import { beginPassthrough, isRelayed } from './passthrough-handler.ts';
import { MAX_LOGIN_START_FRAME, MAX_STATUS_FRAME } from './limits.ts';

export function handleHandshake(conn: Connection, body: Buffer): void {
  const hs = decodeHandshake(body);
  conn.handshake = hs;
  conn.table = conn.ctx.tables.current;
  conn.route = conn.table?.resolve(hs.host);
  const routeId = conn.route?.id ?? '';

  if (hs.intent === INTENT_STATUS) {
    conn.intent = 'status';
    conn.state = 'status';
    conn.decoder.maxFrame = MAX_STATUS_FRAME;
    publish(events.handshake, conn.ctx.source, { intent: conn.intent, route: routeId, protocol: hs.protocol, connectionId: conn.id });
    // Relayed routes answer with the backend's own status (cached per protocol).
    if (admitHandshake(conn) && isRelayed(conn.route, hs.protocol)) beginPassthrough(conn);
    return;
  }

  conn.intent = hs.intent === INTENT_TRANSFER ? 'transfer' : 'login';
  conn.state = 'login';
  conn.decoder.maxFrame = MAX_LOGIN_START_FRAME;
  publish(events.handshake, conn.ctx.source, { intent: conn.intent, route: routeId, protocol: hs.protocol, connectionId: conn.id });
  // Rate limits come before anything that costs (route checks, backend dials, RSA).
  if (!admitHandshake(conn)) return;

  if (conn.ctx.draining) {
    conn.disconnect('shutting_down');
    return;
  }
  if (conn.route === undefined) {
    conn.disconnect('no_route', { host: hs.host });
    return;
  }
  if (conn.route.maintenance === true) {
    // Operators flip this in the table; the route's status (MOTD) is theirs to word the announcement.
    conn.disconnect('maintenance');
    return;
  }
  if (isRelayed(conn.route, hs.protocol)) {
    // Passthrough routes, and clients too old to transfer on a route with `fallback = "passthrough"`.
    beginPassthrough(conn);
    return;
  }
  if (conn.route.mode === 'transfer') admitProtocol(conn, hs.protocol);
}

/**
 * Transfer needs 1.20.5+: older clients on a transfer route are told which versions work. A newer
 * protocol than any known one (a release that came out after this Passage) is served with the newest
 * known layout unless `[protocol]` says otherwise, counted, and its first login logged.
 */
function admitProtocol(conn: Connection, protocol: number): void {
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
