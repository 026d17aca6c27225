// A table store's HTTP origin for scripts/bench/table-apply.ts, in a process of its own: a router
// fetches from S3 or a CDN, never from its own process, so the origin's work must not count as the
// router's stalls. Serves the files of a directory with an ETag (304 on If-None-Match) and answers the
// parent's `count` message with the requests served so far.
// Usage: fork('store.ts', [dir]); sends { port } once listening.
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const dir = process.argv[2];
if (dir === undefined || process.send === undefined) throw new Error('usage: fork store.ts <dir> (with an IPC channel)');
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  let body: Buffer;
  try {
    body = readFileSync(join(dir, path));
  } catch {
    res.writeHead(404).end();
    return;
  }
  const etag = `"${statSync(join(dir, path)).mtimeMs}-${body.length}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, etag }).end(body);
});
process.on('message', (message) => {
  if (message === 'count') process.send!({ requests });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
