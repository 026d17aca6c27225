// Reference 1: the least a Node server can do per status exchange. It parses only frame boundaries,
// answers the second frame (status request) with a constant status response and echoes the third
// (ping) as the pong, then closes. Its rate is the ceiling for Node on this machine.
// Usage: node bare-status.ts <status-json>; prints `READY <port>`.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

const json = process.argv[2] ?? '{"version":{"name":"bare","protocol":769},"players":{"max":0,"online":0},"description":{"text":"bare"}}';
const body = Buffer.from(json, 'utf8');
const STATUS_RESPONSE = frame(Buffer.concat([Buffer.from([0x00]), varInt(body.length), body]));

function varInt(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function frame(packet: Buffer): Buffer {
  return Buffer.concat([varInt(packet.length), packet]);
}

const server = createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0);
  let frames = 0;
  socket.on('data', (chunk: Buffer) => {
    let buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      // Frame length: a VarInt of at most 3 bytes.
      let len = 0;
      let size = 0;
      let complete = false;
      while (size < 3 && size < buf.length) {
        const b = buf[size];
        len |= (b & 0x7f) << (7 * size);
        size++;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || buf.length < size + len) break;
      frames++;
      if (frames === 2) socket.write(STATUS_RESPONSE);
      if (frames === 3) {
        socket.end(buf.subarray(0, size + len));
        return;
      }
      buf = buf.subarray(size + len);
    }
    pending = Buffer.from(buf);
  });
  socket.on('error', () => {});
});
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
