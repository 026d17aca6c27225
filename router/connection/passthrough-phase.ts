// The passthrough state: a route that relays instead of transferring (or a transfer route's fallback
// for clients older than 1.20.5). Status pings are answered with the backend's own status, cached;
// a login is read up to Login Start (for the player name), then the socket goes to a relay session.
import { performance } from 'node:perf_hooks';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { INTENT_STATUS } from '../protocol/handshake.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { encodeLoginDisconnect } from '../protocol/login.ts';
import { frameBody, readLoginStartName } from '../protocol/relay.ts';
import { textComponent } from '../protocol/text.ts';
import { decodeStatusPacket, encodePong, encodeStatusResponse } from '../protocol/status.ts';
import { TRANSFER_MIN_PROTOCOL } from '../protocol/versions.ts';
import { connectFirst } from '../relay/connect.ts';
import type { BackendConnection } from '../relay/connect.ts';
import { RelayError } from '../relay/errors.ts';
import { backendHandshake } from '../relay/handshake-rewrite.ts';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_READ_TIMEOUT_MS,
  DEFAULT_WRITE_TIMEOUT_MS,
  STATUS_RESPONSE_TIMEOUT_MS,
} from '../relay/limits.ts';
import { encodeProxyV2Header } from '../relay/proxy-header.ts';
import { RelaySession } from '../relay/session.ts';
import { ReusedReads } from '../relay/reused-reads.ts';
import { fetchBackendStatus } from '../relay/status-exchange.ts';
import type { ActiveTable } from '../routing/active-table.ts';
import type { Route } from '../table/types.ts';
import type { Connection } from './connection.ts';
import type { EntryLimits, Phase } from './phase.ts';
import { CLOSE_LINGER_MS, MAX_LOGIN_FRAME, MAX_STATUS_FRAME } from './limits.ts';
import { buildStatus } from './status-phase.ts';
import { LogThrottle } from '../log-throttle.ts';

const BACKEND_DOWN_LOG = new LogThrottle();

/** Whether a connection on `route` is relayed: passthrough routes, and old clients on a route with the fallback. */
export function isRelayed(route: Route, protocol: number): boolean {
  if (route.mode === 'passthrough') return true;
  return route.fallback === 'passthrough' && protocol < TRANSFER_MIN_PROTOCOL;
}

const STATUS_LIMITS: EntryLimits = { maxFrame: MAX_STATUS_FRAME };
// Login Start of 1.19 carries signature data (a public key and its signature): the login limit covers it.
const LOGIN_LIMITS: EntryLimits = { maxFrame: MAX_LOGIN_FRAME };

/**
 * Phase 2b/3b, passthrough: the handshake phase moves here once it has decided the connection is
 * relayed. A status ping is answered with the backend's status; a login's first frame (Login Start)
 * is read for the player name and the socket goes to a relay session with everything read so far.
 */
export class PassthroughPhase implements Phase {
  readonly state = 'passthrough';
  private readonly conn: Connection;
  private readonly handshake: Handshake;
  private readonly table: ActiveTable;
  private readonly route: Route;
  private answered = false;
  private name: string | undefined;

  /** The frame limit of a relayed status ping or login. */
  static limits(intent: 'status' | 'login'): EntryLimits {
    return intent === 'status' ? STATUS_LIMITS : LOGIN_LIMITS;
  }

  constructor(conn: Connection, handshake: Handshake, table: ActiveTable, route: Route) {
    this.conn = conn;
    this.handshake = handshake;
    this.table = table;
    this.route = route;
  }

  get playerName(): string | undefined {
    return this.name;
  }

  handle(body: Buffer): void | Promise<void> {
    const conn = this.conn;
    if (conn.intent === 'status') return this.handleStatusPacket(body);
    this.name = readLoginStartName(body);
    startRelay(conn, this.handshake, this.route, this.name, frameBody(body));
  }

  private handleStatusPacket(body: Buffer): void | Promise<void> {
    const conn = this.conn;
    const packet = decodeStatusPacket(body);
    if (packet.kind === 'ping') {
      // Answered here: the backend connection of the status request is already gone (and cached).
      conn.send(encodePong(packet.payload));
      conn.close('status');
      return;
    }
    if (this.answered) throw new ProtocolError('ERR_UNEXPECTED_PACKET', 'status: second status request');
    this.answered = true;
    return answerStatus(conn, this.handshake, this.table, this.route);
  }
}

/** Relay deadlines of a route, with the defaults filled in. */
export function relayTimeouts(route: Route): { connect: number; read: number; write: number } {
  return {
    connect: route.timeouts?.connect ?? DEFAULT_CONNECT_TIMEOUT_MS,
    read: route.timeouts?.read ?? DEFAULT_READ_TIMEOUT_MS,
    write: route.timeouts?.write ?? DEFAULT_WRITE_TIMEOUT_MS,
  };
}

// --- status ----------------------------------------------------------------------------------------

