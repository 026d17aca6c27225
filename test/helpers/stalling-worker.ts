// A worker process for tests: router/workers/worker.ts, except that the first worker of a test to be
// handed a second table (transfer 2) stops dead when that table's first piece arrives — its event loop
// blocked, as a worker stuck in a long computation or a deadlock would be. PASSAGE_TEST_STALL_MARK names
// a file: the worker that stalls creates it, so its replacement (and the other workers) run normally.
import { writeFileSync } from 'node:fs';

const mark = process.env.PASSAGE_TEST_STALL_MARK;
if (mark !== undefined) {
  process.on('message', (message: { type: string; transfer?: number }) => {
    if (message.type !== 'table-piece' || message.transfer !== 2) return;
    // Created exclusively: when both workers get the piece at once, only one of them stalls.
    try {
      writeFileSync(mark, `${process.pid}\n`, { flag: 'wx' });
    } catch {
      return;
    }
    // Blocked until killed (at most a minute, should the test fail to kill it).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  });
}
await import('../../router/workers/worker.ts');
