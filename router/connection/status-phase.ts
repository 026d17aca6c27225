import { performance } from 'node:perf_hooks';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { decodeStatusPacket, encodePong, encodeStatusResponse } from '../protocol/status.ts';
import type { StatusResponse } from '../protocol/status.ts';
import { NEWEST_PROTOCOL, protocolSupport, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';
import type { ActiveTable } from '../routing/active-table.ts';
import { textComponent } from '../protocol/text.ts';
import type { Route } from '../table/types.ts';
import type { Handshake } from '../protocol/handshake.ts';
import type { Connection } from './connection.ts';
import type { Phase } from './phase.ts';
import { hasWakeTargets } from '../wake/waker.ts';

/**
 * The status for a route. A client that can log in sees its own protocol echoed (so the list shows
 * the server as compatible); others see the newest known version and the list marks it incompatible.
 * `echo` defaults to "any protocol that can transfer" (1.20.5+, newer numbers included).
 */
export function buildStatus(table: ActiveTable, route: Route, protocol: number, echo = protocolSupport(protocol) !== 'too_old'): StatusResponse {
  const adapted = table.adapters?.status(route);
  const s = adapted?.status ?? route.status;
  return {
    version: { name: s.versionName ?? (echo ? 'Passage' : SUPPORTED_RANGE_TEXT), protocol: echo ? protocol : NEWEST_PROTOCOL },
    players: { max: s.maxPlayers, online: adapted?.online ?? table.onlinePlayers(route) },
    description: textComponent(s.motd),
    ...(s.favicon === undefined ? {} : { favicon: s.favicon }),
  };
}

/** Whether a login with this protocol would be served: known ones always, newer ones by `[protocol]`. */
function servesProtocol(conn: Connection, protocol: number): boolean {
  const support = protocolSupport(protocol);
  return support === 'known' || (support === 'newer' && conn.ctx.newerProtocols.accepts(protocol));
}

function statusJson(conn: Connection, hs: Handshake): string {
  const table = conn.table;
  const route = conn.route;
  const echo = servesProtocol(conn, hs.protocol);
  if (table === undefined || route === undefined) {
    const text = conn.ctx.messages.text('unknown_host_motd', undefined, { host: hs.host });
    return JSON.stringify({
      version: { name: SUPPORTED_RANGE_TEXT, protocol: echo ? hs.protocol : NEWEST_PROTOCOL },
      players: { max: 0, online: 0 },
      description: { text },
    });
  }
  // A route fed by adapters changes between swaps: its adapters cache what they fetched instead.
  if (table.adapters?.dynamic(route) === true) return JSON.stringify(buildStatus(table, route, hs.protocol, echo));
  // Cached per table, route and whether the protocol is echoed (the favicon makes this string the
  // costly part of a ping). The protocol number itself is appended per ping: every number from 766 up
  // is echoed, so a key per protocol would let clients grow the cache by inventing numbers.
  const key = `${route.id}\0${echo ? 'echo' : 'newest'}`;
  let head = table.statusCache.get(key);
  if (head === undefined) {
    const { version, ...rest } = buildStatus(table, route, hs.protocol, echo);
    // The version goes last, cut before its protocol: `{…,"version":{"name":"…"` + `,"protocol":N}}`.
    head = JSON.stringify({ ...rest, version: { name: version.name } }).slice(0, -2);
    table.statusCache.set(key, head);
  }
  return `${head},"protocol":${echo ? hs.protocol : NEWEST_PROTOCOL}}}`;
}

/**
 * The status of a route whose targets all sleep (wake on join): the route's status with its
 * `sleeping_motd` (or the localized default) and no players. Only a login wakes a target.
 */
function sleepingStatusJson(conn: Connection, hs: Handshake, table: ActiveTable, route: Route): string {
  const status = buildStatus(table, route, hs.protocol, servesProtocol(conn, hs.protocol));
  const motd = (table.adapters?.status(route)?.status ?? route.status).sleepingMotd ?? conn.messages.text('sleeping_motd', undefined);
  return JSON.stringify({ ...status, players: { ...status.players, online: 0 }, description: textComponent(motd) });
}

/** Phase 2a, status (server-list ping): one status request → the route's status, ping → pong, close. */
export class StatusPhase implements Phase {
  readonly state = 'status';
  private readonly conn: Connection;
  private readonly handshake: Handshake;
  private answered = false;

  constructor(conn: Connection, handshake: Handshake) {
    this.conn = conn;
    this.handshake = handshake;
  }

  handle(body: Buffer): void | Promise<void> {
    const conn = this.conn;
    const packet = decodeStatusPacket(body);
    if (packet.kind === 'request') {
      if (this.answered) throw new ProtocolError('ERR_UNEXPECTED_PACKET', 'status: second status request');
      this.answered = true;
      const started = performance.now();
      const { table, route } = conn;
      const targets = route === undefined ? undefined : (table?.adapters?.targets(route) ?? route.targets);
      if (conn.ctx.wake !== undefined && table !== undefined && route !== undefined && targets !== undefined && hasWakeTargets(targets)) {
        // A probe (cached and shared), never a wake: the Ping that follows waits in the connection's queue.
        return conn.ctx.wake.routeSleeping(targets).then((sleeping) => this.respond(sleeping ? sleepingStatusJson(conn, this.handshake, table, route) : statusJson(conn, this.handshake), started));
      }
      this.respond(statusJson(conn, this.handshake), started);
      return;
    }
    conn.send(encodePong(packet.payload));
    conn.close('status');
  }

  private respond(json: string, started: number): void {
    const conn = this.conn;
    conn.send(encodeStatusResponse(json));
    publish(events.status, conn.ctx.source, { route: conn.route?.id ?? '', durationSeconds: (performance.now() - started) / 1000 });
  }
}
