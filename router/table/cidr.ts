// CIDRs in routing tables (`[routes.access] deny_ips`). Parsed here once, for the schema and for the
// matcher, so what the schema accepts is exactly what the router can match.
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  readonly ip: string;
  readonly bits: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `203.0.113.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128); undefined when it is none of these. */
export function parseCidr(text: string): Cidr | undefined {
  const parts = text.split('/');
  if (parts.length > 2) return undefined;
  const [ip, bits] = parts as [string, string | undefined];
  const family = isIP(ip);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const n = bits === undefined ? max : Number(bits);
  if (n > max) return undefined;
  return { ip, bits: n, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** A BlockList of CIDRs that parseCidr accepted; others are skipped (the schema refused them already). */
export function cidrBlockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr !== undefined) list.addSubnet(cidr.ip, cidr.bits, cidr.family);
  }
  return list;
}
