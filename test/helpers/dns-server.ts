// A small authoritative DNS server on loopback UDP for the DNS discovery tests: answers SRV, A and
// AAAA from a map the test changes, or fails on purpose (SERVFAIL, NXDOMAIN, silence).
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsZone {
  srv?: SrvRecord[];
  a?: string[];
  aaaa?: string[];
}

export interface DnsServer {
  /** `127.0.0.1:port`, for the discovery's `servers`. */
  readonly address: string;
  readonly zones: Map<string, DnsZone>;
  /** `ok` answers from `zones`; the others fail every query. */
  mode: 'ok' | 'servfail' | 'silent';
  queries: number;
  close(): Promise<void>;
}

const TYPE = { A: 1, SRV: 33, AAAA: 28 } as const;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}

function decodeQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  for (let i = 0; i < 128 && at < msg.length; i++) {
    const len = msg[at];
    if (len === 0) {
      if (at + 5 > msg.length) return undefined;
      return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(at + 1), end: at + 5 };
    }
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'));
    at += 1 + len;
  }
  return undefined;
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function answer(type: number, rdata: Buffer): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(30, 6); // TTL
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([rr, rdata]);
}

export async function startDnsServer(): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const zones = new Map<string, DnsZone>();
  const server: DnsServer = {
    address: '',
    zones,
    mode: 'ok',
    queries: 0,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, peer) => {
    server.queries++;
    const q = msg.length >= 12 ? decodeQuestion(msg) : undefined;
    if (q === undefined || server.mode === 'silent') return;
    const zone = zones.get(q.name);
    const answers: Buffer[] = [];
    if (server.mode === 'ok' && zone !== undefined) {
      if (q.type === TYPE.SRV) {
        for (const r of zone.srv ?? []) {
          const fixed = Buffer.alloc(6);
          fixed.writeUInt16BE(r.priority, 0);
          fixed.writeUInt16BE(r.weight, 2);
          fixed.writeUInt16BE(r.port, 4);
          answers.push(answer(TYPE.SRV, Buffer.concat([fixed, encodeName(r.target)])));
        }
      }
      if (q.type === TYPE.A) for (const ip of zone.a ?? []) answers.push(answer(TYPE.A, Buffer.from(ip.split('.').map(Number))));
      if (q.type === TYPE.AAAA) for (const ip of zone.aaaa ?? []) if (isIPv6(ip)) answers.push(answer(TYPE.AAAA, ipv6Bytes(ip)));
    }
    const rcode = server.mode === 'servfail' ? 2 : zone === undefined ? 3 : 0;
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2); // QR, AA, RD echoed, RA
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, msg.subarray(12, q.end), ...answers]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return Object.assign(server, { address: `127.0.0.1:${(socket.address() as AddressInfo).port}` });
}
