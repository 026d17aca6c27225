// The backend of the relay benchmark. Every connection opens with a fixed-length prefix (the
// Minecraft handshake and Login Start the client sends, so Passage can route it), which is skipped.
//   sink: counts what follows; when the client half-closes, answers the count (8 bytes) and closes.
//   echo: sends back every byte that follows, as it arrives.
//   source: reads an 8-byte count (uint64 BE), sends that many bytes as fast as the socket takes them
//   and closes (the download direction: backend → client, as chunks and entities go in Minecraft).
// Usage: node relay-backend.ts <sink|echo|source> <prefix-bytes>; prints `READY <port>`.
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

const mode = process.argv[2];
const prefixBytes = Number(process.argv[3] ?? 0);
if (mode !== 'sink' && mode !== 'echo' && mode !== 'source') {
  process.stderr.write('usage: relay-backend.ts <sink|echo|source> <prefix-bytes>\n');
  process.exit(2);
}

const SOURCE_CHUNK = Buffer.alloc(256 * 1024, 0x5a);

/** Sends `bytes` bytes, waiting for 'drain' whenever the socket's buffer is full, then ends. */
function sendSource(socket: Socket, bytes: number): void {
  let left = bytes;
  const more = (): void => {
    while (left > 0) {
      const n = Math.min(left, SOURCE_CHUNK.length);
      left -= n;
      if (!socket.write(n === SOURCE_CHUNK.length ? SOURCE_CHUNK : SOURCE_CHUNK.subarray(0, n))) {
        socket.once('drain', more);
        return;
      }
    }
    socket.end();
  };
  more();
}

const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
  let skip = prefixBytes;
  let received = 0;
  let count: Buffer | undefined;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    if (skip > 0) {
      const n = Math.min(skip, chunk.length);
      skip -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    received += chunk.length;
    if (mode === 'echo') socket.write(chunk);
    if (mode === 'source' && count === undefined) {
      count = chunk.subarray(0, 8);
      if (count.length === 8) sendSource(socket, Number(count.readBigUInt64BE()));
    }
  });
  socket.on('end', () => {
    if (mode === 'source') return;
    const count = Buffer.alloc(8);
    count.writeBigUInt64BE(BigInt(received));
    socket.end(count);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
