// A relay session on loopback sockets set up as the router sets them up: an accepted client socket
// (half-open off, paused, as the connection hands it over) and a backend dialled with `onread`.
import net from 'node:net';
import { RelaySession } from '../../router/relay/session.ts';
import { ReusedReads } from '../../router/relay/reused-reads.ts';
import { socketPair } from './sockets.ts';

export interface RelayHarness {
  session: RelaySession;
  reads: ReusedReads;
  /** The router's end of the player's connection. */
  client: net.Socket;
  /** The player's end. */
  player: net.Socket;
  /** The backend server's end. */
  server: net.Socket;
  ended: Promise<RelaySession>;
  start(preamble?: Buffer[]): void;
}

export async function relayHarness(opts: { writeTimeoutMs?: number } = {}): Promise<RelayHarness> {
  const [client, player] = await socketPair(false);
  client.pause();
  const reads = new ReusedReads();
  const [server, backend] = await socketPair(true, { allowHalfOpen: true, onread: reads.onread });
  let resolveEnded!: (s: RelaySession) => void;
  const ended = new Promise<RelaySession>((r) => (resolveEnded = r));
  const session = new RelaySession({
    client, backend, route: 'r', target: 't', player: 'P', clientIp: '127.0.0.1', backendReads: reads,
    readTimeoutMs: 30_000, writeTimeoutMs: opts.writeTimeoutMs ?? 30_000, onEnd: resolveEnded,
  });
  for (const s of [player, server]) s.on('error', () => {});
  return { session, reads, client, player, server, ended, start: (preamble = []) => session.start(preamble) };
}
