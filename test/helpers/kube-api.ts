// A fake Kubernetes API server on loopback: LIST and WATCH (chunked JSON lines) for pods and Agones
// GameServers, with the label selector and bearer token checked, and ways to break the watch.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KubeApi {
  readonly url: string;
  readonly lists: string[];
  readonly watches: string[];
  /** When set, the next watch answers an ERROR event with code 410 (resourceVersion too old). */
  gone: boolean;
  /** When set, every request gets this HTTP status. */
  failWith: number | undefined;
  /** Adds, changes or deletes an object and tells the open watches of its collection. */
  emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', collection: string, obj: Record<string, any>): void;
  /** Ends every open watch (as the API server does after timeoutSeconds). */
  endWatches(): void;
  close(): Promise<void>;
}

export const PODS = '/api/v1/namespaces/games/pods';
export const GAMESERVERS = '/apis/agones.dev/v1/namespaces/games/gameservers';

export async function startKubeApi(opts: { token: string; selector: string }): Promise<KubeApi> {
  const objects = new Map<string, Map<string, Record<string, any>>>([[PODS, new Map()], [GAMESERVERS, new Map()]]);
  const watchers = new Map<string, Set<ServerResponse>>([[PODS, new Set()], [GAMESERVERS, new Set()]]);
  let rv = 100;
  /** Every change, so a watch from an older resourceVersion replays what it missed, as the API server does. */
  const history: { collection: string; rv: number; line: string }[] = [];
  const api = {
    url: '',
    lists: [] as string[],
    watches: [] as string[],
    gone: false,
    failWith: undefined as number | undefined,
    emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', collection: string, obj: Record<string, any>): void {
      const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      if (type === 'DELETED') objects.get(collection)!.delete(obj.metadata.name);
      else objects.get(collection)!.set(obj.metadata.name, stored);
      const line = `${JSON.stringify({ type, object: stored })}\n`;
      history.push({ collection, rv, line });
      for (const res of watchers.get(collection)!) res.write(line);
    },
    endWatches(): void {
      for (const set of watchers.values()) for (const res of set) res.end();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const collection = objects.get(url.pathname);
    if (api.failWith !== undefined) return void res.writeHead(api.failWith).end('{}');
    if (req.headers.authorization !== `Bearer ${opts.token}`) return void res.writeHead(401).end('{"kind":"Status","code":401}');
    if (collection === undefined) return void res.writeHead(404).end('{"kind":"Status","code":404}');
    if (url.searchParams.get('labelSelector') !== opts.selector) return void res.writeHead(400).end('{"kind":"Status","message":"unexpected selector"}');
    if (url.searchParams.get('watch') === '1') {
      api.watches.push(url.searchParams.get('resourceVersion') ?? '');
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      if (api.gone) {
        api.gone = false;
        res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } })}\n`);
        return;
      }
      const from = Number(url.searchParams.get('resourceVersion') || rv);
      for (const h of history) if (h.collection === url.pathname && h.rv > from) res.write(h.line);
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(rv) } } })}\n`);
      const set = watchers.get(url.pathname)!;
      set.add(res);
      res.on('close', () => set.delete(res));
      return;
    }
    api.lists.push(url.pathname);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: String(rv) }, items: [...collection.values()] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

export function pod(name: string, opts: { ready: boolean; ip?: string; port?: number; labels?: Record<string, string> }): Record<string, any> {
  return {
    metadata: { name, namespace: 'games', labels: opts.labels ?? { app: 'mc' } },
    spec: { containers: [{ name: 'server', ports: [{ name: 'minecraft', containerPort: opts.port ?? 25565 }] }] },
    status: {
      phase: 'Running',
      podIP: opts.ip ?? '127.0.0.1',
      conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
    },
  };
}

export function gameServer(name: string, state: string, opts: { port?: number; players?: { count: number; capacity: number }; counter?: boolean } = {}): Record<string, any> {
  const players = opts.players === undefined ? {} : opts.counter ? { counters: { players: opts.players } } : { players: { ...opts.players, ids: [] } };
  return {
    apiVersion: 'agones.dev/v1',
    kind: 'GameServer',
    metadata: { name, namespace: 'games', labels: { app: 'mc' } },
    status: { state, address: '127.0.0.1', nodeName: 'node-1', ports: [{ name: 'default', port: opts.port ?? 7000 }], ...players },
  };
}
