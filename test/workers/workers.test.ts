// `workers = 2`: the real binary, its supervisor and two worker processes sharing one port on 127.0.0.1.
// Each status ping comes from its own loopback address unless a test is about one client's budget.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForListening } from '../helpers/listening.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { eventually } from '../helpers/tables.ts';

const MAIN = new URL('../../router/main.ts', import.meta.url).pathname;
const statusHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 });
const statusRequest = new PacketWriter().packet(0x00);

function routes(version: number, motd: string): string {
  return [
    'table_id = "test"', `version = ${version}`, '[[routes]]', 'id = "main"', 'hosts = ["*"]',
    '[routes.status]', `motd = "${motd}"`, 'max_players = 5', '[[routes.targets]]', 'id = "a"', 'address = "127.0.0.1:25599"',
  ].join('\n');
}

interface Instance {
  readonly child: ChildProcess;
  readonly port: number;
  readonly admin: string;
  readonly dir: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

async function startInstance(): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-workers-'));
  writeFileSync(join(dir, 'routes.toml'), routes(1, 'first table'));
  writeFileSync(join(dir, 'passage.toml'), [
    'address = "127.0.0.1:0"', 'workers = 2', 'drain_timeout = "2s"',
    '[admin]', 'address = "127.0.0.1:0"',
    '[table]', 'path = "routes.toml"', 'allow_unsigned = true', 'poll_interval = "1s"',
    '[rate_limiter]', 'status_size = 4', 'size = 4',
    '[auth]', 'mode = "offline"',
  ].join('\n'));
  const child = spawn(process.execPath, [MAIN, '--config', join(dir, 'passage.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const record = await waitForListening(child, 60_000, () => err);
  // Keep draining stdout so the workers' log lines never block on a full pipe.
  return { child, port: record.game.port, admin: `http://127.0.0.1:${record.admin.port}`, dir, exited, stderr: () => err };
}

/** A status exchange from `from`; resolves with what came back (empty when the router closed without answering). */
function statusPing(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    const chunks: Buffer[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString());
    };
    const timer = setTimeout(finish, 3_000);
    socket.on('connect', () => socket.write(Buffer.concat([statusHandshake, statusRequest])));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // The status JSON ends with its closing brace; the router then waits for a ping we never send.
      if (Buffer.concat(chunks).toString().trimEnd().endsWith('}')) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

/** The value of one sample in Prometheus text, by its exact series name with labels; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

interface WorkerEntry {
  index: number;
  pid: number | null;
  ready: boolean;
  tableVersion: number | null;
}

async function workers(instance: Instance): Promise<WorkerEntry[]> {
  return JSON.parse((await get(`${instance.admin}/status`)).body).workers as WorkerEntry[];
}

describe('workers = 2', { timeout: 180_000 }, () => {
  let instance: Instance;
  before(async () => {
    instance = await startInstance();
  });
  after(() => {
    if (instance.child.exitCode === null) instance.child.kill('SIGKILL');
  });

  test('two worker processes share the port, and /metrics adds up what each of them counted', async () => {
    const list = await workers(instance);
    assert.equal(list.length, 2);
    assert.equal(new Set(list.map((w) => w.pid)).size, 2, 'two distinct processes');
    assert.ok(list.every((w) => w.ready && w.pid !== instance.child.pid));
    const pings = 20;
    for (let i = 0; i < pings; i++) assert.match(await statusPing(instance.port, `127.0.3.${i + 1}`), /first table/);
    const metrics = (await get(`${instance.admin}/metrics`)).body;
    assert.equal(sample(metrics, 'passage_connections_total{intent="status"}'), pings);
    assert.equal(sample(metrics, 'passage_workers{state="listening"}'), 2);
    assert.equal(sample(metrics, 'passage_table_version'), 1, 'the table version once, not once per worker');
  });

  test('/readyz is 503 while a worker does not answer, and 200 again once it does', async () => {
    assert.equal((await get(`${instance.admin}/readyz`)).status, 200);
    const [first] = await workers(instance);
    process.kill(first.pid!, 'SIGSTOP');
    try {
      const stopped = await get(`${instance.admin}/readyz`);
      assert.equal(stopped.status, 503);
      assert.match(stopped.body, new RegExp(`1 of 2 workers not ready: worker 0 \\(pid ${first.pid}\\)`));
    } finally {
      process.kill(first.pid!, 'SIGCONT');
    }
    await eventually(async () => (await get(`${instance.admin}/readyz`)).status === 200, 10_000, '/readyz back at 200');
  });

  test('a new table, polled by the supervisor alone, reaches every worker', async () => {
    writeFileSync(join(instance.dir, 'routes.toml'), routes(2, 'second table'));
    await eventually(async () => (await workers(instance)).every((w) => w.tableVersion === 2), 20_000, 'every worker on version 2');
    for (let i = 0; i < 10; i++) assert.match(await statusPing(instance.port, `127.0.4.${i + 1}`), /second table/);
    const metrics = (await get(`${instance.admin}/metrics`)).body;
    assert.equal(sample(metrics, 'passage_table_version'), 2);
  });

  test('one client gets the per-instance budget in total: each worker holds its divided share', async () => {
    const attempts = 12;
    let answered = 0;
    for (let i = 0; i < attempts; i++) if (/second table/.test(await statusPing(instance.port, '127.0.5.1'))) answered++;
    // status_size = 4 over 2 workers: 2 each. Undivided, two workers would admit up to 8.
    assert.ok(answered <= 4, `answered ${answered} of ${attempts}`);
    assert.ok(answered >= 2, `answered ${answered} of ${attempts}`);
    const metrics = (await get(`${instance.admin}/metrics`)).body;
    assert.equal(sample(metrics, 'passage_rate_limit_exceeded_total{budget="status"}'), attempts - answered);
  });

  test('a worker that dies is replaced and counted, and the instance serves again', async () => {
    const [first] = await workers(instance);
    process.kill(first.pid!, 'SIGKILL');
    await eventually(async () => {
      const list = await workers(instance);
      return list[0].pid !== first.pid && list[0].pid !== null && list.every((w) => w.ready && w.tableVersion === 2);
    }, 60_000, 'worker 0 replaced and ready');
    const metrics = (await get(`${instance.admin}/metrics`)).body;
    assert.equal(sample(metrics, 'passage_worker_restarts_total{how="signal"}'), 1);
    assert.equal((await get(`${instance.admin}/readyz`)).status, 200);
    for (let i = 0; i < 10; i++) assert.match(await statusPing(instance.port, `127.0.6.${i + 1}`), /second table/);
  });

  test('SIGTERM drains every worker and the instance exits 0 with no worker left behind', async () => {
    const pids = (await workers(instance)).map((w) => w.pid!);
    instance.child.kill('SIGTERM');
    const code = await Promise.race([instance.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]);
    assert.equal(code, 0, instance.stderr());
    for (const pid of pids) {
      await eventually(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 10_000, `worker ${pid} gone`);
    }
  });
});
