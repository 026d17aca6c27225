// `workers = 2` with a 10,000-route table (issue 19): the supervisor runs in this process and forks real
// workers (router/workers/worker.ts, wrapped to record every IPC message it receives). The table reaches
// each worker in messages of bounded size, a newer table begun mid-transfer wins without the older one
// ever being served, and a replaced worker gets the table the same way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { IPC_MESSAGE_MAX_BYTES } from '../../router/workers/messages.ts';
import type { FromWorker } from '../../router/workers/messages.ts';
import { askAll } from '../../router/workers/slot.ts';
import { startSupervisor } from '../../router/workers/supervisor.ts';
import type { RunningSupervisor } from '../../router/workers/supervisor.ts';
import { bigDocument } from '../helpers/chunked-tables.ts';
import { ping } from '../helpers/minecraft.ts';
import { twoWorkerConfig } from '../helpers/supervisor.ts';
import { eventually, silentLog } from '../helpers/tables.ts';

const ROUTES = 10_000;
const MEASURED_WORKER = new URL('../helpers/measured-worker.ts', import.meta.url);

function document(version: number, routes = ROUTES): Record<string, unknown> {
  return bigDocument('big', routes, version, () => ` v${version}`);
}

interface IpcRecord {
  readonly pid: number;
  readonly type: string;
  readonly bytes: number;
}

describe('workers = 2 with a 10,000-route table', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-big-table-'));
  const ipcLog = join(dir, 'ipc.jsonl');
  let running: RunningSupervisor;
  const records = (): IpcRecord[] => readFileSync(ipcLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as IpcRecord);
  const versions = async (): Promise<(number | null | undefined)[]> => (await askAll(running.slots, 'status')).map((s) => s?.tableVersion);
  /** Status pings for every 250th host (and the last), answered by whichever worker the kernel picks. */
  const assertServes = async (version: number, routes: number): Promise<void> => {
    for (let i = 0; i < routes; i += routes >= 1_000 ? 250 : 1) {
      for (const n of new Set([i, routes - 1])) {
        const status = await ping(running.address.port, `play${n}.example.com`, '1.21.4');
        assert.equal(JSON.stringify(status.description), JSON.stringify({ text: `Route ${n} v${version}` }));
      }
    }
  };

  before(async () => {
    writeFileSync(ipcLog, '');
    writeFileSync(join(dir, 'routes.json'), JSON.stringify(document(1)));
    const config = twoWorkerConfig(dir);
    // Forked workers inherit the environment: they write their IPC records there.
    process.env.PASSAGE_TEST_IPC_LOG = ipcLog;
    running = await startSupervisor(config, { log: silentLog, workerEntry: MEASURED_WORKER });
  });

  after(async () => {
    delete process.env.PASSAGE_TEST_IPC_LOG;
    await running?.stop(0);
  });

  test('each worker gets the table before it listens, in messages none larger than the IPC bound, and serves every sampled host', async () => {
    assert.deepEqual(await versions(), [1, 1]);
    const got = records();
    for (const pid of running.slots.map((s) => s.pid)) {
      const pieces = got.filter((r) => r.pid === pid && r.type === 'table-piece');
      // 10,000 routes are a few MiB serialized: tens of pieces, not one message.
      assert.ok(pieces.length >= 10, `worker ${pid} got ${pieces.length} pieces`);
    }
    const largest = Math.max(...got.map((r) => r.bytes));
    assert.ok(largest <= IPC_MESSAGE_MAX_BYTES, `largest IPC message ${largest} bytes`);
    await assertServes(1, ROUTES);
  });

  test('a newer table swapped in while a worker is mid-way through the older one is the only one it ever serves', async () => {
    const newest = parseRoutingTable(document(3, 8_000));
    const applied = new Map<number, number[]>();
    let swappedMidway = false;
    const children = running.slots.map((s) => s.child!);
    const listen = (child: ChildProcess, index: number): ((message: FromWorker) => void) => {
      let acks = 0;
      const listener = (message: FromWorker): void => {
        if (message.type === 'table-applied') applied.set(index, [...(applied.get(index) ?? []), message.version]);
        // The supervisor has already sent worker 0 its next piece of version 2 when this runs.
        if (message.type === 'table-ack' && index === 0 && ++acks === 5 && !swappedMidway) {
          swappedMidway = true;
          running.tables.swap(newest);
        }
      };
      child.on('message', listener);
      return listener;
    };
    const listeners = children.map((child, i) => listen(child, i));
    try {
      writeFileSync(join(dir, 'routes.json'), JSON.stringify(document(2)));
      assert.equal((await running.poller.pollOnce()).kind, 'applied');
      await eventually(async () => (await versions()).every((v) => v === 3), 60_000, 'every worker on version 3');
    } finally {
      children.forEach((child, i) => child.off('message', listeners[i]!));
    }
    assert.ok(swappedMidway);
    assert.deepEqual(applied.get(0), [3], 'worker 0 never served version 2');
    const other = applied.get(1) ?? [];
    assert.ok(other.at(-1) === 3 && other.every((v) => v === 2 || v === 3), `worker 1 applied ${JSON.stringify(other)}`);
    await assertServes(3, 8_000);
    // Hosts only version 2 had are gone everywhere: each worker holds version 3 whole.
    const status = await ping(running.address.port, 'play9000.example.com', '1.21.4').catch((err: Error) => err);
    assert.ok(status instanceof Error || !JSON.stringify(status.description).includes('Route 9000'), JSON.stringify(status));
  });

  test('a worker that dies is replaced and its replacement gets the table the same way', async () => {
    const [first] = running.slots;
    const pid = first!.pid!;
    process.kill(pid, 'SIGKILL');
    await eventually(async () => first!.pid !== undefined && first!.pid !== pid && first!.listening, 60_000, 'worker 0 replaced');
    assert.deepEqual(await versions(), [3, 3]);
    const replacement = records().filter((r) => r.pid === first!.pid);
    assert.ok(replacement.filter((r) => r.type === 'table-piece').length >= 10);
    assert.ok(Math.max(...replacement.map((r) => r.bytes)) <= IPC_MESSAGE_MAX_BYTES);
    await assertServes(3, 8_000);
  });
});
