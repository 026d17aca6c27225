import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../router/config/load.ts';
import { MAX_TABLE_TOKEN_CHARS, tableToken } from '../../../router/routing/sources/from-config.ts';
import { HttpTableSource } from '../../../router/routing/sources/http.ts';
import { TableSourceError } from '../../../router/routing/sources/source.ts';
import { TableTooLargeError } from '../../../router/table/errors.ts';

const BODY = JSON.stringify({ payloadType: 'x', payload: 'AAAA', signatures: [] });

describe('HttpTableSource', () => {
  let server: Server;
  let base: string;
  const seen: (string | undefined)[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers['if-none-match']);
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/guarded.json') {
        // The CDK endpoint's web ACL: no exact token, no table.
        if (url.searchParams.get('passage_token') !== 's3cr3t-token') return void res.writeHead(403).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(BODY);
      }
      if (url.pathname === '/moved.json') return void res.writeHead(302, { location: `${base}/table.json` }).end();
      switch (req.url) {
        case '/table.json':
          if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
          return void res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json' }).end(BODY);
        case '/declared-big':
          return void res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
        case '/streamed-big':
          {
            // No Content-Length and (nearly) no end: only a cap enforced while streaming stops this.
            res.writeHead(200);
            let sent = 0;
            const timer = setInterval(() => {
              if (res.destroyed || ++sent > 2_000) {
                clearInterval(timer);
                res.end();
              } else res.write('y'.repeat(1000));
            }, 2);
            return;
          }
        case '/slow':
          return void setTimeout(() => res.writeHead(200).end(BODY), 1_000).unref();
        case '/missing':
          return void res.writeHead(404).end();
        default:
          return void res.writeHead(500).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('a first fetch returns the bytes, the next one sends If-None-Match and gets "not modified"', async () => {
    const source = new HttpTableSource({ url: `${base}/table.json`, maxBytes: 4096 });
    const first = await source.fetch(new AbortController().signal);
    assert.equal(first.kind, 'envelope');
    assert.equal(first.kind === 'envelope' && first.bytes.toString(), BODY);
    assert.deepEqual(await source.fetch(new AbortController().signal), { kind: 'not_modified' });
    assert.equal(seen.at(-1), '"v1"');
    source.invalidate();
    assert.equal((await source.fetch(new AbortController().signal)).kind, 'envelope');
  });

  test('a body announced larger than the cap is refused before reading it', async () => {
    const source = new HttpTableSource({ url: `${base}/declared-big`, maxBytes: 1024 });
    await assert.rejects(source.fetch(new AbortController().signal), (err: unknown) => err instanceof TableTooLargeError && err.size === 5000 && err.limit === 1024);
  });

  test('an endless streamed body is cut off as soon as it passes the cap', async () => {
    const source = new HttpTableSource({ url: `${base}/streamed-big`, maxBytes: 2500 });
    await assert.rejects(source.fetch(new AbortController().signal), (err: unknown) => err instanceof TableTooLargeError && err.size > 2500 && err.size < 100_000);
  });

  test('a slow endpoint fails with ERR_SOURCE_TIMEOUT after the timeout', async () => {
    const source = new HttpTableSource({ url: `${base}/slow`, maxBytes: 4096, timeoutMs: 100 });
    // The endpoint answers after 1 s; a fetch that waited for it would resolve instead of rejecting.
    await assert.rejects(source.fetch(new AbortController().signal), (err: unknown) => err instanceof TableSourceError && err.code === 'ERR_SOURCE_TIMEOUT');
  });

  test('HTTP errors and a closed port are source errors with stable codes', async () => {
    const codeOf = async (url: string): Promise<string> => {
      try {
        await new HttpTableSource({ url, maxBytes: 4096 }).fetch(new AbortController().signal);
        return 'none';
      } catch (err) {
        return (err as TableSourceError).code;
      }
    };
    assert.equal(await codeOf(`${base}/missing`), 'ERR_SOURCE_NOT_FOUND');
    assert.equal(await codeOf(`${base}/broken`), 'ERR_SOURCE_HTTP_STATUS');
    assert.equal(await codeOf('http://127.0.0.1:1/table.json'), 'ERR_SOURCE_UNREACHABLE');
  });

  test('a configured token is sent as passage_token, never shown in the description, and a redirect does not carry it away', async () => {
    const guarded = new HttpTableSource({ url: `${base}/guarded.json`, maxBytes: 10_000, token: 's3cr3t-token' });
    assert.equal((await guarded.fetch(new AbortController().signal)).kind, 'envelope');
    assert.doesNotMatch(guarded.description, /s3cr3t/);
    const without = new HttpTableSource({ url: `${base}/guarded.json`, maxBytes: 10_000 });
    await assert.rejects(without.fetch(new AbortController().signal), (err: TableSourceError) => err.code === 'ERR_SOURCE_HTTP_STATUS' && !err.message.includes('s3cr3t'));
    const moved = new HttpTableSource({ url: `${base}/moved.json`, maxBytes: 10_000, token: 's3cr3t-token' });
    await assert.rejects(moved.fetch(new AbortController().signal), (err: TableSourceError) => err.code === 'ERR_SOURCE_HTTP_STATUS' && /302/.test(err.message));
  });

  test('the token comes from url_token_file or PASSAGE_TABLE_TOKEN, and a bad one is a config error naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    assert.deepEqual(tableToken(file, {}), { token: 'from-file' });
    assert.deepEqual(tableToken('', { PASSAGE_TABLE_TOKEN: 'from-env' }), { token: 'from-env' });
    assert.deepEqual(tableToken('', {}), {});
    assert.throws(() => tableToken(join(dir, 'missing'), {}), (err: ConfigError) => err instanceof ConfigError && /table\.url_token_file: cannot read the table token \(ENOENT\)/.test(err.message));
    writeFileSync(file, 'has space');
    assert.throws(() => tableToken(file, {}), (err: ConfigError) => err instanceof ConfigError && /printable ASCII/.test(err.message) && !err.message.includes('has space'));
    writeFileSync(file, 'x'.repeat(MAX_TABLE_TOKEN_CHARS + 1));
    assert.throws(() => tableToken(file, {}), ConfigError);
  });

  test('the description hides credentials and query strings', () => {
    const source = new HttpTableSource({ url: 'https://user:secret@cdn.example.com/t.json?X-Amz-Signature=abc', maxBytes: 1 });
    assert.equal(source.description, 'https://cdn.example.com/t.json');
  });
});
