// Loopback sockets and byte patterns for relay tests.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

/** Two connected loopback sockets: [the end a server accepted, the end that connected]. */
export async function socketPair(acceptedHalfOpen: boolean, connecting: Omit<net.NetConnectOpts, 'port' | 'host' | 'path'> = {}): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: acceptedHalfOpen });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const socket = net.connect({ ...connecting, port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const [acceptedSocket] = await accepted;
  server.close();
  return [acceptedSocket, socket];
}

/** `bytes` where every 4-byte word is its own index: a reordered, repeated or overwritten chunk shows. */
export function pattern(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) b.writeUInt32BE(i / 4, i);
  return b;
}

/** Everything a socket receives, and its end. */
export function collect(socket: net.Socket): { data: () => Buffer; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return { data: () => Buffer.concat(chunks), ended: once(socket, 'end').then(() => undefined) };
}

/** Polls `check` every 10 ms for up to 2 s. */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`not within 2 s: ${what}`);
}

/**
 * Sends `data` from `sender` and half-closes, while `receiver` starts reading only once `started()`
 * says the relay has begun and 100 ms more have passed: the relay's writes to `receiver` go pending
 * (more than the kernel buffers hold) while `sender` keeps sending. Resolves with what `receiver` got.
 */
export async function sendToLateReader(sender: net.Socket, receiver: net.Socket, data: Buffer, started: () => boolean): Promise<Buffer> {
  receiver.pause();
  sender.end(data);
  await eventually(started, 'the relay read what was sent');
  await new Promise((r) => setTimeout(r, 100));
  const received = collect(receiver);
  receiver.resume();
  await received.ended;
  return received.data();
}

/**
 * Writes 1 MiB chunks, waiting for 'drain' whenever `socket` asks, until `ended` settles (bounded:
 * at most 256 MiB). It goes on after the kernel buffers on the way are full (loopback receive buffers
 * grow to tens of MiB), so whatever relays these bytes is certain to see backpressure. Resolves with
 * the bytes handed to `socket.write`.
 */
export async function writeUntil(socket: net.Socket, ended: Promise<unknown>): Promise<number> {
  const chunk = Buffer.alloc(1 << 20);
  let done = false;
  void ended.then(() => (done = true));
  let written = 0;
  while (!done && written < 256 << 20) {
    written += chunk.length;
    if (!socket.write(chunk)) await Promise.race([once(socket, 'drain').catch(() => undefined), ended]);
  }
  return written;
}
