// PROXY protocol version 2 (haproxy.org/download/2.9/doc/proxy-protocol.txt, section 2.2): what a
// backend behind Passage reads to learn the player's real address. Binary, so it needs no parsing
// rules on the backend side beyond the fixed layout.
import { isIPv4, isIPv6 } from 'node:net';

/** "\r\n\r\n\0\r\nQUIT\n": the 12 bytes that open every v2 header. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const VERSION_2_PROXY = 0x21;
const VERSION_2_LOCAL = 0x20;
const TCP_OVER_IPV4 = 0x11;
const TCP_OVER_IPV6 = 0x21;
const UNSPEC = 0x00;

export interface ProxiedConnection {
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

/**
 * The header for a TCP connection. Both addresses must be of one family, so an IPv4 address meets an
 * IPv6 one as `::ffff:a.b.c.d`. Addresses that are not IPs give a LOCAL header, which tells the
 * backend to use the connection's own address (the spec's answer for "unknown").
 */
export function encodeProxyV2Header(c: ProxiedConnection): Buffer {
  let src = unmapIPv4(c.sourceAddress);
  let dst = unmapIPv4(c.destinationAddress);
  if (isIPv4(src) && isIPv4(dst)) {
    return header(VERSION_2_PROXY, TCP_OVER_IPV4, [ipv4Bytes(src), ipv4Bytes(dst), ports(c)]);
  }
  if (isIPv4(src)) src = `::ffff:${src}`;
  if (isIPv4(dst)) dst = `::ffff:${dst}`;
  if (isIPv6(src) && isIPv6(dst)) {
    return header(VERSION_2_PROXY, TCP_OVER_IPV6, [ipv6Bytes(src), ipv6Bytes(dst), ports(c)]);
  }
  return header(VERSION_2_LOCAL, UNSPEC, []);
}

function header(command: number, family: number, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const fixed = Buffer.alloc(4);
  fixed[0] = command;
  fixed[1] = family;
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, body]);
}

function ports(c: ProxiedConnection): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(c.sourcePort & 0xffff, 0);
  b.writeUInt16BE(c.destinationPort & 0xffff, 2);
  return b;
}

function unmapIPv4(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIPv4(lower.slice(7)) ? lower.slice(7) : address;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (`::` shorthand, a zone suffix and an embedded IPv4 tail allowed). */
export function ipv6Bytes(address: string): Buffer {
  let text = address.split('%')[0]!;
  const out = Buffer.alloc(16);
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    ipv4Bytes(tail).copy(out, 12);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  for (let i = 0; i < 8; i++) {
    // Keep an embedded IPv4 tail already written above.
    if (i >= 6 && isIPv4(tail)) break;
    out.writeUInt16BE(parseInt(groups[i] ?? '0', 16), i * 2);
  }
  return out;
}
