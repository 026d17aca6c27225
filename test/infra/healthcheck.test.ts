// The image's HEALTHCHECK runs infra/docker/healthcheck.sh (bash /dev/tcp), not a second Node process:
// it passes against a real router's admin port, and fails on any answer other than 200 or on no answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startTestRouter, transferRoutes, type TestRouter } from '../helpers/router.ts';

const SCRIPT = fileURLToPath(new URL('../../infra/docker/healthcheck.sh', import.meta.url));
const DOCKERFILE = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

function healthcheck(port: number | string): Promise<number> {
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT], { env: { PASSAGE_ADMIN_PORT: String(port) }, timeout: 10_000 }, (err) => {
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1);
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('the image health check', () => {
  let router: TestRouter;
  let unhealthy: Server;
  let unhealthyPort: number;
  before(async () => {
    router = await startTestRouter({ routes: transferRoutes([{ id: 'a', port: 25565 }]) });
    unhealthy = createServer((_req, res) => res.writeHead(503).end('draining'));
    unhealthyPort = await listen(unhealthy);
  });
  after(async () => {
    await router?.stop(0);
    unhealthy?.close();
  });

  test('the Dockerfile HEALTHCHECK runs the bash script and never starts Node', () => {
    const check = /^HEALTHCHECK .*\\\n\s*CMD (.+)$/m.exec(DOCKERFILE)?.[1];
    assert.equal(check, '["/bin/bash", "/app/infra/docker/healthcheck.sh"]');
    assert.match(DOCKERFILE, /^COPY infra\/docker\/healthcheck\.sh \.\/infra\/docker\/healthcheck\.sh$/m);
  });

  test("passes against a running router's /healthz", async () => {
    assert.equal(await healthcheck(new URL(router.adminUrl).port), 0);
  });

  test('fails when the admin port answers anything but 200', async () => {
    assert.equal(await healthcheck(unhealthyPort), 1);
  });

  test('fails when nothing listens on the admin port, or the port is not a number', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    assert.equal(await healthcheck(port), 1);
    assert.equal(await healthcheck('9565; touch /tmp/x'), 1);
  });
});
