// The router under test runs in its own process (`node router/main.ts --config …`), so the RSS we
// report is the router's alone. Its JSON log is counted (a flood must not flood it).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { httpUrlOf, readListeningLine } from '../../router/contracts/listening.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface RouterProcess {
  readonly port: number;
  readonly adminUrl: string;
  readonly pid: number;
  /** Highest RSS seen by the sampler since start or the last `resetPeak()`, in bytes. */
  peakRss(): number;
  currentRss(): number;
  resetPeak(): void;
  logLines(): number;
  /** Sum of a Prometheus series' values whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Values of a counter summed by one label, largest first. */
  breakdown(name: string, label: string): Promise<[string, number][]>;
  stop(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * `main` is the entry point to run (default router/main.ts; `dist/router/main.js` for the compiled
 * build) and `nodeArgs` go before it (e.g. V8 heap flags, to compare settings in one run).
 */
export async function startRouterProcess(opts: { config: string; routes: string; main?: string; nodeArgs?: readonly string[] }): Promise<RouterProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-reliability-'));
  writeFileSync(join(dir, 'routes.toml'), opts.routes);
  writeFileSync(
    join(dir, 'passage.toml'),
    // `config` may start with top-level keys, so it comes before any section header.
    `address = "127.0.0.1:0"\n${opts.config}\n[admin]\naddress = "127.0.0.1:0"\n[log]\nlevel = "info"\n[table]\nallow_unsigned = true\npath = "routes.toml"\ncache_file = "cache.json"\n`,
  );
  const main = opts.main ?? join(ROOT, 'router/main.ts');
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), main, '--config', join(dir, 'passage.toml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines = 0;
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()).length > 10_000 && (stderr = stderr.slice(-10_000)));
  const started = new Promise<{ port: number; admin: string }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      lines++;
      // Any other line (JSON or not) is counted and ignored.
      const listening = readListeningLine(line);
      if (listening !== undefined) resolve({ port: listening.game.port, admin: httpUrlOf(listening.admin) });
    });
    child.once('exit', (code) => reject(new Error(`router exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`router did not start in 15 s: ${stderr}`)), 15_000).unref();
  });
  const { port, admin } = await started;
  const pid = child.pid!;
  let peak = rssOf(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  return {
    port,
    adminUrl: admin,
    pid,
    peakRss: () => Math.max(peak, rssOf(pid)),
    currentRss: () => rssOf(pid),
    resetPeak: () => (peak = rssOf(pid)),
    logLines: () => lines,
    async metric(name, labels = {}) {
      const text = await (await fetch(`${admin}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
      }
      return sum;
    },
    async breakdown(name, label) {
      const text = await (await fetch(`${admin}/metrics`)).text();
      const sums = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`)) continue;
        const value = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? '';
        sums.set(value, (sums.get(value) ?? 0) + Number(line.split(' ').at(-1)));
      }
      return [...sums].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    },
    async stop() {
      clearInterval(sampler);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
