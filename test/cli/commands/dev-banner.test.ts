// `passagectl dev` prints a publish command that works as printed: pasted into a shell in this
// repository (npx, not a bare `passagectl` that is not on PATH), it publishes the edited routes file
// and the dev router serves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../cli/commands/dev.ts';
import { eventually, fakeContext } from '../../helpers/tables.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const routesV = (version: number, port: number) => `table_id = "local"\nversion = ${version}\n[[routes]]\nid = "default"\nhosts = ["*"]\n[[routes.targets]]\nid = "t"\naddress = "127.0.0.1:${port}"\n`;

test('the dev banner prints an npx passagectl publish command that, pasted into a shell, changes what the router serves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage dev banner '));
  const routes = join(dir, 'routes.toml');
  writeFileSync(routes, routesV(1, 25566));
  const abort = new AbortController();
  const ctx = fakeContext({ signal: abort.signal });
  const running = run({ routes, port: 0, adminPort: 0, pollIntervalMs: 200, online: false, logLevel: 'silent' }, ctx);
  try {
    await eventually(() => /Ctrl-C stops everything/.test(ctx.out()), 10_000, 'banner');
    const command = /^\s+(npx passagectl table publish .*)$/m.exec(ctx.out())?.[1];
    assert.ok(command, ctx.out());
    const admin = /status at (http:\/\/\S+)\/status/.exec(ctx.out())![1]!;
    writeFileSync(routes, routesV(2, 25599));
    const result = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile('sh', ['-c', command], { cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code ?? -1), out: stdout + stderr })),
    );
    assert.equal(result.code, 0, result.out);
    await eventually(async () => ((await (await fetch(`${admin}/status`)).json()) as { table: { version: number } }).table.version === 2, 5_000, 'version 2 served');
  } finally {
    abort.abort();
    await running;
  }
});
