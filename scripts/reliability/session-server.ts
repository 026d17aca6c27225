// A fake Mojang session server whose failures are chosen per player: names starting with `Hang`
// never get an answer, `Err` get HTTP 500, everyone else joins normally. `everyone` overrides that
// for an outage of the whole service.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onlineIdFor } from '../../test/helpers/session-server.ts';

export interface ChaosSessionServer {
  readonly url: string;
  everyone: 'normal' | 'hang' | 'error500';
  close(): Promise<void>;
}

export async function startChaosSessionServer(): Promise<ChaosSessionServer> {
  const joins = new Map<string, string>();
  const hanging = new Set<ServerResponse>();
  const state = { everyone: 'normal' as ChaosSessionServer['everyone'] };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/session/minecraft/join') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const j = JSON.parse(body) as { selectedProfile: string; serverId: string };
        joins.set(j.serverId, j.selectedProfile);
        res.writeHead(204).end();
      });
      return;
    }
    const username = url.searchParams.get('username') ?? '';
    const mode = state.everyone !== 'normal' ? state.everyone : username.startsWith('Hang') ? 'hang' : username.startsWith('Err') ? 'error500' : 'normal';
    if (mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (mode === 'error500') return void res.writeHead(500).end('oops');
    const id = joins.get(url.searchParams.get('serverId') ?? '');
    if (id === undefined || id !== onlineIdFor(username)) return void res.writeHead(204).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, name: username, properties: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  }) as ChaosSessionServer;
}
