import { events, publish } from '../events.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { decodeConfigurationPacket, encodeConfigurationKeepAlive, encodeTransfer } from '../protocol/configuration.ts';
import { selectTarget } from '../routing/strategies.ts';
import type { Connection } from './connection.ts';
import { MAX_CONFIGURATION_FRAME } from './limits.ts';

/** Login Acknowledged: the client is now in the configuration state and sends Client Information. */
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
      if (conn.step === 'await_client_information') transfer(conn);
      return;
    case 'keep_alive':
      if (conn.pendingKeepAlive !== packet.id) {
        throw new ProtocolError('ERR_BAD_VALUE', `keep alive: id ${packet.id} was never sent`);
      }
      conn.pendingKeepAlive = undefined;
      return;
    case 'plugin_message':
    case 'known_packs':
    case 'pong':
    case 'cookie':
    case 'resource_pack':
      return;
    default:
      throw new ProtocolError('ERR_UNEXPECTED_PACKET', `configuration: ${packet.kind} while ${conn.step}`);
  }
}

/** Picks the target by the route's strategy and hands the player over. */
export function transfer(conn: Connection): void {
  const route = conn.route!;
  const target = selectTarget(route, { playerId: conn.profile!.id, random: conn.ctx.random, counters: conn.ctx.counters });
  if (target === undefined) {
    conn.reportError('ERR_NO_TARGET');
    conn.disconnect('no_target');
    return;
  }
  conn.step = 'transferring';
  conn.send(encodeTransfer(target.host, target.port));
  publish(events.transfer, conn.ctx.source, { route: route.id, target: target.id });
  if (conn.ctx.log.isLevelEnabled('debug')) {
    conn.ctx.log.debug({ player: conn.profile!.name, route: route.id, target: target.id }, 'transferred');
  }
  conn.closeAfterTransfer();
}
