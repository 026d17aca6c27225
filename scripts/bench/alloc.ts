// Bytes a router allocates per exchange (status, offline login → transfer), from V8's sampling heap
// profiler with collected objects included: the figure that decides how often the young generation
// is scavenged under load, and so the latency tail. Deterministic enough to compare two routers
// (`--router`), unlike latency on a shared machine.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { routerFiles } from './core.ts';
import { startExchange } from './lib/client.ts';
import type { ExchangeKind } from './lib/client.ts';
import { closedLoop } from './lib/load.ts';
import { freePort, startListeningChild } from './lib/processes.ts';
import { argsOrExit } from './lib/args.ts';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const USAGE = `Usage: node scripts/bench/alloc.ts [options]

Bytes the router allocates per status exchange and per offline login → transfer (V8 sampling heap
profiler, freed objects included), with the functions that allocate most.

Options:
  --router FILE   router entry to measure (default router/main.ts)
  --duration S    measured seconds per exchange kind (default 5)
  --top N         allocating functions listed per kind (default 12)
  --survivors     count only objects that outlived a scavenge (promoted or still alive): what
                  makes scavenges slow and the old generation grow
  -h, --help      show this help`;

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

function flatten(node: ProfileNode, into: Map<string, number>): number {
  const f = node.callFrame;
  const file = f.url.replace(/^file:\/\/.*?\/(router|node_modules)\//, '$1/');
  const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  if (node.selfSize > 0) into.set(key, (into.get(key) ?? 0) + node.selfSize);
  let total = node.selfSize;
  for (const c of node.children) total += flatten(c, into);
  return total;
}

async function measure(kind: ExchangeKind, routerMain: string, durationMs: number, top: number, survivors: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-alloc-'));
  const out = join(dir, 'alloc.heapprofile');
  process.env.PASSAGE_ALLOC_PROFILE = out;
  process.env.PASSAGE_ALLOC_SURVIVORS = survivors ? '1' : '0';
  const port = await freePort();
  const router = await startListeningChild('passage', ['--import', here('./lib/alloc-preload.ts'), routerMain, '--config', routerFiles({ mode: 'offline' }, port)], port);
  try {
    const start = (done: Parameters<typeof startExchange>[2]) => startExchange(kind, { port, serverHost: 'play.bench' }, done);
    const result = await closedLoop(start, {
      warmupMs: 2000,
      durationMs,
      concurrency: 16,
      onMeasureStart: () => process.kill(router.pid, 'SIGUSR2'),
      onMeasureEnd: () => process.kill(router.pid, 'SIGUSR2'),
    });
    for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 50));
    const profile = JSON.parse(readFileSync(out, 'utf8')) as { head: ProfileNode };
    const byFunction = new Map<string, number>();
    const total = flatten(profile.head, byFunction);
    const n = result.completed;
    const what = survivors ? 'outlived a scavenge' : 'allocated';
    console.log(`${kind}: ${n} exchanges, ${(total / n / 1024).toFixed(2)} KiB ${what} per exchange (errors ${result.errors})`);
    for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`  ${(bytes / n).toFixed(0).padStart(6)} B  ${key}`);
    }
  } finally {
    await router.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = argsOrExit('alloc', USAGE, () => parseArgs({
  options: { router: { type: 'string' }, duration: { type: 'string' }, top: { type: 'string' }, survivors: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
}));
if (values.help === true) {
  console.log(USAGE);
} else {
  const routerMain = values.router ?? here('../../router/main.ts');
  for (const kind of ['status', 'offline_login'] as const) await measure(kind, routerMain, Number(values.duration ?? 5) * 1000, Number(values.top ?? 12), values.survivors === true);
}
