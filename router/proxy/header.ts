// PROXY protocol v1 and v2 (https://www.haproxy.org/download/3.0/doc/proxy-protocol.txt), parsed
// incrementally: bytes arrive in any chunking, at most the fixed part of a header is ever buffered
// (v1 ≤ 107 bytes, v2 ≤ 16 + 216), and v2 TLVs are skipped by count without being kept.
import { isIP } from 'node:net';
import { ProxyHeaderError } from './errors.ts';

/** "The maximum line lengths the receiver must support including the CRLF are 107 bytes" (v1). */
export const PROXY_V1_MAX_BYTES = 107;
/** v2 starts with this 12-byte signature. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_FIXED_BYTES = 16;
/** Address block sizes by v2 family: UNSPEC, INET, INET6, UNIX. */
const V2_ADDRESS_BYTES = [0, 12, 36, 216];
const PORT = /^(0|[1-9][0-9]{0,4})$/;

export interface ProxyAddress {
  readonly address: string;
  readonly port: number;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /** `local`: the proxy's own connection (health checks): the peer's address is the client's. */
  readonly command: 'proxy' | 'local';
  /** Absent when the header carries no IP (LOCAL, v1 UNKNOWN, v2 UNSPEC or UNIX): use the peer's. */
  readonly source?: ProxyAddress;
  readonly destination?: ProxyAddress;
  /** Bytes the header took on the wire. */
  readonly length: number;
}

export type ParseStep = { readonly done: false } | { readonly done: true; readonly header: ProxyHeader; readonly rest: Buffer | undefined };

const NEED_MORE: ParseStep = { done: false };

/** Feeds a connection's first bytes until a whole header is read; throws ProxyHeaderError on anything else. */
export class ProxyHeaderParser {
  private buf: Buffer | undefined;
  private header: ProxyHeader | undefined;
  /** v2 bytes (TLVs) still to discard after the address block. */
  private skip = 0;

  push(chunk: Buffer): ParseStep {
    if (this.header !== undefined) return this.skipTlvs(chunk);
    const buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = undefined;
    if (startsLike(buf, V1_PREFIX)) return this.v1(buf);
    if (startsLike(buf, PROXY_V2_SIGNATURE)) return this.v2(buf);
    throw new ProxyHeaderError('ERR_PROXY_MISSING', `expected a PROXY header, got 0x${buf.subarray(0, 8).toString('hex')}`);
  }

  private v1(buf: Buffer): ParseStep {
    const end = buf.subarray(0, PROXY_V1_MAX_BYTES).indexOf('\r\n', 0, 'latin1');
    if (end === -1) {
      if (buf.length >= PROXY_V1_MAX_BYTES) throw new ProxyHeaderError('ERR_PROXY_TOO_LONG', `v1 header without CRLF in ${PROXY_V1_MAX_BYTES} bytes`);
      this.buf = Buffer.from(buf);
      return NEED_MORE;
    }
    const header = parseV1Line(buf.toString('latin1', 0, end), end + 2);
    return { done: true, header, rest: end + 2 < buf.length ? buf.subarray(end + 2) : undefined };
  }

