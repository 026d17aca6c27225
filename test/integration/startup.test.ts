// Start-up unwinds with one AsyncDisposableStack: a failure half-way through disposes exactly what was
// started (the process then has nothing left to run and ends on its own), and the graceful stop is the
// same stack disposed in reverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPassage } from '../../router/app.ts';
import { buildConfig } from '../../router/config/load.ts';
import { events } from '../../router/events.ts';
import { TableKeyError } from '../../router/table/errors.ts';
import { transferRoutes } from '../helpers/router.ts';

const APP = new URL('../../router/app.ts', import.meta.url).href;
const LOAD = new URL('../../router/config/load.ts', import.meta.url).href;
const MAIN = new URL('../../router/main.ts', import.meta.url).pathname;

/** A port this test holds, so the router cannot bind it. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

function configFile(config: string, routes = transferRoutes([{ id: 'a', port: 25599 }])): string {
  const dir = mkdtempSync(join(tmpdir(), 'passage-startup-'));
  writeFileSync(join(dir, 'routes.toml'), routes);
  writeFileSync(join(dir, 'passage.toml'), `${config}\n[log]\nlevel = "silent"\n`);
  return join(dir, 'passage.toml');
}

/**
 * Runs `startPassage` in a child that never calls process.exit: it ends only once nothing is left
 * running (no listener, no poll timer, no heartbeat). `then` runs on the started router.
 */
function runChild(file: string, then: string): Promise<{ code: number | null; lines: string[] }> {
  const script = `
    import { startPassage } from ${JSON.stringify(APP)};
    import { loadConfigFile } from ${JSON.stringify(LOAD)};
    const config = loadConfigFile(process.env.PASSAGE_TEST_CONFIG);
    try {
      const running = await startPassage(config);
      console.log(JSON.stringify({ started: true }));
      ${then}
    } catch (err) {
      console.log(JSON.stringify({ failed: err.constructor.name, code: err.code ?? null }));
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, PASSAGE_TEST_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child is still running: something was left started\nstdout: ${out}\nstderr: ${err}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter((l) => l.startsWith('{')) });
    });
  });
}

test('when the admin port is taken after the poller started and the router listens, both are stopped and nothing is left running', async () => {
  const taken = await takenPort();
  try {
    const file = configFile(`address = "127.0.0.1:0"\n[admin]\naddress = "127.0.0.1:${taken.port}"\n[table]\nallow_unsigned = true\npoll_interval = "1s"`);
    const child = await runChild(file, '');
    assert.equal(child.code, 0, 'the child ended on its own');
    assert.deepEqual(child.lines.map((l) => JSON.parse(l)), [{ failed: 'Error', code: 'EADDRINUSE' }]);

    // The binary reports the same failure as one line with exit code 1.
    const r = spawnSync(process.execPath, [MAIN, '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^passage: cannot listen: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${taken.port}\\n$`));
  } finally {
    taken.server.close();
  }
});

test('a broken routes file at start-up is the config error, and everything started before it is disposed', async () => {
  const file = configFile('address = "127.0.0.1:0"\n[admin]\naddress = "127.0.0.1:0"\n[table]\nallow_unsigned = true', 'table_id = "t"\nversion = 1\n[[routes]]\nid = "x"\nhosts = ["a.test"]\nstrategy = "fastest"\n');
  const child = await runChild(file, '');
  assert.equal(child.code, 0, 'the child ended on its own');
  assert.deepEqual(child.lines.map((l) => JSON.parse(l)), [{ failed: 'TableFileError', code: 'ERR_TABLE_FILE' }]);
});

test('a trusted key file that cannot be read leaves no metrics subscribed to the router\'s events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-startup-'));
  writeFileSync(join(dir, 'routes.toml'), transferRoutes([{ id: 'a', port: 25599 }]));
  const config = buildConfig(
    { address: '127.0.0.1:0', admin: { address: '127.0.0.1:0' }, table: { path: 'routes.toml', allow_unsigned: true, public_keys: ['missing.pub'] } },
    join(dir, 'passage.toml'),
  );
  assert.equal(events.connectionOpened.hasSubscribers, false);
  await assert.rejects(startPassage(config, { log: pino({ level: 'silent' }) }), TableKeyError);
  assert.equal(events.connectionOpened.hasSubscribers, false, 'the metrics attached before the poller failed were detached');
});

test('a started router stops completely: by stop() with a drain, and by await using', async () => {
  const file = configFile('address = "127.0.0.1:0"\n[admin]\naddress = "127.0.0.1:0"\n[table]\nallow_unsigned = true\npoll_interval = "1s"');
  const stopped = await runChild(file, 'console.log(JSON.stringify({ cut: await running.stop(50), again: await running.stop(50) }));');
  assert.equal(stopped.code, 0, 'the child ended on its own after stop()');
  assert.deepEqual(stopped.lines.map((l) => JSON.parse(l)), [{ started: true }, { cut: 0, again: 0 }]);

  const disposed = await runChild(file, '{ await using r = running; } console.log(JSON.stringify({ disposed: true }));');
  assert.equal(disposed.code, 0, 'the child ended on its own after disposal');
  assert.deepEqual(disposed.lines.map((l) => JSON.parse(l)), [{ started: true }, { disposed: true }]);
});
