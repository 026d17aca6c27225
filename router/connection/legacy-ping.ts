import { events, publish } from '../events.ts';
import { encodeLegacyStatus } from '../protocol/legacy.ts';
import { NEWEST_PROTOCOL, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';
import type { Connection } from './connection.ts';

/**
 * 1.6 appends an MC|PingHost plugin message naming the host it dialled:
 * FE 01 FA, short 11, "MC|PingHost" (UTF-16BE), short len, byte protocol, short hostLen, host (UTF-16BE), int port.
 */
export function legacyPingHost(bytes: Buffer): string | undefined {
  if (bytes.length < 3 + 2 + 22 + 2 + 1 + 2 || bytes[2] !== 0xfa) return undefined;
  if (bytes.readUInt16BE(3) !== 11 || utf16be(bytes, 5, 11) !== 'MC|PingHost') return undefined;
  const hostLen = bytes.readUInt16BE(3 + 2 + 22 + 2 + 1);
  const start = 3 + 2 + 22 + 2 + 1 + 2;
  if (hostLen > 255 || bytes.length < start + hostLen * 2) return undefined;
  return utf16be(bytes, start, hostLen).toLowerCase().replace(/\.$/, '');
}

function utf16be(bytes: Buffer, offset: number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += String.fromCharCode(bytes.readUInt16BE(offset + i * 2));
  return s;
}

/**
 * Pre-1.7 clients get a kick-style status: they cannot log in (transfer needs 1.20.5+), but their list
 * shows why. The handshake phase calls this for a first chunk that starts with `FE`.
 */
export function answerLegacyPing(conn: Connection, chunk: Buffer): void {
  publish(events.handshake, conn.ctx.source, { intent: 'legacy', route: '', protocol: 0 });
  const table = conn.ctx.tables.current;
  const host = legacyPingHost(chunk);
  const route = table === undefined ? undefined : host === undefined ? table.fallback() : table.resolve(host);
  const motdSource = route?.status.motd;
  const motd = typeof motdSource === 'string' ? motdSource : conn.ctx.messages.text('unsupported_version', undefined, { versions: SUPPORTED_RANGE_TEXT });
  conn.send(
    encodeLegacyStatus(chunk, {
      protocol: NEWEST_PROTOCOL,
      versionName: SUPPORTED_RANGE_TEXT,
      motd,
      online: route === undefined || table === undefined ? 0 : table.onlinePlayers(route),
      max: route?.status.maxPlayers ?? 0,
    }),
  );
  conn.close('status');
}