  private v2(buf: Buffer): ParseStep {
    if (buf.length < V2_FIXED_BYTES) {
      this.buf = Buffer.from(buf);
      return NEED_MORE;
    }
    const version = buf[12] >> 4;
    const command = buf[12] & 0x0f;
    const family = buf[13] >> 4;
    const transport = buf[13] & 0x0f;
    const length = buf.readUInt16BE(14);
    if (version !== 2) throw new ProxyHeaderError('ERR_PROXY_UNSUPPORTED', `v2 header with version ${version}`);
    if (command > 1) throw new ProxyHeaderError('ERR_PROXY_UNSUPPORTED', `v2 header with command ${command}`);
    if (family > 3) throw new ProxyHeaderError('ERR_PROXY_UNSUPPORTED', `v2 header with address family ${family}`);
    // LOCAL: "the receiver must accept this connection as valid and must use the real connection endpoints".
    const isLocal = command === 0;
    const addressBytes = isLocal ? 0 : V2_ADDRESS_BYTES[family];
    if (!isLocal && (family === 1 || family === 2) && transport !== 1) {
      throw new ProxyHeaderError('ERR_PROXY_UNSUPPORTED', `v2 header for transport ${transport}, expected 1 (stream)`);
    }
    if (length < addressBytes) throw new ProxyHeaderError('ERR_PROXY_MALFORMED', `v2 header length ${length}, family ${family} needs ${addressBytes}`);
    if (buf.length < V2_FIXED_BYTES + addressBytes) {
      this.buf = Buffer.from(buf);
      return NEED_MORE;
    }
    const a = V2_FIXED_BYTES;
    let source: ProxyAddress | undefined;
    let destination: ProxyAddress | undefined;
    if (!isLocal && family === 1) {
      source = { address: ipv4(buf, a), port: buf.readUInt16BE(a + 8) };
      destination = { address: ipv4(buf, a + 4), port: buf.readUInt16BE(a + 10) };
    } else if (!isLocal && family === 2) {
      source = { address: ipv6(buf, a), port: buf.readUInt16BE(a + 32) };
      destination = { address: ipv6(buf, a + 16), port: buf.readUInt16BE(a + 34) };
    }
    this.header = {
      version: 2,
      command: isLocal ? 'local' : 'proxy',
      ...(source === undefined ? {} : { source }),
      ...(destination === undefined ? {} : { destination }),
      length: V2_FIXED_BYTES + length,
    };
    this.skip = V2_FIXED_BYTES + length - buf.length;
    if (this.skip >= 0) return this.skipTlvs(undefined);
    return { done: true, header: this.header, rest: buf.subarray(V2_FIXED_BYTES + length) };
  }

  private skipTlvs(chunk: Buffer | undefined): ParseStep {
    if (chunk !== undefined) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      if (this.skip === 0) return { done: true, header: this.header!, rest: n < chunk.length ? chunk.subarray(n) : undefined };
      return NEED_MORE;
    }
    return this.skip === 0 ? { done: true, header: this.header!, rest: undefined } : NEED_MORE;
  }
}

/** True when `buf` could still be the start of `prefix` (or already is). */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.compare(prefix, 0, n, 0, n) === 0;
}

function parseV1Line(line: string, length: number): ProxyHeader {
  const parts = line.split(' ');
  // "PROXY UNKNOWN" may be followed by anything up to the CRLF; the receiver ignores it.
  if (parts[1] === 'UNKNOWN') return { version: 1, command: 'proxy', length };
  if (parts.length !== 6) throw new ProxyHeaderError('ERR_PROXY_MALFORMED', `v1 header with ${parts.length} fields, expected 6`);
  const [, proto, src, dst, sport, dport] = parts;
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (family === 0) throw new ProxyHeaderError('ERR_PROXY_UNSUPPORTED', `v1 header with protocol "${proto.slice(0, 16)}"`);
  if (isIP(src) !== family || isIP(dst) !== family) throw new ProxyHeaderError('ERR_PROXY_MALFORMED', `v1 header with addresses that are not ${proto}`);
  const sourcePort = port(sport);
  const destinationPort = port(dport);
  return {
    version: 1,
    command: 'proxy',
    source: { address: family === 6 ? canonicalIpv6(src) : src, port: sourcePort },
    destination: { address: family === 6 ? canonicalIpv6(dst) : dst, port: destinationPort },
    length,
  };
}

function port(text: string): number {
  const n = PORT.test(text) ? Number(text) : NaN;
  if (!(n <= 65535)) throw new ProxyHeaderError('ERR_PROXY_MALFORMED', `v1 header with port "${text.slice(0, 16)}"`);
  return n;
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** RFC 5952 text for 16 address bytes; an IPv4-mapped address becomes plain IPv4, as Node reports sockets. */
export function ipv6(buf: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return ipv4(buf, at + 12);
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The same text Node and v2 headers give for an IPv6 address written any valid way. */
export function canonicalIpv6(text: string): string {
  const bytes = ipv6Bytes(text);
  return bytes === undefined ? text : ipv6(bytes, 0);
}

/** 16 bytes of an IPv6 address (validated with isIP beforehand), including the dotted-quad tail form. */
export function ipv6Bytes(text: string): Buffer | undefined {
  if (isIP(text) !== 6) return undefined;
  let s = text.split('%')[0];
  const out = Buffer.alloc(16);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(parseInt(groups[i], 16), i * 2);
  return out;
}
