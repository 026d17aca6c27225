import { performance } from 'node:perf_hooks';
import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { decodeStatusPacket, encodePong, encodeStatusResponse } from '../protocol/status.ts';
import type { StatusResponse } from '../protocol/status.ts';
import { isSupportedProtocol, NEWEST_PROTOCOL, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';
import type { ActiveTable } from '../routing/active-table.ts';
import { textComponent } from '../protocol/text.ts';
import type { Route } from '../table/types.ts';
import type { Connection } from './connection.ts';

/**
 * The status for a route. Supported clients see their own protocol echoed (so the list shows the
 * server as compatible); others see the preferred version and the list marks it incompatible.
 */
export function buildStatus(table: ActiveTable, route: Route, protocol: number): StatusResponse {
  const supported = isSupportedProtocol(protocol);
  const adapted = table.adapters?.status(route);
  const s = adapted?.status ?? route.status;
  return {
    version: { name: s.versionName ?? (supported ? 'Passage' : SUPPORTED_RANGE_TEXT), protocol: supported ? protocol : NEWEST_PROTOCOL },
    players: { max: s.maxPlayers, online: adapted?.online ?? table.onlinePlayers(route) },
    description: textComponent(s.motd),
    ...(s.favicon === undefined ? {} : { favicon: s.favicon }),
  };
}

function statusJson(conn: Connection): string {
  const hs = conn.handshake!;
  const table = conn.table;
  const route = conn.route;
  if (table === undefined || route === undefined) {
    const text = conn.ctx.messages.text('unknown_host_motd', undefined, { host: hs.host });
    return JSON.stringify({
      version: { name: SUPPORTED_RANGE_TEXT, protocol: isSupportedProtocol(hs.protocol) ? hs.protocol : NEWEST_PROTOCOL },
      players: { max: 0, online: 0 },
      description: { text },
    });
  }
  // A route fed by adapters changes between swaps: its adapters cache what they fetched instead.
  if (table.adapters?.dynamic(route) === true) return JSON.stringify(buildStatus(table, route, hs.protocol));
  // Cached per table, route and protocol: the favicon makes this string the costly part of a ping.
  const key = `${route.id}\0${isSupportedProtocol(hs.protocol) ? hs.protocol : 0}`;
  let json = table.statusCache.get(key);
  if (json === undefined) {
    json = JSON.stringify(buildStatus(table, route, hs.protocol));
    table.statusCache.set(key, json);
  }
  return json;
}

export function handleStatus(conn: Connection, body: Buffer): void {
  const packet = decodeStatusPacket(body);
  if (packet.kind === 'request') {
    if (conn.step !== 'await_start') throw new ProtocolError('ERR_UNEXPECTED_PACKET', 'status: second status request');
    conn.step = 'transferring';
    const started = performance.now();
    conn.send(encodeStatusResponse(statusJson(conn)));
    publish(events.status, conn.ctx.source, { route: conn.route?.id ?? '', durationSeconds: (performance.now() - started) / 1000 });
    return;
  }
  conn.send(encodePong(packet.payload));
  conn.close('status');
}
