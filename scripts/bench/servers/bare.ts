// Reference 1: the least a Node server can do per exchange. It parses only frame boundaries and reads
// the handshake's last byte (the intent). A status exchange: the second frame (status request) gets a
// constant status response, the third (ping) is echoed as the pong, then it closes. An offline login:
// the second frame (Login Start) gets a constant Login Success, and after the fourth (Login
// Acknowledged, Client Information) a constant Transfer ends the exchange: the packets Passage sends
// for an offline login, with no parsing, state or checks. Its rates are the ceiling for Node here.
// Usage: node bare.ts <status-json>; prints `READY <port>`.
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

function string(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([varInt(bytes.length), bytes]);
}

/** Login Success at protocol 769: a zero UUID, the name "bare", no properties. */
const LOGIN_SUCCESS = frame(Buffer.concat([Buffer.from([0x02]), Buffer.alloc(16), string('bare'), varInt(0)]));
/** Transfer (configuration 0x0B) to 127.0.0.1:25566, as Passage sends for the bench route. */
const TRANSFER = frame(Buffer.concat([Buffer.from([0x0b]), string('127.0.0.1'), varInt(25566)]));
const INTENT_LOGIN = 2;

const server = createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0);
  let frames = 0;
  let login = false;
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
      if (frames === 1) login = buf[size + len - 1] === INTENT_LOGIN;
      else if (login) {
        if (frames === 2) socket.write(LOGIN_SUCCESS);
        if (frames === 4) {
          socket.end(TRANSFER);
          return;
        }
      } else {
        if (frames === 2) socket.write(STATUS_RESPONSE);
        if (frames === 3) {
          socket.end(buf.subarray(0, size + len));
          return;
        }
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
