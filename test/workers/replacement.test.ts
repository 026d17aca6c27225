// `workers = 2`: a worker is killed and its replacement dies before it listens. The supervisor replaces
// the replacement too (with the crash-loop back-off), counts both, and the instance is whole again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askAll } from '../../router/workers/slot.ts';
import { startSupervisor } from '../../router/workers/supervisor.ts';
import type { RunningSupervisor } from '../../router/workers/supervisor.ts';
import { ping } from '../helpers/minecraft.ts';
import { twoWorkerConfig, writeOneRouteTable } from '../helpers/supervisor.ts';
import { eventually, silentLog } from '../helpers/tables.ts';

const CRASH_ONCE_WORKER = new URL('../helpers/crash-once-worker.ts', import.meta.url);

describe('a replacement worker that dies before it listens', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-replacement-'));
  const mark = join(dir, 'crash');
  let running: RunningSupervisor;

  before(async () => {
    writeOneRouteTable(dir, 1, 'whole again');
    writeFileSync(mark, 'not yet');
    process.env.PASSAGE_TEST_CRASH_MARK = mark;
    running = await startSupervisor(twoWorkerConfig(dir), { log: silentLog, workerEntry: CRASH_ONCE_WORKER });
  });

  after(async () => {
    delete process.env.PASSAGE_TEST_CRASH_MARK;
    await running?.stop(0);
  });

  test('is replaced in turn: both ends are counted and two workers serve again', async () => {
    const [first, second] = running.slots.map((s) => s.pid);
    writeFileSync(mark, 'crash next');
    process.kill(first!, 'SIGKILL');
    await eventually(() => readFileSync(mark, 'utf8').startsWith('crashed'), 20_000, 'the replacement died before listening');
    await eventually(async () => (await askAll(running.slots, 'status')).every((s) => s?.tableVersion === 1), 60_000, 'two workers listening again');
    const pids = running.slots.map((s) => s.pid);
    assert.ok(!pids.includes(first) && pids.includes(second), JSON.stringify({ first, second, pids }));
    assert.ok(!pids.includes(Number(readFileSync(mark, 'utf8').split(' ')[1])));
    const metrics = await (await fetch(`http://127.0.0.1:${running.adminAddress.port}/metrics`)).text();
    assert.match(metrics, /^passage_worker_restarts_total\{how="signal"\} 1$/m);
    assert.match(metrics, /^passage_worker_restarts_total\{how="exit"\} 1$/m);
    assert.match(metrics, /^passage_workers\{state="listening"\} 2$/m);
    const status = await ping(running.address.port, 'play.test', '1.21.4');
    assert.deepEqual(status.description, { text: 'whole again' });
  });
});
