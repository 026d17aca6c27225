// Wake on join through ECS with the real client: aws-sdk-client-mock answers the router's own
// ECSClient (the module router/wake/ecs.ts imports lazily is the one mocked here), and a gate that
// refuses connections stands in for a service with no running task until UpdateService opens it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';
import { loginAnsweringKeepAlives, startGate, until } from '../helpers/wake.ts';
import type { Gate } from '../helpers/wake.ts';

const VERSION = '1.21.4';
const CLUSTER = 'passage-games';

// The mock answers every send, so no credential is ever resolved; these make sure a lookup that got
// through anyway would fail fast instead of waiting on an instance metadata endpoint.
process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
process.env.AWS_SECRET_ACCESS_KEY = 'test-only-secret';
process.env.AWS_REGION = 'eu-central-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

interface EcsCall {
  readonly command: 'DescribeServices' | 'UpdateService';
  readonly service: string;
  readonly region: string;
  readonly desiredCount?: number;
}



function ecsRoute(id: string, gatePort: number, region: string | undefined, extra = ''): string {
  const wake = `{ kind = "ecs", cluster = "${CLUSTER}", service = "${id}"${region === undefined ? '' : `, region = "${region}"`} }`;
  return [
    '[[routes]]', `id = "${id}"`, `hosts = ["${id}.test"]`, extra,
    '[[routes.targets]]', `id = "${id}-1"`, `address = "127.0.0.1:${gatePort}"`, `wake = ${wake}`,
  ].join('\n');
}

