// `workers = 2` with an http table source: the real binary against a counting HTTP server on 127.0.0.1.
// The instance's poller is the supervisor's; workers are handed the verified table over IPC and never
// ask the control plane themselves, so the server sees exactly the fetches the supervisor counts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForListening } from '../helpers/listening.ts';
import { envelopeFor, eventually, newKey, tableDocument } from '../helpers/tables.ts';

const MAIN = new URL('../../router/main.ts', import.meta.url).pathname;
const TABLE_ID = 'poll-once';
/** Fetches the supervisor must have made before the counts are compared: enough to see several intervals. */
const POLLS = 4;

/** Serves one signed envelope with an ETag (304 for a matching If-None-Match) and counts every request. */
async function startCountingTableServer(envelope: string): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const etag = '"v1"';
  const server = createServer((req, res) => {
    requests++;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag });
    res.end(envelope);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/table.json`, requests: () => requests };
}

/** The sum of every sample of one series name in Prometheus text, whatever its labels. */
function sumSeries(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

describe('workers = 2 with an http table source', { timeout: 120_000 }, () => {
  let tableServer: Awaited<ReturnType<typeof startCountingTableServer>>;
  let child: ChildProcess;
  let admin: string;
  let stderr = '';

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-poll-once-'));
    const key = newKey();
    writeFileSync(join(dir, 'table.pub'), key.publicKey.export({ format: 'pem', type: 'spki' }));
    tableServer = await startCountingTableServer(envelopeFor(tableDocument(TABLE_ID, 1, [25599]), key.privateKey));
    writeFileSync(join(dir, 'passage.toml'), [
      'address = "127.0.0.1:0"', 'workers = 2', 'drain_timeout = "1s"',
      '[admin]', 'address = "127.0.0.1:0"',
      '[auth]', 'mode = "offline"',
      '[table]', 'source = "http"', `url = "${tableServer.url}"`, `id = "${TABLE_ID}"`,
      'public_keys = ["table.pub"]', 'poll_interval = "300ms"', 'cache_file = "cache.json"',
    ].join('\n'));
    child = spawn(process.execPath, [MAIN, '--config', join(dir, 'passage.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const record = await waitForListening(child, 60_000, () => stderr);
    admin = `http://127.0.0.1:${record.admin.port}`;
  });

  after(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await new Promise((resolve) => tableServer?.server.close(resolve));
  });

  test('the control plane sees one poller per instance: every request it got is a fetch the supervisor counted', async () => {
    // Both workers serve the table, though neither of them fetched it.
    await eventually(async () => {
      const workers = JSON.parse(await get(`${admin}/status`)).workers as { tableVersion: number | null }[];
      return workers.length === 2 && workers.every((w) => w.tableVersion === 1);
    }, 20_000, 'both workers on version 1');
    const supervisorFetches = async (): Promise<number> => sumSeries(await get(`${admin}/metrics`), 'passage_table_fetch_duration_seconds_count');
    await eventually(async () => (await supervisorFetches()) >= POLLS, 30_000, `${POLLS} supervisor fetches`);
    // A request is counted by the server when it arrives and by the supervisor once answered, so at most
    // one (the supervisor's next poll) is between the two counts. A worker polling on its own would add
    // requests the supervisor never counts, and the counts would never meet.
    let last = { server: -1, supervisor: -1 };
    await eventually(async () => {
      const supervisor = await supervisorFetches();
      last = { server: tableServer.requests(), supervisor };
      return last.server === last.supervisor;
    }, 10_000, 'server requests equal to supervisor fetches').catch((err: Error) => {
      throw new Error(`${err.message}: last seen ${JSON.stringify(last)}\n${stderr}`);
    });
    assert.ok(last.server >= POLLS, `server saw ${last.server} requests`);
  });
});
