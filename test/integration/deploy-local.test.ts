// `passagectl deploy --local 3` as an operator runs it (the real binary), while real minecraft-protocol
// clients log in through its balancer the whole time: no login may fail, every router must drain and
// exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { transferRoutes } from '../helpers/router.ts';
import { login } from '../helpers/minecraft.ts';

const CLI = new URL('../../cli/main.ts', import.meta.url).pathname;
const VERSION = '1.21.4';
/** Logins running at once through the balancer. */
const CONCURRENCY = 4;

test('deploy --local 3 replaces every router while players log in: zero failed logins, every router exits 0', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-deploy-test-'));
  const routes = join(dir, 'routes.toml');
  writeFileSync(routes, transferRoutes([{ id: 'backend', port: 25599 }]));
  const child = spawn(process.execPath, [CLI, 'deploy', '--local', '3', '--routes', routes, '--listen', '127.0.0.1:0', '--delay', '1s', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events: Record<string, any>[] = [];
  const results = { ok: 0, failed: [] as string[] };
  let loadDone: Promise<void> | undefined;
  let stopLoad = false;
  const lines = createInterface({ input: child.stdout });

  const startLoad = (port: number): Promise<void> => {
    let n = 0;
    const worker = async (w: number): Promise<void> => {
      // Bounded: each worker logs in at most 500 times.
      for (let i = 0; i < 500 && !stopLoad; i++) {
        const username = `p${w}_${n++}`;
        try {
          const r = await login({ port, version: VERSION, username }, 10_000);
          if (r.transfer?.port === 25599) results.ok++;
          else results.failed.push(`${username}: ${JSON.stringify(r)}`);
        } catch (err) {
          results.failed.push(`${username}: ${(err as Error).message}`);
        }
      }
    };
    return Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w))).then(() => {});
  };

  try {
    for await (const line of lines) {
      const event = JSON.parse(line) as Record<string, any>;
      events.push(event);
      if (event.type === 'balancer') loadDone = startLoad(Number(String(event.address).split(':').at(-1)));
      if (event.type === 'table') {
        // The rollout is over: let the logins in flight finish, then stop the command like Ctrl-C would.
        stopLoad = true;
        await loadDone;
        child.kill('SIGTERM');
      }
    }
    const code = await exited;
    assert.equal(code, 0, `passagectl exit code; stderr:\n${stderr}\nevents:\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
  } finally {
    stopLoad = true;
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  assert.deepEqual(results.failed, [], `no login failed; ${JSON.stringify(events.at(-1))}`);
  assert.ok(results.ok >= 20, `logins kept flowing during the rollout (${results.ok})`);
  const instances = events.filter((e) => e.type === 'instance');
  const exits = instances.filter((e) => e.state === 'exited');
  assert.equal(exits.length, 6, 'three old routers drained during the rollout, three new ones at the end');
  for (const e of exits) assert.equal(e.exitCode, 0, `${e.id} drained cleanly`);
  assert.equal(instances.filter((e) => e.revision === 'new' && e.state === 'ready').length, 3);
  // The order the rollout promised: a new router is ready before each old one starts draining.
  const order = instances.filter((e) => (e.revision === 'new' && e.state === 'ready') || (e.revision === 'old' && e.state === 'draining')).map((e) => e.revision);
  assert.deepEqual(order, ['new', 'old', 'new', 'old', 'new', 'old']);
  const table = events.find((e) => e.type === 'table');
  assert.deepEqual(table?.versions, [1, 1, 1]);
  assert.equal(events.at(-1)?.type, 'result');
  assert.equal(events.at(-1)?.outcome, 'done');
});

test('deploy --local: a new router that never becomes ready rolls back with exit 4, the old ones drain cleanly', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-deploy-test-'));
  const routes = join(dir, 'routes.toml');
  writeFileSync(routes, transferRoutes([{ id: 'backend', port: 25599 }]));
  const child = spawn(process.execPath, [CLI, 'deploy', '--local', '2', '--routes', routes, '--listen', '127.0.0.1:0', '--delay', '1s', '--no-hold', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events: Record<string, any>[] = [];
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line) as Record<string, any>;
      events.push(event);
      // The old fleet serves; the next revision's routers get a routes file they cannot load.
      if (event.type === 'balancer') writeFileSync(routes, 'this is not toml [');
    }
    assert.equal(await exited, 4, `exit code; stderr:\n${stderr}\nevents:\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const instances = events.filter((e) => e.type === 'instance');
  assert.deepEqual(instances.filter((e) => e.revision === 'new').map((e) => e.state), ['starting', 'failed']);
  const old = instances.filter((e) => e.revision === 'old' && e.state === 'exited');
  assert.deepEqual(old.map((e) => e.exitCode), [0, 0], 'both old routers kept serving, then drained cleanly');
  const failedAt = instances.findIndex((e) => e.state === 'failed');
  assert.ok(instances.findIndex((e) => e.revision === 'old' && e.state === 'draining') > failedAt, 'no old router drained before the rollback');
  assert.deepEqual([events.at(-1)?.type, events.at(-1)?.outcome, events.at(-1)?.exitCode], ['result', 'rolled-back', 4]);
});
