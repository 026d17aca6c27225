// Router processes for `deploy --local`: each one is the real `passage` binary
// (`node router/main.ts --config …`) on its own loopback ports, offline auth, the given routes file.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpUrlOf, MAX_LISTENING_LINE, readListeningLine } from '../../router/contracts/listening.ts';
import { renderCheckedPassageToml, type PassageConfigDocument, type RouterLogLevel } from '../../router/contracts/router-config.ts';

export const ROUTER_MAIN = fileURLToPath(new URL('../../router/main.ts', import.meta.url));
/** How long a router may take from spawn to `/readyz` 200 before it counts as failed. */
export const READY_TIMEOUT_MS = 15_000;
/** The router's own drain deadline (`drain_timeout`); a login in flight needs far less. */
export const LOCAL_DRAIN_TIMEOUT_S = 10;
/** After the drain deadline, how long we wait for the exit before SIGKILL. */
export const EXIT_GRACE_MS = 5_000;
const READY_POLL_MS = 100;
/** The last lines a router printed, kept for the error message when it fails. */
const KEPT_LOG_LINES = 20;

export interface RouterProcess {
  readonly id: string;
  readonly pid: number;
  readonly port: number;
  readonly adminUrl: string;
  /** Resolves with the exit code (null: killed by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** The last lines of its log. */
  log(): string;
  /** SIGTERM: the router drains (no new connections, logins in flight finish) and exits. */
  drain(): Promise<number | null>;
  kill(): void;
}

export interface RouterSpec {
  readonly id: string;
  readonly dir: string;
  readonly routesFile: string;
  readonly logLevel?: RouterLogLevel;
}

/** The router's passage.toml: loopback port 0 for both listeners, offline auth, the routes file. */
export function localRouterConfig(spec: RouterSpec): PassageConfigDocument {
  return {
    address: '127.0.0.1:0',
    drain_timeout: `${LOCAL_DRAIN_TIMEOUT_S}s`,
    admin: { address: '127.0.0.1:0' },
    auth: { mode: 'offline' },
    rate_limiter: { enabled: false },
    table: { allow_unsigned: true, source: 'file', path: resolve(spec.routesFile), cache_file: join(spec.dir, `${spec.id}-cache.json`) },
    log: { level: spec.logLevel ?? 'info' },
  };
}

/** Writes the config after the router's own loader accepted it (a refusal here is passagectl's bug). */
export async function writeRouterConfig(spec: RouterSpec): Promise<string> {
  const file = join(spec.dir, `${spec.id}.toml`);
  const { text } = renderCheckedPassageToml(localRouterConfig(spec), file, { comment: ['Written by passagectl deploy --local (cli/deploy/local-fleet.ts).'] });
  await writeFile(file, text);
  return file;
}

/** Spawns a router and resolves once it has logged where it listens (not yet ready). */
export async function spawnRouter(spec: RouterSpec, signal?: AbortSignal): Promise<RouterProcess> {
  const config = await writeRouterConfig(spec);
  const child: ChildProcess = spawn(process.execPath, [ROUTER_MAIN, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(line);
    lines.splice(0, Math.max(0, lines.length - KEPT_LOG_LINES));
  };
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  // Both pipes are read to the end: a full pipe would block the router's logging and then the router.
  child.stderr!.on('data', keep);
  const address = await new Promise<{ port: number; adminUrl: string }>((res, rej) => {
    // The part of stdout after the last newline: a log line can arrive in pieces.
    let partial = '';
    let found = false;
    const timer = setTimeout(() => fail(new Error(`${spec.id} printed no listening line within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onAbort = (): void => fail(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (err: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.kill('SIGKILL');
      rej(err);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (found) return;
      const lines = (partial + chunk.toString()).split('\n');
      // A line longer than any start-up line is not one: drop it rather than buffer it.
      partial = lines.pop()!.slice(-MAX_LISTENING_LINE - 1);
      for (const line of lines) {
        const listening = readListeningLine(line);
        if (listening === undefined) continue;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        found = true;
        res({ port: listening.game.port, adminUrl: httpUrlOf(listening.admin) });
        return;
      }
    });
    void exited.then((code) => !found && fail(new Error(`${spec.id} exited with code ${code} before listening:\n${lines.join('\n')}`)));
  });
  return {
    id: spec.id,
    pid: child.pid!,
    ...address,
    exited,
    log: () => lines.join('\n'),
    async drain() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), LOCAL_DRAIN_TIMEOUT_S * 1000 + EXIT_GRACE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

/** Polls `/readyz` until 200; false when the deadline passes or the process exits first. */
export async function waitReady(router: RouterProcess, fetchImpl: typeof fetch = fetch, timeoutMs = READY_TIMEOUT_MS): Promise<boolean> {
  let gone = false;
  void router.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (!gone && Date.now() < deadline) {
    try {
      const res = await fetchImpl(`${router.adminUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  return false;
}

/** The table version a router serves, from its `/status`; undefined when it cannot say. */
export async function servedTable(router: RouterProcess, fetchImpl: typeof fetch = fetch): Promise<{ id: string; version: number } | undefined> {
  try {
    const res = await fetchImpl(`${router.adminUrl}/status`, { signal: AbortSignal.timeout(1_000) });
    const status = (await res.json()) as { table?: { id: string; version: number } | null };
    return status.table ?? undefined;
  } catch {
    return undefined;
  }
}
