// Clients before 1.7 do not frame packets: they open with 0xFE (server list ping). 1.4–1.6 send
// `FE 01`, and 1.6 appends `FA` + an MC|PingHost plugin message. The answer is a 0xFF kick packet
// whose UTF-16BE text carries the status fields.

import { EncodeError } from './errors.ts';
import { MAX_LEGACY_KICK_CHARS } from './limits.ts';

export const LEGACY_PING_BYTE = 0xfe;

export interface LegacyStatus {
  readonly protocol: number;
  readonly versionName: string;
  readonly motd: string;
  readonly online: number;
  readonly max: number;
}

/** How many bytes to wait for before deciding which legacy form this is (bounded by a short deadline). */
export function isLegacyPing(first: number): boolean {
  return first === LEGACY_PING_BYTE;
}

/**
 * `FE` alone is the pre-1.4 ping (answer `motd§online§max`); `FE 01` (with or without the 1.6 `FA`
 * plugin message) gets the 1.4+ form `§1\0protocol\0version\0motd\0online\0max`.
 * Those clients read the answer with readString(256), so the MOTD is shortened to the room the other
 * fields leave (their list shows one line of it anyway); fields that alone do not fit are refused.
 */
export function encodeLegacyStatus(firstBytes: Buffer, s: LegacyStatus): Buffer {
  const modern = firstBytes.length >= 2 && firstBytes[1] === 0x01;
  const compose = (motd: string): string =>
    modern ? ['§1', String(s.protocol), s.versionName, motd, String(s.online), String(s.max)].join('\0') : `${motd}§${s.online}§${s.max}`;
  const room = MAX_LEGACY_KICK_CHARS - compose('').length;
  if (room < 0) throw new EncodeError('legacy status', compose('').length, MAX_LEGACY_KICK_CHARS);
  const text = compose(clip(s.motd.replace(/[\0§]/g, ''), room));
  const chars = text.length;
  const out = Buffer.alloc(3 + chars * 2);
  out[0] = 0xff;
  out.writeUInt16BE(chars, 1);
  for (let i = 0; i < chars; i++) out.writeUInt16BE(text.charCodeAt(i), 3 + i * 2);
  return out;
}

/** The first `max` UTF-16 units, without splitting a surrogate pair. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
