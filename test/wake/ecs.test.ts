// The ECS scaler against aws-sdk-client-mock: DescribeServices, then UpdateService only from 0.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { scaleEcs } from '../../router/wake/ecs.ts';
import { WakeError } from '../../router/wake/errors.ts';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

const WAKE = { kind: 'ecs', cluster: 'passage-games', service: 'survival', region: 'eu-west-1', timeout: 2000 } as const;
const signal = new AbortController().signal;

test('a service at desiredCount 0 is updated to 1', async () => {
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'survival', status: 'ACTIVE', desiredCount: 0 }] });
  ecs.on(UpdateServiceCommand).resolves({});
  assert.equal(await scaleEcs(WAKE, signal), 'scaled');
  assert.deepEqual(ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input, { cluster: 'passage-games', services: ['survival'] });
  assert.deepEqual(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input), [{ cluster: 'passage-games', service: 'survival', desiredCount: 1 }]);
});

test('a service already at desiredCount 1 or more is left alone', async () => {
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'survival', status: 'ACTIVE', desiredCount: 2 }] });
  assert.equal(await scaleEcs(WAKE, signal), 'already');
  assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
});

test('access denied, a missing service and a missing cluster become stable wake codes', async () => {
  const codeOf = async (): Promise<string> => scaleEcs(WAKE, signal).then(() => 'no error', (err: unknown) => (err instanceof WakeError ? err.code : String(err)));
  ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
  assert.equal(await codeOf(), 'ERR_WAKE_FORBIDDEN');
  ecs.reset();
  ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
  assert.equal(await codeOf(), 'ERR_WAKE_NOT_FOUND');
  ecs.reset();
  ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error('no cluster'), { name: 'ClusterNotFoundException' }));
  assert.equal(await codeOf(), 'ERR_WAKE_NOT_FOUND');
  ecs.reset();
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'survival', status: 'ACTIVE', desiredCount: 0 }] });
  ecs.on(UpdateServiceCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
  assert.equal(await codeOf(), 'ERR_WAKE_API');
});

test('the ECS client is loaded only by the ECS scaler, with a dynamic import', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const files = readdirSync(new URL('../../router/', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const staticImporters = files.filter((f) => /^import (?!type)[^;]*from '@aws-sdk\/client-ecs'/m.test(readFileSync(new URL(`../../router/${f}`, import.meta.url), 'utf8')));
  assert.deepEqual(staticImporters, []);
  const ecsImporters = files.filter((f) => /from '(\.\.\/wake|\.)\/ecs\.ts'/.test(readFileSync(new URL(`../../router/${f}`, import.meta.url), 'utf8')));
  assert.deepEqual(ecsImporters, [], 'router/wake/ecs.ts is reached through import() only');
});
