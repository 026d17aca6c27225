// A fake Agones allocation endpoint on loopback (the Kubernetes API's `gameserverallocations` resource):
// it checks the bearer token, records each GameServerAllocation it is sent, and answers what the test says.
import { createServer } from 'node:http';
import { listenScripted } from './adapters.ts';

export const ALLOCATIONS = '/apis/allocation.agones.dev/v1/namespaces/games/gameserverallocations';

export type AllocationReply = { status: number; body?: unknown } | 'hang';

export interface AgonesApi {
  readonly url: string;
  /** Every allocation request, parsed. */
  readonly requests: { path: string; body: any }[];
  /** The answer to the next allocation; called once per request. */
  reply: (n: number) => AllocationReply;
  close(): Promise<void>;
}

/** An `Allocated` answer for a GameServer at 127.0.0.1:port. */
export function allocated(name: string, port: number): AllocationReply {
  return {
    status: 201,
    body: {
      apiVersion: 'allocation.agones.dev/v1', kind: 'GameServerAllocation',
      status: { state: 'Allocated', gameServerName: name, address: '127.0.0.1', nodeName: 'node-1', ports: [{ name: 'default', port }] },
    },
  };
}

export const unallocated: AllocationReply = { status: 201, body: { kind: 'GameServerAllocation', status: { state: 'UnAllocated' } } };

export async function startAgonesApi(opts: { token: string }): Promise<AgonesApi> {
  const state = { reply: ((): AllocationReply => unallocated) as AgonesApi['reply'] };
  const requests: AgonesApi['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${opts.token}`) return void res.writeHead(401).end('{"kind":"Status","code":401}');
      if (req.method !== 'POST' || req.url !== ALLOCATIONS) return void res.writeHead(404).end('{"kind":"Status","code":404}');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return void res.writeHead(400).end('{"kind":"Status","code":400}');
      }
      requests.push({ path: req.url, body });
      const r = state.reply(requests.length);
      if (r === 'hang') return;
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body ?? { kind: 'Status', code: r.status }));
    });
  });
  return listenScripted(server, requests, state);
}
