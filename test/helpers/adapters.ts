// Loopback stand-ins for what adapters talk to: an HTTP endpoint whose answer a test changes at will.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every 20 ms until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const value = await check();
    if (value) return value;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}

export type JsonReply = { status: number; body?: unknown; etag?: string; raw?: string } | 'hang';

export interface JsonServer {
  readonly url: string;
  readonly requests: { path: string; ifNoneMatch?: string; authorization?: string }[];
  /** What the next requests get; an ETag answer is 304 when the request carries the same ETag. */
  reply: (req: IncomingMessage) => JsonReply;
  close(): Promise<void>;
}

export async function startJsonServer(reply: JsonServer['reply']): Promise<JsonServer> {
  const requests: JsonServer['requests'] = [];
  const state = { reply } as { reply: JsonServer['reply'] };
  const server: Server = createServer((req, res) => {
    const inm = req.headers['if-none-match'];
    requests.push({ path: req.url ?? '', ...(typeof inm === 'string' ? { ifNoneMatch: inm } : {}) });
    const r = state.reply(req);
    if (r === 'hang') return; // closed by closeAllConnections
    if (r.etag !== undefined && inm === r.etag) {
      res.writeHead(304, { etag: r.etag }).end();
      return;
    }
    res.writeHead(r.status, { 'content-type': 'application/json', ...(r.etag === undefined ? {} : { etag: r.etag }) });
    res.end(r.raw ?? JSON.stringify(r.body ?? null));
  });
  return listenScripted(server, requests, state);
}

/**
 * Listens on 127.0.0.1 and hands the test the server's URL, the requests it recorded, the reply
 * function (which the test may swap at any time) and close(), which also drops open connections.
 */
export async function listenScripted<Q, F>(server: Server, requests: Q[], state: { reply: F }): Promise<{ url: string; requests: Q[]; reply: F; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get reply() {
      return state.reply;
    },
    set reply(fn) {
      state.reply = fn;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A routes file with one transfer route whose targets (and optionally status) come from adapters. */
export function adapterRoutes(adapters: string, opts: { strategy?: string; targets?: string } = {}): string {
  return [
    'table_id = "test"', 'version = 1',
    '[[routes]]', 'id = "main"', 'hosts = ["play.test"]', `strategy = "${opts.strategy ?? 'priority'}"`,
    '[routes.status]', 'motd = "From the table"', 'max_players = 100',
    adapters,
    opts.targets ?? '',
  ].join('\n') + '\n';
}
