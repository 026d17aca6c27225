// A local stand-in for Mojang's session server: the client POSTs /session/minecraft/join (what the
// launcher does), the router GETs /session/minecraft/hasJoined. Modes simulate outages.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSessionServer {
  readonly url: string;
  mode: 'normal' | 'hang' | 'error500' | 'reject';
  /** Delay before answering hasJoined in normal mode (a slow Mojang). */
  delayMs: number;
  readonly hasJoinedCalls: { username: string; serverId: string; ip: string | null }[];
  close(): Promise<void>;
}

/** A stable fake profile id for a name (online ids are random v4 UUIDs; any 32 hex digits work). */
export function onlineIdFor(name: string): string {
  return createHash('sha256').update(`online:${name}`).digest('hex').slice(0, 32);
}

export async function startFakeSessionServer(): Promise<FakeSessionServer> {
  const joins = new Map<string, string>(); // serverId -> name
  const state: FakeSessionServer = {
    url: '',
    mode: 'normal',
    delayMs: 0,
    hasJoinedCalls: [],
    close: async () => {},
  };
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/session/minecraft/join') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const j = JSON.parse(body) as { accessToken: string; selectedProfile: string; serverId: string };
        joins.set(j.serverId, j.selectedProfile);
        res.writeHead(204).end();
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/session/minecraft/hasJoined') {
      const username = url.searchParams.get('username') ?? '';
      const serverId = url.searchParams.get('serverId') ?? '';
      state.hasJoinedCalls.push({ username, serverId, ip: url.searchParams.get('ip') });
      if (state.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (state.mode === 'error500') return void res.writeHead(500).end('oops');
      const joinedId = joins.get(serverId);
      if (state.mode === 'reject' || joinedId === undefined || joinedId !== onlineIdFor(username)) return void res.writeHead(204).end();
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ id: joinedId, name: username, properties: [{ name: 'textures', value: 'e30=', signature: 'c2lnbmF0dXJl' }] }),
        );
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