describe('wake on join (ECS)', () => {
  const ecs = mockClient(ECSClient);
  /** desiredCount by service name, as ECS keeps it; UpdateService changes it. */
  const desired = new Map<string, number>([['survival', 0], ['denied', 0]]);
  const calls: EcsCall[] = [];
  /** Services whose UpdateService the caller may not make. */
  const denied = new Set(['denied']);
  let backend: Backend;
  const gates = new Map<string, Gate>();
  let router: TestRouter;
  /** Called after an UpdateService set a service to 1; by default its task "starts" at once. */
  let onUpdated = (service: string): void => gates.get(service)?.open();

  before(async () => {
    backend = await startBackend(VERSION);
    for (const id of ['survival', 'denied']) gates.set(id, await startGate(backend.port));
    ecs.on(DescribeServicesCommand).callsFake(async (input: { cluster: string; services: string[] }, getClient) => {
      const service = input.services[0]!;
      calls.push({ command: 'DescribeServices', service, region: await getClient().config.region() });
      const count = input.cluster === CLUSTER ? desired.get(service) : undefined;
      if (count === undefined) return { services: [], failures: [{ arn: service, reason: 'MISSING' }] };
      return { services: [{ serviceName: service, status: 'ACTIVE', desiredCount: count, runningCount: count }], failures: [] };
    });
    ecs.on(UpdateServiceCommand).callsFake(async (input: { cluster: string; service: string; desiredCount: number }, getClient) => {
      calls.push({ command: 'UpdateService', service: input.service, region: await getClient().config.region(), desiredCount: input.desiredCount });
      if (denied.has(input.service)) {
        throw Object.assign(new Error(`User is not authorized to perform: ecs:UpdateService on service/${CLUSTER}/${input.service}`), { name: 'AccessDeniedException', $fault: 'client' });
      }
      desired.set(input.service, input.desiredCount);
      setImmediate(() => onUpdated(input.service));
      return { service: { serviceName: input.service, status: 'ACTIVE', desiredCount: input.desiredCount } };
    });
    const routes = [
      'table_id = "wake-ecs"', 'version = 1',
      '[[routes]]', 'id = "main"', 'hosts = ["play.test"]', '[[routes.targets]]', 'id = "main-1"', `address = "127.0.0.1:${backend.port}"`,
      // No region in the table: the router's AWS_REGION applies.
      ecsRoute('survival', gates.get('survival')!.port, undefined, 'wake_timeout = "60s"'),
      ecsRoute('denied', gates.get('denied')!.port, 'eu-west-1'),
    ].join('\n');
    router = await startTestRouter({
      routes: `${routes}\n`,
      config: { auth: { mode: 'offline' }, limits: { keep_alive_interval: '300ms', configuration_timeout: '30s' } },
    });
  });
  after(async () => {
    await router.stop(0);
    for (const gate of gates.values()) await gate.close();
    await backend.close();
    ecs.restore();
  });

  test('a login scales the ECS service from desiredCount 0 to 1, waits with keep-alives answered, and is transferred once the task answers', async () => {
    let updated: (() => void) | undefined;
    const updatedOnce = new Promise<void>((r) => (updated = r));
    onUpdated = (service) => {
      if (service === 'survival') updated!();
    };
    const keepAlives = { count: 0 };
    const result = loginAnsweringKeepAlives(router.port, 'survival.test', 'EcsSleeper', keepAlives);
    await updatedOnce;
    const status = (await (await fetch(`${router.adminUrl}/status`)).json()) as { waking: { route: string; target: string; kind: string }[] };
    assert.deepEqual(status.waking.map((w) => [w.route, w.target, w.kind]), [['survival', 'survival-1', 'ecs']], '/status shows the service being woken');
    assert.equal(await router.counter('passage_wake_players_held', { route: 'survival' }), 1);
    // Held past several keep-alive intervals while the task "starts"; then it answers.
    await until('three keep-alives', () => keepAlives.count >= 3);
    gates.get('survival')!.open();
    const done = await result;
    assert.deepEqual(done.transfer, { host: '127.0.0.1', port: gates.get('survival')!.port });
    await followTransfer(done.transfer!, VERSION, 'EcsSleeper');
    assert.ok(backend.arrivals.some((a) => a.username === 'EcsSleeper' && a.intent === 3));
    assert.deepEqual(calls.filter((c) => c.service === 'survival'), [
      { command: 'DescribeServices', service: 'survival', region: 'eu-central-1' },
      { command: 'UpdateService', service: 'survival', region: 'eu-central-1', desiredCount: 1 },
    ]);
    assert.deepEqual(ecs.commandCalls(UpdateServiceCommand, { service: 'survival' }).map((c) => c.args[0].input), [{ cluster: CLUSTER, service: 'survival', desiredCount: 1 }]);
    assert.equal(desired.get('survival'), 1);
    assert.equal(await router.counter('passage_wakes_total', { route: 'survival', outcome: 'ready' }), 1);
    assert.equal(await router.counter('passage_wake_wait_seconds', { route: 'survival', outcome: 'transferred' }), 1);
    assert.equal(await router.counter('passage_wake_players_held', { route: 'survival' }), 0);
  });

  test('an awake ECS service is not updated again: the next login is transferred at once', async () => {
    const before = calls.filter((c) => c.command === 'UpdateService').length;
    const done = await loginAnsweringKeepAlives(router.port, 'survival.test', 'EcsSecond', { count: 0 });
    assert.deepEqual(done.transfer, { host: '127.0.0.1', port: gates.get('survival')!.port });
    assert.equal(calls.filter((c) => c.command === 'UpdateService').length, before);
  });

  test('AccessDeniedException on UpdateService ends the wait with the localized wake_failed message and a metric, and the router keeps serving', async () => {
    const result = await loginAnsweringKeepAlives(router.port, 'denied.test', 'EcsDenied', { count: 0 }, 'de_de');
    assert.equal(result.disconnect, 'Der Server konnte nicht gestartet werden. Bitte versuche es später erneut.');
    assert.deepEqual(calls.filter((c) => c.service === 'denied').map((c) => [c.command, c.region]), [['DescribeServices', 'eu-west-1'], ['UpdateService', 'eu-west-1']]);
    assert.equal(desired.get('denied'), 0);
    assert.equal(await router.counter('passage_wakes_total', { route: 'denied', outcome: 'error', code: 'ERR_WAKE_FORBIDDEN' }), 1);
    assert.equal(await router.counter('passage_wake_wait_seconds', { route: 'denied', outcome: 'error' }), 1);
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_WAKE_FORBIDDEN' })) >= 1);
    await until('no wake left on /status', async () => ((await (await fetch(`${router.adminUrl}/status`)).json()) as { waking: unknown[] }).waking.length === 0);
    const other = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'EcsOther' });
    assert.deepEqual(other.transfer, { host: '127.0.0.1', port: backend.port });
  });
});
