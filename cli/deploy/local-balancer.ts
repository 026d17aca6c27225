// A small TCP load balancer for `deploy --local`: one address for players in front of N routers, doing
// what the NLB does on AWS. Round-robin over the backends that are registered (not deregistered for a
// drain) and whose `/readyz` answered 200 at the last check. A connection that an upstream refuses or
// resets before it answered anything is replayed to the next backend, so a router that stops listening
// between our pick and its accept costs the player nothing.

import net, { type AddressInfo, type Socket } from 'node:net';

/** Bytes kept for a replay; a Minecraft handshake and Login Start are far smaller. */
export const MAX_REPLAY_BYTES = 64 * 1024;
export const HEALTH_INTERVAL_MS = 200;
export const HEALTH_TIMEOUT_MS = 1_000;

export interface Backend {
  readonly id: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:9566`; `/readyz` is appended. */
  readonly adminUrl: string;
}

interface BackendState extends Backend {
  healthy: boolean;
  registered: boolean;
}

export interface LocalBalancer extends AsyncDisposable {
  readonly address: AddressInfo;
  /** Adds a backend; it receives connections once `/readyz` answers 200. */
  register(backend: Backend): void;
  /** Stops sending new connections to the backend (connections in flight continue). */
  deregister(id: string): void;
  /** Whether the backend is registered and its last health check passed. */
  isHealthy(id: string): boolean;
  readonly stats: { connections: number; replays: number; refused: number };
  /** Stops health checks and cuts every connection; disposal does the same. */
  close(): Promise<void>;
}

export async function startLocalBalancer(host: string, port: number, fetchImpl: typeof fetch = fetch): Promise<LocalBalancer> {
  const backends = new Map<string, BackendState>();
  const sockets = new Set<Socket>();
  const stats = { connections: 0, replays: 0, refused: 0 };
  let next = 0;

  const candidates = (): BackendState[] => [...backends.values()].filter((b) => b.registered && b.healthy);

  const check = async (b: BackendState): Promise<void> => {
    try {
      const res = await fetchImpl(`${b.adminUrl}/readyz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      await res.body?.cancel();
      b.healthy = res.status === 200;
    } catch {
      b.healthy = false;
    }
  };
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void Promise.all([...backends.values()].filter((b) => b.registered).map(check)).finally(() => (checking = false));
  }, HEALTH_INTERVAL_MS);

  const server = net.createServer((client) => {
    stats.connections++;
    sockets.add(client);
    const buffered: Buffer[] = [];
    let bufferedBytes = 0;
    let upstream: Socket | undefined;
    let answered = false;
    const tried = new Set<string>();
    client.on('error', () => {});
    client.on('close', () => {
      sockets.delete(client);
      upstream?.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      if (!answered) {
        bufferedBytes += chunk.length;
        if (bufferedBytes > MAX_REPLAY_BYTES) return client.destroy();
        buffered.push(chunk);
      }
      // The backend is picked when the first bytes arrive, not at accept: a client may connect and
      // take its time before the handshake, and the router picked at accept could be draining by then.
      if (upstream === undefined && tried.size === 0) connect();
      else upstream?.write(chunk);
    });

    const connect = (): void => {
      const pool = candidates().filter((b) => !tried.has(b.id));
      if (pool.length === 0) {
        stats.refused++;
        return void client.destroy();
      }
      const backend = pool[next++ % pool.length]!;
      tried.add(backend.id);
      const socket = net.connect({ host: '127.0.0.1', port: backend.port });
      upstream = socket;
      sockets.add(socket);
      socket.setNoDelay(true);
      // Everything the client sent so far, including the chunk that triggered this connect.
      for (const chunk of buffered) socket.write(chunk);
      socket.on('data', (chunk: Buffer) => {
        answered = true;
        buffered.length = 0;
        client.write(chunk);
      });
      const lost = (): void => {
        sockets.delete(socket);
        if (upstream !== socket) return;
        if (!answered && !client.destroyed) {
          // Nothing reached the player yet: the same bytes can go to another router.
          stats.replays++;
          upstream = undefined;
          return connect();
        }
        client.end();
      };
      socket.on('error', () => {});
      socket.on('close', lost);
    };
    client.setNoDelay(true);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const close = async (): Promise<void> => {
    clearInterval(timer);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };
  return {
    address: server.address() as AddressInfo,
    register(backend) {
      const state: BackendState = { ...backend, healthy: false, registered: true };
      backends.set(backend.id, state);
      void check(state);
    },
    deregister(id) {
      const b = backends.get(id);
      if (b) b.registered = false;
    },
    isHealthy: (id) => {
      const b = backends.get(id);
      return b !== undefined && b.registered && b.healthy;
    },
    stats,
    close,
    [Symbol.asyncDispose]: close,
  };
}
