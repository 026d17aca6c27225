// Wake on join fixtures: a fake Kubernetes API with the scale subresource of StatefulSets and
// Deployments (GET, merge PATCH), and a "gate" in front of a real backend that refuses every
// connection until the test opens it, as a Service with no ready pods does.
import { createClient, plainText, runClient } from './minecraft.ts';
import type { LoginResult } from './minecraft.ts';
import { createServer } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ScaleApi {
  readonly url: string;
  /** `METHOD path` of every request, in order. */
  readonly requests: string[];
  /** Replicas by scale path; a path not here answers 404. */
  readonly replicas: Map<string, number>;
  /** Paths answered with this HTTP status instead. */
  readonly failWith: Map<string, number>;
  /** Paths that never answer. */
  readonly hang: Set<string>;
  /** Called after a PATCH set a path to 1 replica. */
  onScaled: (path: string) => void;
  close(): Promise<void>;
}

export function scalePathOf(namespace: string, resource: 'statefulsets' | 'deployments', name: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/${resource}/${name}/scale`;
}

export async function startScaleApi(token: string): Promise<ScaleApi> {
  const api: ScaleApi = {
    url: '',
    requests: [],
    replicas: new Map(),
    failWith: new Map(),
    hang: new Set(),
    onScaled: () => {},
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    api.requests.push(`${req.method} ${path}`);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (api.hang.has(path)) return;
      const status = api.failWith.get(path);
      if (status !== undefined) return void res.writeHead(status).end('{"kind":"Status"}');
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end('{"kind":"Status","code":401}');
      const replicas = api.replicas.get(path);
      if (replicas === undefined) return void res.writeHead(404).end('{"kind":"Status","code":404}');
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json') return void res.writeHead(415).end('{}');
        const next = (JSON.parse(body) as { spec: { replicas: number } }).spec.replicas;
        api.replicas.set(path, next);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Scale', spec: { replicas: next } }));
        if (next === 1 && replicas === 0) api.onScaled(path);
        return;
      }
      // A Scale at 0 replicas omits spec.replicas (omitempty), as the API server does.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Scale', spec: replicas === 0 ? {} : { replicas } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (api as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

export interface Gate {
  readonly port: number;
  /** From now on, connections are relayed to the backend. */
  open(): void;
  close(): Promise<void>;
}

/** Refuses (closes at once) every connection until opened, then relays each to `backendPort`. */
export async function startGate(backendPort: number): Promise<Gate> {
  let open = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    if (!open) return void socket.destroy();
    const upstream = net.connect(backendPort, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    open: () => (open = true),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Logs in and answers keep-alives as the vanilla client does; counts the keep-alives received. */
export function loginAnsweringKeepAlives(port: number, host: string, username: string, keepAlives: { count: number }, locale = 'en_us', version = '1.21.4'): Promise<LoginResult> {
  const client = createClient({ port, host, version, username, locale });
  return runClient<LoginResult>(client, `login as ${username} timed out`, 30_000, (finish) => {
    client.on('keep_alive', (p: { keepAliveId: unknown }) => {
      keepAlives.count++;
      client.write('keep_alive', { keepAliveId: p.keepAliveId });
    });
    client.on('transfer', (p: { host: string; port: number }) => finish({ transfer: { host: p.host, port: p.port } }));
    client.on('disconnect', (p: { reason: unknown }) => finish({ disconnect: plainText(p.reason) }));
    client.on('kick_disconnect', (p: { reason: unknown }) => finish({ disconnect: plainText(p.reason) }));
    client.on('error', (err: Error) => finish(err));
    client.on('end', (reason: string) => finish({ disconnect: `connection ended: ${reason}` }));
  });
}

/** Polls `check` every 25 ms, at most 400 times (10 s). */
export async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}
