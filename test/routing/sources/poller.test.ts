import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { TableCache } from '../../../router/routing/sources/cache.ts';
import { MAX_BACKOFF_MS, nextDelay, TablePoller, type PollerOptions } from '../../../router/routing/sources/poller.ts';
import { TableSourceError, type FetchResult, type TableSource } from '../../../router/routing/sources/source.ts';
import { TableStore } from '../../../router/routing/store.ts';
import { envelopeFor, newKey, signedTablePoller, silentLog, tableDocument } from '../../helpers/tables.ts';
import { parseRoutingTable } from '../../../router/table/schema.ts';
import { buildConfig } from '../../../router/config/load.ts';
import { createTablePoller } from '../../../router/routing/sources/from-config.ts';

/** A source that answers from a queue of results (or errors). */
class ScriptedSource implements TableSource {
  readonly description = 'scripted://test';
  readonly script: (FetchResult | Error)[] = [];
  invalidated = 0;

  async fetch(): Promise<FetchResult> {
    const next = this.script.shift() ?? { kind: 'not_modified' };
    if (next instanceof Error) throw next;
    return next;
  }

  invalidate(): void {
    this.invalidated++;
  }

  push(envelope: string): void {
    this.script.push({ kind: 'envelope', bytes: Buffer.from(envelope) });
  }
}

const key = newKey();

function setup(overrides: Partial<PollerOptions> = {}): { poller: TablePoller; store: TableStore; source: ScriptedSource } {
  const source = new ScriptedSource();
  const store = new TableStore();
  const poller = signedTablePoller({ source, store, trustedKeys: [key.publicKey], maxBytes: 64 * 1024, ...overrides });
  return { poller, store, source };
}