async function answerStatus(conn: Connection, hs: Handshake, table: ActiveTable, route: Route): Promise<void> {
  const started = performance.now();
  const timeouts = relayTimeouts(route);
  const { json, result } = await conn.ctx.relays.statusCache.lookup(route.id, hs.protocol, async () => {
    try {
      return await fetchBackendStatus({
        targets: route.targets,
        connectTimeoutMs: timeouts.connect,
        responseTimeoutMs: Math.min(timeouts.read, STATUS_RESPONSE_TIMEOUT_MS),
        preamble: (target) => [
          ...(route.sendProxyProtocol === true ? [proxyHeader(conn)] : []),
          backendHandshake(hs, route.domainRewrite, target, INTENT_STATUS),
        ],
      });
    } catch (err) {
      const code = err instanceof RelayError ? err.code : 'ERR_RELAY_STATUS_INVALID';
      conn.reportError(code);
      if (conn.ctx.log.isLevelEnabled('debug')) conn.ctx.log.debug({ route: route.id, code }, (err as Error).message);
      throw err;
    }
  });
  publish(events.relayStatus, conn.ctx.source, { route: route.id, result });
  if (conn.state === 'closed') return;
  conn.send(encodeStatusResponse(json ?? offlineStatus(conn, table, route, hs.protocol)));
  publish(events.status, conn.ctx.source, { route: route.id, durationSeconds: (performance.now() - started) / 1000 });
}

/**
 * The route's own status when its backend cannot answer, marked offline: the version reads
 * "Offline" (protocol -1, so every client shows it in red where the player count would be) and no
 * one is online.
 */
function offlineStatus(conn: Connection, table: ActiveTable, route: Route, protocol: number): string {
  const status = buildStatus(table, route, protocol);
  return JSON.stringify({
    ...status,
    version: { name: conn.messages.text('backend_offline_version', undefined), protocol: -1 },
    players: { max: status.players.max, online: 0 },
  });
}

// --- login -----------------------------------------------------------------------------------------

function startRelay(conn: Connection, hs: Handshake, route: Route, player: string, loginStart: Buffer): void {
  if (!conn.ctx.relays.reserve(route.id, route.maxPlayers ?? 0)) {
    conn.disconnect('server_full');
    return;
  }
  conn.handOver();
  connectAndRelay(conn, hs, route, player, loginStart).catch((err: unknown) => {
    // Our bug (the expected failures are handled inside): log it, free the slot, drop the client.
    conn.ctx.relays.release(route.id);
    conn.reportError('ERR_INTERNAL');
    conn.ctx.log.error({ err, client: conn.clientIp, route: route.id }, 'internal error while starting a relay');
    conn.socket.destroy();
  });
}

async function connectAndRelay(conn: Connection, hs: Handshake, route: Route, player: string, loginStart: Buffer): Promise<void> {
  const { ctx, socket: client } = conn;
  const timeouts = relayTimeouts(route);
  let backend: BackendConnection;
  // Backend → client reads go into one buffer for the whole session (see router/relay/reused-reads.ts).
  const reads = new ReusedReads();
  try {
    backend = await connectFirst(route.targets, timeouts.connect, () => client.destroyed, reads.onread);
  } catch (err) {
    ctx.relays.release(route.id);
    const code = err instanceof RelayError ? err.code : 'ERR_RELAY_CONNECT_FAILED';
    if (code === 'ERR_RELAY_CLIENT_GONE') {
      conn.relayNotStarted('client_closed');
      return;
    }
    conn.reportError(code);
    // Anyone can trigger this while a backend is down: one line per route per minute, the rest counted.
    const admitted = BACKEND_DOWN_LOG.admit(route.id);
    if (admitted !== undefined) {
      ctx.log.warn(
        { route: route.id, player, client: conn.clientIp, attempts: err instanceof RelayError ? err.attempts : [], suppressedSinceLast: admitted.suppressed },
        'no target of a relayed route accepted the connection',
      );
    }
    refuse(conn, route.disconnectMessage);
    return;
  }
  if (backend.failed.length > 0) {
    ctx.log.info({ route: route.id, target: backend.target.id, failed: backend.failed }, 'relay failed over to a later target');
  }
  const preamble: Buffer[] = [];
  if (route.sendProxyProtocol === true) preamble.push(proxyHeader(conn));
  const forward = { mode: route.forwarding, player: { ip: conn.clientIp, name: player } };
  preamble.push(backendHandshake(hs, route.domainRewrite, backend.target, hs.intent, forward), loginStart);
  const rest = conn.decoder.takePending();
  if (rest !== undefined) preamble.push(rest);
  const session = new RelaySession({
    client,
    backend: backend.socket,
    route: route.id,
    target: backend.target.id,
    player,
    clientIp: conn.clientIp,
    readTimeoutMs: timeouts.read,
    writeTimeoutMs: timeouts.write,
    backendReads: reads,
    onEnd: (s) => ctx.relays.ended(s),
  });
  ctx.relays.add(session);
  session.start(preamble);
}

/** The route's disconnect_message (or the localized no_target text) as a login disconnect, then close. */
function refuse(conn: Connection, message: unknown): void {
  const component = textComponent(message ?? conn.messages.text('no_target', conn.locale));
  publish(events.disconnect, conn.ctx.source, { reason: 'no_target' });
  conn.relayNotStarted('disconnected:no_target');
  const socket = conn.socket;
  if (socket.destroyed) return;
  socket.end(encodeLoginDisconnect(component));
  setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
}

/** PROXY v2 with the client's address (the PROXY-header address when a trusted proxy sent one). */
function proxyHeader(conn: Connection): Buffer {
  const s = conn.socket;
  return encodeProxyV2Header({
    sourceAddress: conn.clientIp,
    sourcePort: s.remotePort ?? 0,
    destinationAddress: s.localAddress ?? '',
    destinationPort: s.localPort ?? 0,
  });
}
