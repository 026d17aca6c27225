// Waiting for a spawned `passage` process to say where it listens (the structured `listening` field of
// its start-up log line, router/contracts/listening.ts).
import type { ChildProcess } from 'node:child_process';
import { readListeningLine, type ListeningRecord } from '../../router/contracts/listening.ts';

/**
 * Resolves with the child's listening record, or rejects when it exits first or stays silent for
 * `timeoutMs`; the error carries what it printed (`stderr()`: the caller's own stderr buffer). The
 * child's stdout keeps being read afterwards, so its log lines never block on a full pipe.
 */
export function waitForListening(child: ChildProcess, timeoutMs: number, stderr: () => string = () => ''): Promise<ListeningRecord> {
  let out = '';
  return new Promise<ListeningRecord>((resolve, reject) => {
    let found = false;
    const timer = setTimeout(() => reject(new Error(`no listening line within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${stderr()}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      if (found) return;
      out += c.toString();
      for (const line of out.split('\n')) {
        const record = readListeningLine(line);
        if (record === undefined) continue;
        found = true;
        clearTimeout(timer);
        resolve(record);
        return;
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening\nstdout: ${out}\nstderr: ${stderr()}`));
    });
  });
}
