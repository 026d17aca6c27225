// Starts a `passage` entry point (the .ts sources or the compiled dist/) as a child process with
// test/helpers/module-log-hook.ts preloaded, reads /status once it listens, stops it with SIGTERM and
// returns every module URL it resolved.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpUrlOf } from '../../router/contracts/listening.ts';
import { waitForListening } from './listening.ts';

const HOOK = new URL('./module-log-hook.ts', import.meta.url).pathname;
const START_TIMEOUT_MS = 20_000;

export interface LoadedModules {
  readonly modules: readonly string[];
  readonly status: Record<string, unknown>;
  readonly exitCode: number | null;
}

/** `config` is a passage.toml without the listen addresses (port 0 is added) and `files` sit beside it; `topLevel`: keys that go before the first table (`workers = 2`). */
export async function startAndListModules(main: string, config: string, files: Record<string, string> = {}, topLevel = ''): Promise<LoadedModules> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-modules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'passage.toml'), `address = "127.0.0.1:0"\n${topLevel}[admin]\naddress = "127.0.0.1:0"\n[log]\nlevel = "info"\n${config}`);
  const log = join(dir, 'modules.txt');
  const child = spawn(process.execPath, ['--import', HOOK, main, '--config', join(dir, 'passage.toml')], {
    cwd: dir,
    env: { ...process.env, PASSAGE_MODULE_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const { admin } = await waitForListening(child, START_TIMEOUT_MS, () => err);
    const status = (await (await fetch(`${httpUrlOf(admin)}/status`, { signal: AbortSignal.timeout(5_000) })).json()) as Record<string, unknown>;
    child.kill('SIGTERM');
    const exitCode = await exited;
    return { modules: readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''), status, exitCode };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
