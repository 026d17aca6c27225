// The fleet view end to end: two real routers poll a signed table from dynalite and heartbeat into it;
// `passagectl status` (in-process and the real binary) shows both on the right table version, sees a
// new publish arrive, and shows a stopped router as stale instead of dropping it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startTestRouter, type TestRouter } from '../helpers/router.ts';
import { envelopeFor, eventually, fakeContext, localClient, newKey, tableDocument } from '../helpers/tables.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../cli/tables/local-dynamodb.ts';
import { run as status } from '../../cli/commands/status.ts';
import type { FleetSnapshot } from '../../cli/fleet/aggregate.ts';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const ID = 'prod';
const REGIONS_FIXTURE = fileURLToPath(new URL('../fixtures/aws/passage.regions.toml', import.meta.url));
const BEAT = '200ms';

export function passagectl(args: readonly string[], timeout = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('passagectl status over routers heartbeating into DynamoDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-fleet-'));
  const key = newKey();
  const pub = join(dir, 'k.pub');
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let eu: TestRouter;
  let us: TestRouter;
  let usStopped = false;

  const publish = async (version: number): Promise<void> => {
    const envelope = envelopeFor(tableDocument(ID, version, [25565]), key.privateKey);
    for (const sk of [`V#${String(version).padStart(16, '0')}`, 'LATEST']) {
      await client.send(new PutItemCommand({ TableName: 'passage', Item: { pk: { S: `TABLE#${ID}` }, sk: { S: sk }, envelope: { S: envelope }, version: { N: String(version) } } }));
    }
  };
  const store = (): string => `dynamodb://passage/${ID}?region=local&endpoint=${db.endpoint}`;
  const startRouter = (region: string, instance: string): Promise<TestRouter> =>
    startTestRouter({
      routes: '',
      config: {
        auth: { mode: 'offline' },
        table: { source: 'dynamodb', dynamodb: { table: 'passage', id: ID, region: 'local', endpoint: db.endpoint }, public_keys: [pub], poll_interval: '200ms', cache_file: join(dir, `${instance}.json`) },
        fleet: { heartbeat_interval: BEAT, region, instance },
      },
    });
  const snapshot = async (): Promise<FleetSnapshot> => {
    const ctx = fakeContext({ json: true });
    await status({ tableStore: store(), fleetRegions: ['eu-west-1', 'us-east-1'], adminUrls: [] }, ctx);
    return JSON.parse(ctx.out()) as FleetSnapshot;
  };

  before(async () => {
    writeFileSync(pub, key.publicKey.export({ format: 'pem', type: 'spki' }));
    db = await startLocalDynamoDb();
    client = localClient(db.endpoint);
    await createRoutingTableStore(client, 'passage');
    await publish(3);
    [eu, us] = await Promise.all([startRouter('eu-west-1', 'eu-a'), startRouter('us-east-1', 'us-a')]);
  });
  after(async () => {
    await eu?.stop(0);
    if (!usStopped) await us?.stop(0);
    client.destroy();
    await db.close();
  });

  test("the heartbeat item has its region's fleet key, the instance sort key and a TTL a few intervals ahead", async () => {
    await eventually(async () => {
      const out = await client.send(new GetItemCommand({ TableName: 'passage', Key: { pk: { S: `FLEET#${ID}#eu-west-1` }, sk: { S: 'INSTANCE#eu-west-1#eu-a' } } }));
      return out.Item?.table_version?.N === '3';
    }, 5_000, 'eu heartbeat on v3');
    const { Item } = await client.send(new GetItemCommand({ TableName: 'passage', Key: { pk: { S: `FLEET#${ID}#eu-west-1` }, sk: { S: 'INSTANCE#eu-west-1#eu-a' } } }));
    const ttl = Number(Item!.expires_at.N);
    const nowSeconds = Date.now() / 1000;
    assert.ok(ttl > nowSeconds && ttl < nowSeconds + 15 * 60, `expires_at ${ttl} vs now ${nowSeconds}`);
    assert.equal(Item!.ready.BOOL, true);
    assert.equal(Item!.interval_ms.N, '200');
  });

  test('status --json shows both regions ready on the latest version', async () => {
    let s: FleetSnapshot | undefined;
    await eventually(async () => {
      s = await snapshot();
      return s.instances.length === 2 && s.instances.every((i) => i.state === 'ready' && i.table?.version === 3);
    }, 5_000, 'both routers ready on v3');
    assert.deepEqual(s!.latest && { id: s!.latest.id, version: s!.latest.version }, { id: ID, version: 3 });
    assert.deepEqual(s!.regions.map((r) => [r.region, r.ready, r.stale, r.tableVersions, r.health]), [
      ['eu-west-1', 1, 0, [3], 'ok'],
      ['us-east-1', 1, 0, [3], 'ok'],
    ]);
    assert.deepEqual(s!.problems, []);
  });

  test('a new publish shows up as behind until the routers apply it', async () => {
    await publish(4);
    await eventually(async () => {
      const s = await snapshot();
      return s.latest?.version === 4 && s.instances.every((i) => i.table?.version === 4 && !i.behind);
    }, 5_000, 'both routers on v4');
  });

  test('the real binary prints the same fleet as JSON, and a plain table off a TTY', async () => {
    // The regions come from a regions file (the fixture's: eu-west-1, us-east-1, ap-southeast-1).
    const json = await passagectl(['--json', 'status', '--table-store', store(), '--file', REGIONS_FIXTURE]);
    assert.equal(json.code, 0, json.stderr);
    const s = JSON.parse(json.stdout) as FleetSnapshot;
    assert.deepEqual(s.instances.map((i) => [i.region, i.instance, i.table?.version]), [['eu-west-1', 'eu-a', 4], ['us-east-1', 'us-a', 4]]);
    const plain = await passagectl(['status', '--table-store', store(), '--region', 'eu-west-1,us-east-1', '--admin', eu.adminUrl]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /latest published v4/);
    assert.match(plain.stdout, /^REGION\s+R\/D\/S\s+TABLE/m);
    assert.match(plain.stdout, /^eu-west-1\s+1\/0\/0\s+v4\s/m);
    assert.match(plain.stdout, /^us-east-1\s+1\/0\/0\s+v4\s/m);
    // Read both ways (heartbeat and --admin), eu-a is listed once.
    assert.equal(plain.stdout.match(/\beu-a\b/g)?.length, 1);
  });

  test('status reads only the regions it is given: each region has its own heartbeat partition', async () => {
    const ctx = fakeContext({ json: true });
    await status({ tableStore: store(), fleetRegions: ['us-east-1'], adminUrls: [] }, ctx);
    const s = JSON.parse(ctx.out()) as FleetSnapshot;
    assert.deepEqual(s.instances.map((i) => i.instance), ['us-a']);
    // Without --region or --file: the store's own region (here `local`), where no router beats.
    const bare = fakeContext({ json: true });
    await status({ tableStore: store(), adminUrls: [] }, bare);
    assert.deepEqual((JSON.parse(bare.out()) as FleetSnapshot).instances, []);
  });

  test('--watch repeats the plain snapshot and --count bounds it', async () => {
    const out = await passagectl(['status', '--table-store', store(), '--region', 'eu-west-1', '--watch', '1', '--count', '2']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.match(/^passage fleet at /gm)?.length, 2);
  });

  test('a stopped router says it is draining, then turns stale but stays listed', async () => {
    await us.stop(0);
    usStopped = true;
    const first = await snapshot();
    const last = first.instances.find((i) => i.instance === 'us-a');
    assert.ok(last !== undefined && (last.state === 'draining' || last.state === 'stale'), `us-a is ${last?.state}`);
    let s: FleetSnapshot | undefined;
    await eventually(async () => {
      s = await snapshot();
      return s.instances.find((i) => i.instance === 'us-a')?.state === 'stale';
    }, 5_000, 'us-a stale');
    const region = s!.regions.find((r) => r.region === 'us-east-1');
    assert.deepEqual(region && [region.instances, region.stale, region.health], [1, 1, 'stale']);
    assert.equal(s!.instances.find((i) => i.instance === 'eu-a')?.state, 'ready');
  });

  test('/status carries the router region, instance and heartbeat count', async () => {
    const body = (await (await fetch(`${eu.adminUrl}/status`)).json()) as { fleet: { region: string; instance: string; heartbeat: { beats: number; failures: number } } };
    assert.equal(body.fleet.region, 'eu-west-1');
    assert.equal(body.fleet.instance, 'eu-a');
    assert.ok(body.fleet.heartbeat.beats > 0);
    assert.equal(body.fleet.heartbeat.failures, 0);
  });
});
