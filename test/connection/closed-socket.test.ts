// Once a client's socket closes, the socket no longer holds its Connection: Node keeps a closed socket
// reachable for a while, and through the connection's listeners it kept the phases and their buffers
// alive too (promoted by the young-generation collector instead of freed; docs/BENCHMARKS.md, "What a
// scavenge kept"). A late 'error' on the closed socket must still find a listener.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Server } from 'node:net';
import type { Socket } from 'node:net';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { rawExchange } from '../helpers/raw.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

let router: TestRouter;
const accepted: Socket[] = [];
const emit = Server.prototype.emit;

before(async () => {
  router = await startTestRouter({ routes: transferRoutes([{ id: 'a', port: 25599 }]), config: { auth: { mode: 'offline' } } });
  // Sees the router's accepted sockets (and only during this file's exchanges).
  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection') accepted.push(args[0] as Socket);
    return (emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as typeof Server.prototype.emit;
});
after(async () => {
  Server.prototype.emit = emit;
  await router.stop(0);
});

/** Runs an exchange; the client waits at most `clientWaitMs` for the router to close, then closes itself. */
async function closedServerSocket(bytes: Buffer[], clientWaitMs: number): Promise<Socket> {
  accepted.length = 0;
  await rawExchange(router.port, bytes, clientWaitMs);
  const socket = accepted.find((s) => s.localPort === router.port);
  assert.ok(socket !== undefined, 'the router accepted the connection');
  if (!socket.closed) await once(socket, 'close');
  // The connection's close listener runs within the same 'close' emission; let it finish.
  await new Promise((r) => setImmediate(r));
  return socket;
}

const STATUS = [encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 }), new PacketWriter().packet(0x00), new PacketWriter().long(1n).packet(0x01)];
const LOGIN = [
  encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 }),
  new PacketWriter().string('Closer', 16).uuid('00000000-0000-4000-8000-000000000003').packet(0x00),
];

// The router closes a status exchange itself; the login is left by the client after Login Success.
for (const [what, bytes, clientWaitMs] of [['a status exchange', STATUS, 5_000], ['a login the client leaves mid-way', LOGIN, 300]] as const) {
  test(`after ${what}, the closed socket has no data or close listener of the connection, and one error listener that holds nothing`, async () => {
    const socket = await closedServerSocket([...bytes], clientWaitMs);
    assert.equal(socket.listenerCount('data'), 0);
    assert.equal(socket.listeners('close').length, 0);
    const errorListeners = socket.listeners('error');
    assert.equal(errorListeners.length, 1);
    assert.equal(errorListeners[0]!.length, 0);
    // A late error is swallowed, not thrown as an unhandled 'error' event.
    assert.doesNotThrow(() => socket.emit('error', new Error('late')));
  });
}
