// Servers under test run in child processes so they never share an event loop with the load generator.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

/** How long a child may take to start listening. */
const READY_TIMEOUT_MS = 15_000;
/** How long a child may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ServerChild {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** User + system CPU seconds used so far by the process and its children (Linux /proc), or undefined where that is not available. */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Node flags before the script. */
  readonly nodeArgs?: readonly string[];
  /** Sees each line the child prints (stdout and stderr); true keeps the line from being forwarded to our stderr. */
  readonly onLine?: (line: string) => boolean;
}

/** A free port on 127.0.0.1 (for servers that cannot report the port they bound). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** User + system CPU seconds of a process so far (Linux /proc); undefined where it cannot be read. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Bounds the walk over a process tree (a supervisor and its workers are a handful of processes). */
const MAX_TREE_PROCESSES = 256;

/** The pids of a process's live children (Linux /proc: every thread lists the children it forked). */
export function childPidsOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const task of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) if (c.trim() !== '') pids.push(Number(c));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return pids;
}

/**
 * User + system CPU seconds of a process and all its live descendants (a router with `workers > 1`
 * is a supervisor plus forked workers); undefined when the process itself cannot be read.
 */
export function treeCpuSecondsOf(pid: number): number | undefined {
  const own = cpuSecondsOf(pid);
  if (own === undefined) return undefined;
  let total = own;
  const queue = childPidsOf(pid);
  for (let seen = 0; queue.length > 0 && seen < MAX_TREE_PROCESSES; seen++) {
    const child = queue.shift() as number;
    total += cpuSecondsOf(child) ?? 0;
    queue.push(...childPidsOf(child));
  }
  return total;
}

/** Polls `url` until it answers 200 (e.g. a router's /readyz once every worker listens), at most `timeoutMs`. */
export async function waitForOk(url: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not 200 within ${timeoutMs} ms (last: ${last})`);
}

function spawnNode(argv: string[]): ChildProcess {
  return spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Forwards a child's output to our stderr, prefixed, so warnings are seen but never mix with the table. */
function forward(name: string, child: ChildProcess, onLine?: (line: string) => boolean): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      if (onLine?.(line) === true) return;
      process.stderr.write(`[${name}] ${line}\n`);
    });
  }
}

function started(name: string, child: ChildProcess, port: number): ServerChild {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    port,
    pid: child.pid as number,
    cpuSeconds: () => treeCpuSecondsOf(child.pid as number),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function failedToStart(name: string, child: ChildProcess, why: string): Error {
  child.kill('SIGKILL');
  return new Error(`${name} did not start: ${why}`);
}

/**
 * Starts `node [execArgv] script args` and waits for it to print `READY <port>` on stdout
 * (the protocol of the reference servers in ../servers).
 */
export function startReportingChild(name: string, script: string, args: string[] = [], opts: ChildOptions = {}): Promise<ServerChild> {
  const child = spawnNode([...(opts.nodeArgs ?? []), script, ...args]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(failedToStart(name, child, `no READY line within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
    forward(name, child, (line) => {
      const m = /^READY (\d+)$/.exec(line);
      if (m === null) return opts.onLine?.(line) === true;
      clearTimeout(timer);
      resolve(started(name, child, Number(m[1])));
      return true;
    });
  });
}

/** Starts a child that listens on a known `port` and waits until that port accepts connections. */
export async function startListeningChild(name: string, argv: string[], port: number, opts: Pick<ChildOptions, 'onLine'> = {}): Promise<ServerChild> {
  const child = spawnNode(argv);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  forward(name, child, opts.onLine);
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    if (exitCode !== undefined) throw new Error(`${name} exited with code ${exitCode} before it was ready`);
    if (await accepts(port)) return started(name, child, port);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw failedToStart(name, child, `port ${port} not open within ${READY_TIMEOUT_MS} ms`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
