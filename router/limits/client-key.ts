import { isIP } from 'node:net';
import { ipv6, ipv6Bytes } from '../proxy/header.ts';

export interface ClientKeyPrefixes {
  /** 32: one budget per address; 24: one per /24 (a CGNAT pool or a small hoster's range). */
  readonly ipv4: number;
  /** 64: one per /64, the smallest block a home or a VPS gets; anything longer lets one host rotate keys. */
  readonly ipv6: number;
}

export const DEFAULT_PREFIXES: ClientKeyPrefixes = { ipv4: 32, ipv6: 64 };

/**
 * The key a client's budgets are counted under: its address masked to the configured prefix
 * (`203.0.113.7`, `203.0.113.0/24`, `2001:db8:1:2::/64`). IPv4-mapped IPv6 counts as IPv4.
 */
export function clientKey(ip: string, prefixes: ClientKeyPrefixes = DEFAULT_PREFIXES): string {
  const family = isIP(ip);
  if (family === 4) return prefixes.ipv4 >= 32 ? ip : maskV4(ip, prefixes.ipv4);
  if (family !== 6) return ip;
  const bytes = ipv6Bytes(ip)!;
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return clientKey(`${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`, prefixes);
  }
  if (prefixes.ipv6 >= 128) return ipv6(bytes, 0);
  for (let bit = prefixes.ipv6; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return `${ipv6(bytes, 0)}/${prefixes.ipv6}`;
}

function maskV4(ip: string, prefix: number): string {
  const n = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const masked = prefix === 0 ? 0 : n - (n % 2 ** (32 - prefix));
  return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${prefix}`;
}
