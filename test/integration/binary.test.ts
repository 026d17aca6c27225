// The `passage` binary as operators run it: flags, config errors with exit code 2, and a graceful SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transferRoutes } from '../helpers/router.ts';
import { login } from '../helpers/minecraft.ts';
import { startFakeSessionServer } from '../helpers/session-server.ts';

const MAIN = new URL('../../router/main.ts', import.meta.url).pathname;

function run(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
}

function tempConfig(config: string, routes = transferRoutes([{ id: 'a', port: 25599 }])): string {
  const dir = mkdtempSync(join(tmpdir(), 'passage-bin-'));
  writeFileSync(join(dir, 'routes.toml'), routes);
  writeFileSync(join(dir, 'passage.toml'), config);
  return join(dir, 'passage.toml');
}

test('--help describes the flags and --version prints the version', () => {
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: passage \[--config FILE\]/);
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^passage \d+\.\d+\.\d+\n$/);
});

test('an unknown flag is a usage error with exit code 2', () => {
  const r = run(['--confg', 'x']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Unknown option '--confg'/);
});

test('config mistakes name the file and key and exit 2, without a stack trace', () => {
  const cases: [string, RegExp][] = [
    ['timeout = "soon"\n', /passage\.toml: timeout: expected a duration/],
    ['[auth]\nmdoe = "online"\n', /passage\.toml: auth\.mdoe: unknown key/],
    ['address = 25565\n', /passage\.toml: address: expected "host:port", got number 25565/],
    ['[rate_limiter\n', /passage\.toml: invalid TOML \(line 1/],
  ];
  for (const [config, message] of cases) {
    const r = run(['--config', tempConfig(config)]);
    assert.equal(r.status, 2, config);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const missing = run(['--config', '/nonexistent/passage.toml']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /\/nonexistent\/passage\.toml: file not found/);
});

test('a broken routing table at startup names the route path and exits 2', () => {
  const file = tempConfig('address = "127.0.0.1:0"\n[admin]\naddress = "127.0.0.1:0"\n[table]\nallow_unsigned = true\n', 'table_id = "t"\nversion = 1\n[[routes]]\nid = "x"\nhosts = ["a.test"]\nstrategy = "fastest"\n');
  const r = run(['--config', file]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /routes\[0\]\.strategy/);
});

test('an unsigned routes file is refused unless the config allows it, naming the key', () => {
  const r = run(['--config', tempConfig('address = "127.0.0.1:0"\n[admin]\naddress = "127.0.0.1:0"\n')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a signed envelope and table\.allow_unsigned is false/);
});

test('SIGINT (Ctrl-C) stops the router the same way: drain, exit 0', async () => {
  const file = tempConfig('address = "127.0.0.1:0"\ndrain_timeout = "2s"\n[admin]\naddress = "127.0.0.1:0"\n[log]\nlevel = "info"\n[table]\nallow_unsigned = true\n');
  const child = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /"signal":"SIGINT"/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('SIGTERM drains: /readyz turns 503, the login in flight finishes, the process exits 0', async () => {
  const session = await startFakeSessionServer();
  session.delayMs = 1500;
  const file = tempConfig(
    `address = "127.0.0.1:0"\ndrain_timeout = "10s"\n[admin]\naddress = "127.0.0.1:0"\n[auth]\nsession_server = "${session.url}"\n[log]\nlevel = "info"\n[table]\nallow_unsigned = true\n`,
  );
  const child = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const listening = await new Promise<{ port: number; admin: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on [\d.]+:(\d+); admin on (http:\/\/[\d.:]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ port: Number(m[1]), admin: m[2] });
        }
      });
    });
    assert.equal((await fetch(`${listening.admin}/readyz`)).status, 200);
    const inFlight = login({ port: listening.port, version: '1.21.4', username: 'Latecomer', sessionServer: session.url });
    // Wait until the router is waiting on the (slow) session server, then ask it to stop.
    const until = Date.now() + 5000;
    while (session.hasJoinedCalls.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(session.hasJoinedCalls.length, 1);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const ready = await fetch(`${listening.admin}/readyz`).then((r) => r.status, () => 'closed');
    assert.equal(ready, 503);
    const result = await inFlight;
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: 25599 }, 'the login in flight was finished');
    assert.equal(await exited, 0);
    assert.match(out, /draining/);
  } finally {
    child.kill('SIGKILL');
    await session.close();
  }
});
