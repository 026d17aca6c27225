#!/usr/bin/env node
// Start-up time and idle memory of a router on a config like the bundled one (passage.toml and
// routes.toml: file source, online auth, one default route with a favicon), for the .ts sources (type
// stripping), the compiled dist/ (after `npm run build`) and an empty Node for reference, side by side
// in one run. Part of `npm run bench`; alone: `node scripts/bench/footprint.ts [--runs N] [--also FILE]…`
// (`--also` adds another router entry point as a row, e.g. a copy of an older router/ to compare).
//
// Start-up time: spawn → the router's `listening` log line (median of N starts).
// Idle RSS: VmRSS from /proc/<pid>/status, 2 s after listening, no traffic (median of N starts).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readListeningLine } from '../../router/contracts/listening.ts';
import { argsOrExit } from './lib/args.ts';
import { median } from './lib/stats.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const START_TIMEOUT_MS = 20_000;
const SETTLE_MS = 2_000;

export interface FootprintRow {
  readonly label: string;
  /** Median spawn → listening, in ms (undefined for the empty Node, which prints no such line). */
  readonly startupMs: number | undefined;
  /** Median idle RSS in bytes. */
  readonly idleRss: number;
  readonly runs: number;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** The bundled config with port 0 listeners and warn-level logs, its routes file read where it ships. */
function bundledLikeConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'passage-footprint-'));
  const file = join(dir, 'passage.toml');
  writeFileSync(file, `address = "127.0.0.1:0"\n[admin]\naddress = "127.0.0.1:0"\n[log]\nlevel = "info"\n[auth]\nmode = "online"\n[table]\nsource = "file"\npath = ${JSON.stringify(join(ROOT, 'routes.toml'))}\nallow_unsigned = true\n`);
  return file;
}

/** One start: ms to the listening line (or to the first line, for the empty Node) and RSS after settling. */
function startOnce(argv: string[], waitsForListening: boolean): Promise<{ ms: number; rss: number }> {
  const begun = performance.now();
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()).length > 4000 && (stderr = stderr.slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')}: not ready within ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr}`));
    });
    let ready = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (ready || (waitsForListening && readListeningLine(line) === undefined)) return;
      ready = true;
      clearTimeout(timer);
      const ms = performance.now() - begun;
      setTimeout(() => {
        const rss = rssOf(child.pid!);
        child.removeAllListeners('exit');
        child.once('exit', () => resolve({ ms, rss }));
        child.kill('SIGTERM');
      }, SETTLE_MS);
    });
  });
}

export async function measureFootprint(opts: { runs: number; routerMain?: string; also?: readonly string[]; log?: (s: string) => void }): Promise<FootprintRow[]> {
  const config = bundledLikeConfig();
  const dist = join(ROOT, 'dist/router/main.js');
  const targets: { label: string; argv: string[]; listening: boolean }[] = [
    { label: 'empty Node (reference)', argv: ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], listening: false },
    { label: `${opts.routerMain === undefined ? 'router/main.ts' : opts.routerMain} (sources, type stripping)`, argv: [opts.routerMain ?? join(ROOT, 'router/main.ts'), '--config', config], listening: true },
  ];
  for (const main of opts.also ?? []) targets.push({ label: main, argv: [main, '--config', config], listening: true });
  if (existsSync(dist)) targets.push({ label: 'dist/router/main.js (npm run build)', argv: [dist, '--config', config], listening: true });
  else opts.log?.('footprint: dist/ not built (npm run build): only the sources are measured');
  const samples = new Map(targets.map((t) => [t.label, { ms: [] as number[], rss: [] as number[] }]));
  // Interleaved, so a burst of load elsewhere on the machine hits every target alike.
  for (let i = 0; i < opts.runs; i++) {
    for (const t of targets) {
      const r = await startOnce(t.argv, t.listening);
      samples.get(t.label)!.ms.push(r.ms);
      samples.get(t.label)!.rss.push(r.rss);
    }
  }
  return targets.map((t) => {
    const s = samples.get(t.label)!;
    return { label: t.label, startupMs: t.listening ? median(s.ms) : undefined, idleRss: median(s.rss), runs: opts.runs };
  });
}

export function footprintTable(rows: readonly FootprintRow[]): string {
  const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;
  return [
    `| start-up and idle memory (bundled-like config, median of ${rows[0]?.runs ?? 0}) | startup time (spawn → listening) | idle RSS |`,
    '| --- | --: | --: |',
    ...rows.map((r) => `| ${r.label} | ${r.startupMs === undefined ? '–' : `${r.startupMs.toFixed(0)} ms`} | ${mib(r.idleRss)} |`),
  ].join('\n');
}

if (import.meta.main) {
  const FOOTPRINT_USAGE = `Usage: node scripts/bench/footprint.ts [--runs N] [--router FILE] [--also FILE ...]`;
  const { values } = argsOrExit('footprint', FOOTPRINT_USAGE, () => parseArgs({ options: { runs: { type: 'string' }, router: { type: 'string' }, also: { type: 'string', multiple: true } } }));
  const runs = Number(values.runs ?? 5);
  if (!Number.isInteger(runs) || runs <= 0) {
    process.stderr.write(`footprint: --runs expects a positive integer, got "${values.runs}"\n`);
    process.exit(2);
  }
  const rows = await measureFootprint({ runs, also: values.also ?? [], ...(values.router === undefined ? {} : { routerMain: values.router }), log: (s) => void process.stderr.write(`${s}\n`) });
  process.stdout.write(`${footprintTable(rows)}\n`);
}