describe('TablePoller', () => {
  test('a newer signed table is applied; the same bytes again are a no-op', async () => {
    const { poller, store, source } = setup();
    const env = envelopeFor(tableDocument('prod', 1, [25566]), key.privateKey);
    source.push(env);
    source.push(env);
    assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 1 });
    assert.deepEqual(await poller.pollOnce(), { kind: 'unchanged' });
    assert.equal(store.current?.table.version, 1);
  });

  test('the same version re-signed with identical content is a no-op, with different content a conflict', async () => {
    const { poller, store, source } = setup();
    const now = Date.now();
    source.push(envelopeFor(tableDocument('prod', 3, [1]), key.privateKey, { now }));
    source.push(envelopeFor(tableDocument('prod', 3, [1]), key.privateKey, { now }));
    source.push(envelopeFor(tableDocument('prod', 3, [2]), key.privateKey, { now }));
    await poller.pollOnce();
    assert.deepEqual(await poller.pollOnce(), { kind: 'unchanged' });
    const conflict = await poller.pollOnce();
    assert.equal(conflict.kind === 'rejected' && conflict.reason, 'ERR_TABLE_VERSION_CONFLICT');
    assert.equal(store.current?.table.routes.at(0).targets[0]?.port, 1);
  });

  test('refused tables are counted by reason, once per distinct envelope, and shown on the status', async () => {
    const { poller, store, source } = setup();
    const other = newKey();
    source.push(envelopeFor(tableDocument('prod', 5, [1]), key.privateKey));
    const bad = [
      envelopeFor(tableDocument('prod', 4, [2]), key.privateKey), // lower version
      envelopeFor(tableDocument('prod', 6, [2]), other.privateKey), // untrusted key
      envelopeFor(tableDocument('staging', 7, [2]), key.privateKey), // foreign table id
      envelopeFor(tableDocument('prod', 8, [2]), key.privateKey, { now: Date.now() - 7_200_000 }), // expired
    ];
    for (const b of bad) source.push(b);
    source.push(bad[0]!); // the same refused bytes again: not verified, not counted again
    await poller.pollOnce();
    const reasons = [];
    for (let i = 0; i < 5; i++) {
      const o = await poller.pollOnce();
      reasons.push(o.kind === 'rejected' ? o.reason : o.kind);
    }
    assert.deepEqual(reasons, ['ERR_TABLE_STALE_VERSION', 'ERR_TABLE_UNTRUSTED_KEY', 'ERR_TABLE_WRONG_ID', 'ERR_TABLE_EXPIRED', 'ERR_TABLE_STALE_VERSION']);
    assert.equal(store.current?.table.version, 5);
    const status = poller.status();
    assert.equal(status.lastRejection?.code, 'ERR_TABLE_STALE_VERSION');
    assert.deepEqual(status.rejections, { ERR_TABLE_STALE_VERSION: 2, ERR_TABLE_UNTRUSTED_KEY: 1, ERR_TABLE_WRONG_ID: 1, ERR_TABLE_EXPIRED: 1 });
  });

  test('a tampered payload fails the signature check', async () => {
    const { poller, source } = setup();
    const env = JSON.parse(envelopeFor(tableDocument('prod', 2, [1]), key.privateKey)) as { payload: string };
    const doc = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as { routes: { targets: { address: string }[] }[] };
    doc.routes[0]!.targets[0]!.address = '10.6.6.6:25565';
    const { canonicalize } = await import('../../../router/table/canonical.ts');
    env.payload = Buffer.from(canonicalize(doc)).toString('base64');
    source.push(JSON.stringify(env));
    const outcome = await poller.pollOnce();
    assert.equal(outcome.kind === 'rejected' && outcome.reason, 'ERR_TABLE_SIGNATURE');
  });

  test('a table from a clock ahead of ours is refused but tried again (the source is invalidated)', async () => {
    const { poller, source } = setup();
    const env = envelopeFor(tableDocument('prod', 2, [1]), key.privateKey, { now: Date.now() + 3_600_000 });
    source.push(env);
    source.push(env);
    assert.equal((await poller.pollOnce()).kind, 'rejected');
    assert.equal(source.invalidated, 1);
    assert.equal((await poller.pollOnce()).kind, 'rejected');
    assert.equal(poller.status().rejections.ERR_TABLE_NOT_YET_VALID, 2);
  });

  test('unsigned tables are refused unless allowed', async () => {
    const { loadTableFile } = await import('../../../router/routing/file-source.ts');
    const dir = mkdtempSync(join(tmpdir(), 'passage-poller-'));
    writeFileSync(join(dir, 'routes.toml'), 'table_id = "local"\nversion = 1\n[[routes]]\nid = "a"\nhosts = ["*"]\n');
    const table = loadTableFile(join(dir, 'routes.toml'));
    const refused = setup();
    refused.source.script.push({ kind: 'unsigned', table, bytes: Buffer.from('x') });
    const outcome = await refused.poller.pollOnce();
    assert.equal(outcome.kind === 'rejected' && outcome.reason, 'ERR_TABLE_UNSIGNED');
    const allowed = setup({ allowUnsigned: true });
    allowed.source.script.push({ kind: 'unsigned', table, bytes: Buffer.from('x') });
    assert.deepEqual(await allowed.poller.pollOnce(), { kind: 'applied', version: 1 });
  });

  test('source errors are remembered for /status and logged once per distinct error', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const { poller, source } = setup({ log });
    source.script.push(new TableSourceError('ERR_SOURCE_TIMEOUT', 'slow'), new TableSourceError('ERR_SOURCE_TIMEOUT', 'slow'), new TableSourceError('ERR_SOURCE_UNREACHABLE', 'down'));
    for (let i = 0; i < 3; i++) await poller.pollOnce();
    assert.equal(poller.status().consecutiveErrors, 3);
    assert.equal(poller.status().lastError?.code, 'ERR_SOURCE_UNREACHABLE');
    const warnings = lines.map((l) => JSON.parse(l) as { code?: string }).filter((l) => l.code !== undefined);
    assert.deepEqual(warnings.map((w) => w.code), ['ERR_SOURCE_TIMEOUT', 'ERR_SOURCE_UNREACHABLE']);
    await poller.pollOnce(); // not modified: the source answers again
    assert.equal(poller.status().consecutiveErrors, 0);
  });

  test('rejections, fetches and applied tables are published on diagnostics channels', async () => {
    const seen: string[] = [];
    const handlers = ['passage:table:fetch', 'passage:table:rejected', 'passage:table:applied'].map((name) => {
      const h = (m: unknown): void => void seen.push(`${name.split(':')[2]}:${(m as { reason?: string; result?: string; version?: number }).reason ?? (m as { result?: string }).result ?? (m as { version?: number }).version}`);
      subscribe(name, h);
      return () => unsubscribe(name, h);
    });
    const { poller, source } = setup();
    source.push(envelopeFor(tableDocument('prod', 1, [1]), key.privateKey));
    source.push(envelopeFor(tableDocument('other', 2, [1]), key.privateKey));
    await poller.pollOnce();
    await poller.pollOnce();
    handlers.forEach((u) => u());
    assert.deepEqual(seen, ['fetch:envelope', 'applied:1', 'fetch:envelope', 'rejected:ERR_TABLE_WRONG_ID']);
  });

  test('the cache is written 0600 after a table is applied and serves the next start, still verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-cache-'));
    const cache = new TableCache(join(dir, 'sub', 'cache.json'));
    const first = setup({ cache });
    first.source.push(envelopeFor(tableDocument('prod', 9, [1]), key.privateKey));
    await first.poller.pollOnce();
    assert.equal(statSync(cache.path).mode & 0o777, 0o600);
    const second = setup({ cache });
    assert.equal(await second.poller.loadCache(), true);
    assert.equal(second.store.current?.table.version, 9);
    assert.equal(second.poller.status().loadedFrom, 'cache');
    // A router that trusts other keys does not take the cached table.
    const third = setup({ cache, trustedKeys: [newKey().publicKey] });
    assert.equal(await third.poller.loadCache(), false);
    assert.equal(third.poller.status().lastRejection?.code, 'ERR_TABLE_UNTRUSTED_KEY');
  });

  test('a cached table that has expired is not served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-cache-'));
    const cache = new TableCache(join(dir, 'cache.json'));
    await cache.write(Buffer.from(envelopeFor(tableDocument('prod', 1, [1]), key.privateKey, { now: Date.now() - 7_200_000 })));
    const { poller, store } = setup({ cache });
    assert.equal(await poller.loadCache(), false);
    assert.equal(store.current, undefined);
  });

  test('a router with no cache refuses a signed table below table.min_version, however fresh its signature', async () => {
    const { poller, store, source } = setup({ minVersion: 5 });
    source.push(envelopeFor(tableDocument('prod', 1, [1]), key.privateKey));
    const refused = await poller.pollOnce();
    assert.equal(refused.kind === 'rejected' && refused.reason, 'ERR_TABLE_BELOW_MIN_VERSION');
    assert.equal(store.current, undefined);
    assert.equal(poller.status().minVersion, 5);
    source.push(envelopeFor(tableDocument('prod', 5, [5]), key.privateKey));
    assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 5 });
  });

  test('a cached table below table.min_version is not served at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-cache-'));
    const cache = new TableCache(join(dir, 'cache.json'));
    await cache.write(Buffer.from(envelopeFor(tableDocument('prod', 2, [1]), key.privateKey)));
    const { poller, store } = setup({ cache, minVersion: 3 });
    assert.equal(await poller.loadCache(), false);
    assert.equal(store.current, undefined);
    assert.equal(poller.status().lastRejection?.code, 'ERR_TABLE_BELOW_MIN_VERSION');
  });

  test('an unsigned local file below table.min_version is refused too', async () => {
    const { poller, store, source } = setup({ allowUnsigned: true, minVersion: 2 });
    const table = parseRoutingTable(tableDocument('prod', 1, [1]));
    source.script.push({ kind: 'unsigned', table, bytes: Buffer.from('v1') });
    const refused = await poller.pollOnce();
    assert.equal(refused.kind === 'rejected' && refused.reason, 'ERR_TABLE_BELOW_MIN_VERSION');
    assert.equal(store.current, undefined);
  });

  test('[table] min_version in passage.toml reaches the poller built from the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-floor-'));
    writeFileSync(join(dir, 'routes.toml'), 'table_id = "local"\nversion = 1\n[[routes]]\nid = "a"\nhosts = ["*"]\n[[routes.targets]]\nid = "t"\naddress = "127.0.0.1:25566"\n');
    const config = buildConfig({ table: { source: 'file', path: 'routes.toml', allow_unsigned: true, min_version: 2 } }, join(dir, 'passage.toml'), {});
    assert.equal(config.table.minVersion, 2);
    const store = new TableStore();
    const poller = await createTablePoller(config.table, { store, log: silentLog, eventSource: {} });
    const refused = await poller.pollOnce();
    assert.equal(refused.kind === 'rejected' && refused.reason, 'ERR_TABLE_BELOW_MIN_VERSION');
    assert.equal(store.current, undefined);
    assert.throws(() => buildConfig({ table: { min_version: -1 } }, join(dir, 'passage.toml'), {}), /table\.min_version/);
  });

  test('an expired table is kept while the source is withheld, reported on the status and warned about at most every ten minutes', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const warns: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warns.push(JSON.parse(line) as Record<string, unknown>) });
    const { poller, store, source } = setup({ now: () => now, log });
    source.push(envelopeFor(tableDocument('prod', 4, [1]), key.privateKey, { now, expiresInMs: 60_000 }));
    await poller.pollOnce();
    assert.equal(poller.status().expiredAt, null);
    const expiredWarns = (): number => warns.filter((w) => w.code === 'ERR_TABLE_EXPIRED_IN_USE').length;
    now += 120_000;
    // Withheld: the source answers "nothing new" forever (or fails), and the table passes expires_at.
    for (let i = 0; i < 20; i++) {
      source.script.push(i % 2 === 0 ? { kind: 'not_modified' } : new TableSourceError('ERR_SOURCE_UNREACHABLE', 'down'));
      await poller.pollOnce();
      now += 10_000;
    }
    assert.equal(store.current?.table.version, 4, 'still serving the last good table');
    assert.equal(poller.status().expiredAt, new Date(Date.parse('2030-01-01T00:01:00Z')).toISOString());
    assert.equal(expiredWarns(), 1, 'one warn in 200 s of polling');
    now += 10 * 60_000;
    await poller.pollOnce();
    assert.equal(expiredWarns(), 2, 'warned again after ten minutes');
  });

  test('a stopped poller does not poll again', async () => {
    const { poller, source } = setup({ intervalMs: 20 });
    let fetches = 0;
    source.fetch = async () => {
      fetches++;
      return { kind: 'not_modified' };
    };
    poller.start();
    await new Promise((r) => setTimeout(r, 120));
    await poller.stop();
    const seen = fetches;
    assert.ok(seen >= 2, `polled ${seen} times`);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(fetches, seen);
  });

  test('an unexpected error while applying a table is logged and polling goes on, with no unhandled rejection', async () => {
    const { poller, store, source } = setup({ intervalMs: 20 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    store.onSwap(() => {
      throw new Error('a listener bug');
    });
    let fetches = 0;
    const env = envelopeFor(tableDocument('prod', 1, [25566]), key.privateKey);
    source.fetch = async () => (++fetches === 1 ? { kind: 'envelope', bytes: Buffer.from(env) } : { kind: 'not_modified' });
    try {
      poller.start();
      await new Promise((r) => setTimeout(r, 200));
      await poller.stop();
      assert.deepEqual(unhandled, []);
      assert.ok(fetches >= 2, `polled ${fetches} times`);
      assert.equal(poller.status().lastError?.code, 'ERR_SOURCE_INTERNAL');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('nextDelay', () => {
  test('a healthy poll waits between 80% and 100% of the interval, so a change lands within one interval', () => {
    assert.equal(nextDelay(10_000, 0, true, () => 0), 10_000);
    assert.equal(nextDelay(10_000, 0, true, () => 1), 8_000);
  });

  test('errors back off exponentially with jitter, capped at 30 intervals or 5 minutes', () => {
    assert.equal(nextDelay(10_000, 1, true, () => 0), 20_000);
    assert.equal(nextDelay(10_000, 3, true, () => 0), 80_000);
    assert.equal(nextDelay(10_000, 10, true, () => 0), MAX_BACKOFF_MS);
    assert.equal(nextDelay(10_000, 10, true, () => 1), MAX_BACKOFF_MS / 2);
    assert.equal(nextDelay(200, 10, true, () => 0), 6_000);
  });

  test('a router without any table retries within two intervals', () => {
    assert.equal(nextDelay(10_000, 10, false, () => 0), 20_000);
  });
});
