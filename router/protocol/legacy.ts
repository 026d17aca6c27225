// Clients before 1.7 do not frame packets: they open with 0xFE (server list ping). 1.4–1.6 send
// `FE 01`, and 1.6 appends `FA` + an MC|PingHost plugin message. The answer is a 0xFF kick packet
// whose UTF-16BE text carries the status fields.

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
 */
export function encodeLegacyStatus(firstBytes: Buffer, s: LegacyStatus): Buffer {
  const modern = firstBytes.length >= 2 && firstBytes[1] === 0x01;
  const motd = s.motd.replace(/[\0§]/g, '');
  const text = modern
    ? ['§1', String(s.protocol), s.versionName, motd, String(s.online), String(s.max)].join('\0')
    : `${motd}§${s.online}§${s.max}`;
  const chars = text.length;
  const out = Buffer.alloc(3 + chars * 2);
  out[0] = 0xff;
  out.writeUInt16BE(chars, 1);
  for (let i = 0; i < chars; i++) out.writeUInt16BE(text.charCodeAt(i), 3 + i * 2);
  return out;
}
