// A local stand-in for Mojang's session server for the online-login benchmark: hasJoined answers
// 200 with a profile for any name (the benchmark measures the router, not the join bookkeeping).
// Usage: node session-server.ts; prints `READY <port>`.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://session');
  if (req.method !== 'GET' || url.pathname !== '/session/minecraft/hasJoined') {
    res.writeHead(404).end();
    return;
  }
  const name = url.searchParams.get('username') ?? '';
  const id = createHash('sha1').update(name).digest('hex').slice(0, 32);
  const profile = JSON.stringify({ id, name, properties: [{ name: 'textures', value: 'e30=', signature: 'c2lnbmF0dXJl' }] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(profile) }).end(profile);
});
server.keepAliveTimeout = 30_000;
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
