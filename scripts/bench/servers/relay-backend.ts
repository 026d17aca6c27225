// The backend of the relay benchmark. Every connection opens with a fixed-length prefix (the
// Minecraft handshake and Login Start the client sends, so Passage can route it), which is skipped.
//   sink: counts what follows; when the client half-closes, answers the count (8 bytes) and closes.
//   echo: sends back every byte that follows, as it arrives.
// Usage: node relay-backend.ts <sink|echo> <prefix-bytes>; prints `READY <port>`.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

const mode = process.argv[2];
const prefixBytes = Number(process.argv[3] ?? 0);
if (mode !== 'sink' && mode !== 'echo') {
  process.stderr.write('usage: relay-backend.ts <sink|echo> <prefix-bytes>\n');
  process.exit(2);
}

const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
  let skip = prefixBytes;
  let received = 0;
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
  });
  socket.on('end', () => {
    const count = Buffer.alloc(8);
    count.writeBigUInt64BE(BigInt(received));
    socket.end(count);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
