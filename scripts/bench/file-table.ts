// What reading a big local routes file costs the event loop (issue 19): a routes.toml of N routes read by
// the file source on the loop (inlineMaxBytes: Infinity) and in a worker thread (the default for a file
// over 32 KiB), three times each, alternating. Reports the fetch's wall time and the longest gap between
// two callbacks of a 1 ms interval timer during it (the loop blocked, or not scheduled).
//   node scripts/bench/file-table.ts [--routes 1000,10000]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FileTableSource } from '../../router/routing/sources/file.ts';
import { argsOrExit } from './lib/args.ts';

const { values } = argsOrExit('file-table', 'Usage: node scripts/bench/file-table.ts [--routes LIST]', () => parseArgs({ options: { routes: { type: 'string', default: '1000,10000' } } }));
const dir = mkdtempSync(join(tmpdir(), 'passage-file-bench-'));
try {
  console.log(`node ${process.version}\n\n| routes | file | read on | fetch | longest gap of a 1 ms timer |\n| ---: | ---: | --- | ---: | ---: |`);
  for (const n of values.routes.split(',').map(Number)) {
    const lines = ['table_id = "bench"', 'version = 1', ''];
    for (let i = 0; i < n; i++) lines.push('[[routes]]', `id = "c${i}"`, `hosts = ["c${i}.host.example"]`, '[[routes.targets]]', 'id = "a"', `address = "127.0.0.1:${30000 + (i % 1000)}"`, '');
    const path = join(dir, 'routes.toml');
    const text = lines.join('\n');
    writeFileSync(path, text);
    for (let round = 0; round < 3; round++) {
      for (const [where, inlineMaxBytes] of [['loop', Number.POSITIVE_INFINITY], ['thread', undefined]] as const) {
        const source = new FileTableSource(path, inlineMaxBytes === undefined ? {} : { inlineMaxBytes });
        let last = performance.now();
        let gap = 0;
        const ticker = setInterval(() => {
          const now = performance.now();
          gap = Math.max(gap, now - last);
          last = now;
        }, 1);
        const t0 = performance.now();
        const result = await source.fetch();
        const ms = performance.now() - t0;
        // The tick after a blocking step is the one that sees it.
        await sleep(5);
        clearInterval(ticker);
        if (result.kind !== 'unsigned') throw new Error(`expected a routes file, got ${result.kind}`);
        console.log(`| ${n.toLocaleString('en')} | ${(text.length / 1024).toFixed(0)} KiB | ${where} | ${ms.toFixed(0)} ms | ${gap.toFixed(1)} ms |`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
