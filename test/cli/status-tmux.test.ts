// The real terminal path: the passagectl binary's Ink view inside tmux, read with capture-pane and
// driven with send-keys. Skips itself when tmux is not installed (CI installs nothing); the same data
// path off a TTY (plain and --json output of the real binary) is covered in test/integration/fleet.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createRoutingTableStore, startLocalDynamoDb } from '../../cli/tables/local-dynamodb.ts';
import { encodeHeartbeat as heartbeatItem, type FleetReport } from '../../router/contracts/heartbeat.ts';
import { envelopeFor, eventually, localClient, newKey, tableDocument } from '../helpers/tables.ts';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

function report(region: string, instance: string, version: number): FleetReport {
  const now = Date.now();
  return {
    region, instance, routerVersion: 'test', startedAt: now - 60_000, at: now, intervalMs: 60_000,
    ready: true, draining: false, activeConnections: 1, table: { id: 'prod', version, expiresAt: now + 3_600_000 }, lastRejection: null,
    counters: { connections: 0, logins: 0, transfers: 0, errors: 0, rateLimited: 0 },
    rates: { connections: 4, logins: 1, transfers: 1, errors: 0, rateLimited: 0 }, p99LoginSeconds: 0.02,
  };
}

test('passagectl status under tmux: rows, Enter shows instances, arrows select, q exits 0', async (t) => {
  if (!hasTmux()) {
    t.skip('tmux not installed');
    return;
  }
  const db = await startLocalDynamoDb();
  const client = localClient(db.endpoint);
  // A private tmux server: this test never touches the user's sessions, and kills only its own.
  const socket = `passage-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const dir = mkdtempSync(join(tmpdir(), 'passage-tmux-'));
  const exitFile = join(dir, 'exit');
  try {
    await createRoutingTableStore(client, 'passage');
    const key = newKey();
    const envelope = envelopeFor(tableDocument('prod', 5, [25565]), key.privateKey);
    await client.send(new PutItemCommand({ TableName: 'passage', Item: { pk: { S: 'TABLE#prod' }, sk: { S: 'LATEST' }, envelope: { S: envelope }, version: { N: '5' } } }));
    for (const r of [report('eu-west-1', 'eu-a', 5), report('eu-west-1', 'eu-b', 4), report('us-east-1', 'us-a', 5)]) {
      await client.send(new PutItemCommand({ TableName: 'passage', Item: heartbeatItem('prod', r) }));
    }
    const store = `dynamodb://passage/prod?region=local&endpoint=${db.endpoint}`;
    // Ink renders only the last frame when it thinks it runs in CI (CI=1 in .ci/run): a real terminal has no CI.
    const command = `env -u CI -u CONTINUOUS_INTEGRATION ${quote(process.execPath)} ${quote(MAIN)} status --table-store ${quote(store)} --region eu-west-1,us-east-1; echo $? > ${quote(exitFile)}`;
    tmux('new-session', '-d', '-s', 'status', '-x', '120', '-y', '30', command);
    const screen = (): string => tmux('capture-pane', '-p', '-t', 'status');

    await eventually(() => /eu-west-1/.test(screen()) && /us-east-1/.test(screen()), 15_000, 'region rows on screen');
    const first = screen();
    assert.match(first, /latest published v5/);
    assert.match(first, /› eu-west-1\s+2\/0\/0\s+v4,v5!/);
    assert.match(first, /us-east-1\s+1\/0\/0\s+v5\s/);

    tmux('send-keys', '-t', 'status', 'Enter');
    await eventually(() => /Instances in eu-west-1/.test(screen()), 5_000, 'eu instances');
    assert.match(screen(), /eu-b\s+ready\s+v4!/);

    tmux('send-keys', '-t', 'status', 'Down');
    await eventually(() => /› us-east-1/.test(screen()) && /Instances in us-east-1/.test(screen()), 5_000, 'us selected');

    tmux('send-keys', '-t', 'status', 'q');
    await eventually(() => {
      try {
        return readFileSync(exitFile, 'utf8').trim() !== '';
      } catch {
        return false;
      }
    }, 5_000, 'passagectl exited');
    assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    client.destroy();
    await db.close();
  }
});
