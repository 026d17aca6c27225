// PROXY protocol headers as a load balancer sends them (for tests and the reliability suite).
import { isIP } from 'node:net';
import { PROXY_V2_SIGNATURE, ipv6Bytes } from '../../router/proxy/header.ts';

export function encodeProxyV1(source: string, sourcePort: number, destination?: string, destinationPort = 25565): Buffer {
  const six = isIP(source) === 6;
  const dst = destination ?? (six ? '::1' : '127.0.0.1');
  return Buffer.from(`PROXY ${six ? 'TCP6' : 'TCP4'} ${source} ${dst} ${sourcePort} ${destinationPort}\r\n`, 'latin1');
}

export function encodeProxyV2(o: { command?: 'proxy' | 'local'; source?: string; sourcePort?: number; tlvs?: Buffer }): Buffer {
  const tlvs = o.tlvs ?? Buffer.alloc(0);
  if (o.command === 'local') {
    const head = Buffer.from([0x20, 0x00, 0, 0]);
    head.writeUInt16BE(tlvs.length, 2);
    return Buffer.concat([PROXY_V2_SIGNATURE, head, tlvs]);
  }
  const source = o.source ?? '192.0.2.1';
  const six = isIP(source) === 6;
  const addr = six ? Buffer.alloc(36) : Buffer.alloc(12);
  if (six) {
    ipv6Bytes(source)!.copy(addr, 0);
    ipv6Bytes('::1')!.copy(addr, 16);
    addr.writeUInt16BE(o.sourcePort ?? 0, 32);
    addr.writeUInt16BE(25565, 34);
  } else {
    Buffer.from(source.split('.').map(Number)).copy(addr, 0);
    Buffer.from([127, 0, 0, 1]).copy(addr, 4);
    addr.writeUInt16BE(o.sourcePort ?? 0, 8);
    addr.writeUInt16BE(25565, 10);
  }
  const head = Buffer.from([0x21, six ? 0x21 : 0x11, 0, 0]);
  head.writeUInt16BE(addr.length + tlvs.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, addr, tlvs]);
}
