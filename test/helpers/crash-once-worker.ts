// A worker process for tests: router/workers/worker.ts, except that while the file named by
// PASSAGE_TEST_CRASH_MARK says "crash next", the next worker to start exits with code 3 before it
// listens (as a worker whose start fails would), after writing "crashed <pid>" there so the one after
// it starts normally.
import { readFileSync, writeFileSync } from 'node:fs';

const mark = process.env.PASSAGE_TEST_CRASH_MARK;
let crash = false;
try {
  crash = mark !== undefined && readFileSync(mark, 'utf8') === 'crash next';
} catch {
  crash = false;
}
if (crash) {
  writeFileSync(mark!, `crashed ${process.pid}`);
  process.exit(3);
}
await import('../../router/workers/worker.ts');
