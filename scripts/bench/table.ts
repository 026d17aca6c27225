#!/usr/bin/env node
// Routing-table benchmark (docs/BENCHMARKS.md, "Routing tables"): what a router spends when a new
// signed table arrives (verify the envelope + build the route index in TableStore.swap), and what a
// handshake spends looking up its route in a 10,000-route table.
//   node scripts/bench/table.ts [--json]
// With --apply, instead: applying 1,000 / 10,000 / 100,000-route tables in a running router, before and
// after issue 19 (scripts/bench/table-apply.ts):
//   node --expose-gc scripts/bench/table.ts --apply [--sizes 1000,10000,100000] [--modes before,single,chunked] [--slice-budget MS] [--slice-pause MS] [--off-thread-min-routes N] [--json]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TableStore } from '../../router/routing/store.ts';
import { signTable, verifyEnvelope } from '../../router/table/envelope.ts';
import { generateSigningKey } from '../../router/table/keys.ts';
import { APPLY_MODES, applyTable, runApplyBenchmark } from './table-apply.ts';
import { argsOrExit } from './lib/args.ts';

const SIZES = [10, 1_000, 10_000];
const LOOKUPS = 1_000_000;

/** N routes, each with one exact host, one wildcard and two targets: a wide but realistic network. */
function document(routes: number): Record<string, unknown> {
  return {
    table_id: 'bench',
    version: 1,
    routes: Array.from({ length: routes }, (_, i) => ({
      id: `route-${i}`,
      hosts: [`play${i}.example.com`, `*.net${i}.example.org`],
      strategy: 'least_players',
      status: { motd: `Route ${i}`, max_players: 500 },
      targets: [
        { id: 'a', address: `10.${(i >> 8) & 255}.${i & 255}.1:25565`, priority: 0, meta: { players: '10' } },
        { id: 'b', address: `10.${(i >> 8) & 255}.${i & 255}.2:25565`, priority: 1, meta: { players: '20' } },
      ],
    })),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const TABLE_USAGE = `Usage: node scripts/bench/table.ts [--json] [--apply] [--sizes LIST] [--modes LIST] [--slice-pause MS] [--slice-budget MS] [--off-thread-min-routes N]`;
const { values } = argsOrExit('bench:table', TABLE_USAGE, () => parseArgs({ options: { json: { type: 'boolean' }, apply: { type: 'boolean' }, sizes: { type: 'string', default: '1000,10000,100000' }, modes: { type: 'string', default: APPLY_MODES.join(',') }, 'slice-pause': { type: 'string' }, 'slice-budget': { type: 'string' }, 'off-thread-min-routes': { type: 'string' } } }));
if (values.apply) {
  const sizes = values.sizes.split(',').map(Number);
  const modes = values.modes.split(',').filter((m): m is (typeof APPLY_MODES)[number] => (APPLY_MODES as readonly string[]).includes(m));
  const slices = {
    ...(values['slice-budget'] === undefined ? {} : { sliceBudgetMs: Number(values['slice-budget']) }),
    ...(values['slice-pause'] === undefined ? {} : { slicePauseMs: Number(values['slice-pause']) }),
    ...(values['off-thread-min-routes'] === undefined ? {} : { assembleOffThreadMinRoutes: Number(values['off-thread-min-routes']) }),
  };
  const rows = await runApplyBenchmark(sizes, modes, slices);
  process.stdout.write(values.json ? `${JSON.stringify({ node: process.version, apply: rows }, null, 2)}\n` : `node ${process.version}\n\n${applyTable(rows)}`);
  process.exit(0);
}
const key = generateSigningKey();
const now = Date.now();
const results: Record<string, unknown>[] = [];

for (const size of SIZES) {
  const { envelope } = signTable(document(size), key.privateKey, { now, expiresInMs: 3_600_000 });
  const bytes = Buffer.from(JSON.stringify(envelope));
  const store = new TableStore();
  const rounds = size >= 10_000 ? 15 : size >= 1_000 ? 50 : 500;
  const verify: number[] = [];
  const swap: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const { table } = verifyEnvelope(bytes, [key.publicKey], { maxBytes: 64 * 1024 * 1024, expectedTableId: 'bench', now, skewMs: 60_000 });
    const t1 = performance.now();
    store.swap(table);
    const t2 = performance.now();
    verify.push(t1 - t0);
    swap.push(t2 - t1);
  }
  results.push({ routes: size, envelopeBytes: bytes.length, verifyMs: median(verify), swapMs: median(swap), totalMs: median(verify) + median(swap) });
}

// Lookups in the 10,000-route table: hosts picked across the whole table so no single entry stays hot.
const big = new TableStore();
big.swap(verifyEnvelope(Buffer.from(JSON.stringify(signTable(document(10_000), key.privateKey, { now, expiresInMs: 3_600_000 }).envelope)), [key.publicKey], {
  maxBytes: 64 * 1024 * 1024, expectedTableId: 'bench', now, skewMs: 60_000,
}).table);
const active = big.current!;
const lookups: Record<string, number> = {};
for (const [name, host] of [
  ['exact', (i: number) => `play${i % 10_000}.example.com`],
  ['wildcard', (i: number) => `mc.net${i % 10_000}.example.org`],
  ['miss', (i: number) => `unknown${i % 10_000}.example.net`],
] as const) {
  const hosts = Array.from({ length: 10_000 }, (_, i) => host((i * 7919) % 10_000));
  const n = name === 'exact' ? LOOKUPS : 20_000; // wildcard and miss scan the wildcard list: fewer rounds
  let found = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (active.resolve(hosts[i % hosts.length]!) !== undefined) found++;
  const elapsed = performance.now() - t0;
  if (name !== 'miss' && found !== n) throw new Error(`${name}: only ${found} of ${n} lookups matched`);
  lookups[name] = (elapsed * 1e6) / n; // ns per lookup
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, tables: results, lookupNs: lookups }, null, 2)}\n`);
} else {
  process.stdout.write(`node ${process.version}\n\n| routes | envelope | verify | swap (index) | verify + swap |\n| ---: | ---: | ---: | ---: | ---: |\n`);
  for (const r of results) {
    process.stdout.write(`| ${(r.routes as number).toLocaleString('en')} | ${((r.envelopeBytes as number) / 1024).toFixed(1)} KiB | ${(r.verifyMs as number).toFixed(2)} ms | ${(r.swapMs as number).toFixed(2)} ms | ${(r.totalMs as number).toFixed(2)} ms |\n`);
  }
  process.stdout.write(`\nroute lookup at 10,000 routes: exact ${lookups.exact!.toFixed(0)} ns, wildcard ${lookups.wildcard!.toFixed(0)} ns, miss (→ no route) ${lookups.miss!.toFixed(0)} ns\n`);
}
