#!/usr/bin/env node
// The longest single `set` while a Map, a Set and the router's SegmentedMap grow to 300,000 host names
// (docs/BENCHMARKS.md, "Where the stalls of a 100,000-route apply came from"): a Map rehashes all its
// entries when it grows, a SegmentedMap never more than one segment's.
//   node scripts/bench/map-growth.ts [--entries N] [--rounds N]
import { parseArgs } from 'node:util';
import { SegmentedMap } from '../../router/table/segmented-map.ts';
import { argsOrExit } from './lib/args.ts';

const { values } = argsOrExit('map-growth', 'Usage: node scripts/bench/map-growth.ts [--entries N] [--rounds N]', () => parseArgs({ options: { entries: { type: 'string', default: '300000' }, rounds: { type: 'string', default: '3' } } }));
const entries = Number(values.entries);
const keys = Array.from({ length: entries }, (_, i) => `play${i}.example.com`);

/** The slowest insert and where it happened, and every insert over 2 ms. */
function grow(insert: (key: string, i: number) => void): { worst: number; at: number; slow: string[] } {
  let worst = 0;
  let at = 0;
  const slow: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const t = performance.now();
    insert(keys[i]!, i);
    const d = performance.now() - t;
    if (d > worst) [worst, at] = [d, i];
    if (d > 2) slow.push(`${i.toLocaleString('en')}: ${d.toFixed(1)} ms`);
  }
  return { worst, at, slow };
}

for (let round = 1; round <= Number(values.rounds); round++) {
  const map = new Map<string, number>();
  const set = new Set<string>();
  const segmented = new SegmentedMap<number>();
  for (const [name, insert] of [
    ['Map', (k: string, i: number) => void map.set(k, i)],
    ['Set', (k: string) => void set.add(k)],
    ['SegmentedMap', (k: string, i: number) => void segmented.set(k, i)],
  ] as const) {
    const r = grow(insert);
    process.stdout.write(`round ${round} ${name.padEnd(12)} slowest set ${r.worst.toFixed(1)} ms at entry ${r.at.toLocaleString('en')}; over 2 ms: ${r.slow.join(', ') || 'none'}\n`);
  }
}
