// `workers = 2`, one of which stops taking its table in (its event loop blocked when the second table's
// first piece arrives): the supervisor kills it once a piece has waited `tableAckTimeoutMs` for its
// acknowledgement, counts it, and its replacement serves the newest table like the other worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askAll } from '../../router/workers/slot.ts';
import { startSupervisor } from '../../router/workers/supervisor.ts';
import type { RunningSupervisor } from '../../router/workers/supervisor.ts';
import { ping } from '../helpers/minecraft.ts';
import { twoWorkerConfig, writeOneRouteTable } from '../helpers/supervisor.ts';
import { eventually, silentLog } from '../helpers/tables.ts';

const STALLING_WORKER = new URL('../helpers/stalling-worker.ts', import.meta.url);

describe('a worker that stops taking its table in', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-stalled-worker-'));
  const mark = join(dir, 'stalled');
  let running: RunningSupervisor;

  before(async () => {
    writeOneRouteTable(dir, 1, 'table 1');
    const config = twoWorkerConfig(dir);
    process.env.PASSAGE_TEST_STALL_MARK = mark;
    running = await startSupervisor(config, { log: silentLog, workerEntry: STALLING_WORKER, tableAckTimeoutMs: 1_000 });
  });

  after(async () => {
    delete process.env.PASSAGE_TEST_STALL_MARK;
    await running?.stop(0);
  });

  test('is killed and replaced, the kill is counted, and every worker then serves the newest table', async () => {
    const pidsBefore = running.slots.map((s) => s.pid);
    writeOneRouteTable(dir, 2, 'table 2');
    assert.equal((await running.poller.pollOnce()).kind, 'applied');
    // The mark holds the stalled worker's pid once written (it is created empty, then written).
    const markedPid = (): number => (existsSync(mark) ? Number(readFileSync(mark, 'utf8')) : 0);
    await eventually(() => markedPid() > 0, 20_000, 'a worker stalled');
    const stalledPid = markedPid();
    assert.ok(pidsBefore.includes(stalledPid));
    await eventually(async () => (await askAll(running.slots, 'status')).every((s) => s?.tableVersion === 2), 60_000, 'every worker on version 2');
    const pidsAfter = running.slots.map((s) => s.pid);
    assert.ok(!pidsAfter.includes(stalledPid), `the stalled worker ${stalledPid} was replaced: ${JSON.stringify(pidsAfter)}`);
    assert.equal(pidsAfter.filter((pid) => pidsBefore.includes(pid)).length, 1, 'the other worker kept running');
    const metrics = await (await fetch(`http://127.0.0.1:${running.adminAddress.port}/metrics`)).text();
    assert.match(metrics, /^passage_worker_restarts_total\{how="table_stalled"\} 1$/m);
    assert.match(metrics, /^passage_worker_restarts_total\{how="signal"\} 0$/m);
    for (let i = 0; i < 4; i++) {
      const status = await ping(running.address.port, 'play.test', '1.21.4');
      assert.deepEqual(status.description, { text: 'table 2' });
    }
  });
});
