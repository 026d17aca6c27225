// The login hook over gRPC: the RouteAdapter service's Login call on a real grpc-js server on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as GrpcJs from '@grpc/grpc-js';
import { loadAdapterService } from '../../router/adapters/grpc.ts';
import { askLoginHook, type LoginHookRequest } from '../../router/adapters/login-hook.ts';
import { STRICT_ADAPTER_POLICY, type AdapterPolicy } from '../../router/adapters/policy.ts';

const PLAIN_LOOPBACK: AdapterPolicy = { ...STRICT_ADAPTER_POLICY, allowPlainHttp: ['127.0.0.1'] };
const REQUEST: LoginHookRequest = { name: 'Notch', uuid: '069a79f4-44e9-4726-a5be-fca90e38aaf5', ip: '203.0.113.7', host: 'play.test', protocol: 769, route: 'lobby', locale: 'de_de' };

const calls: { route: string; player: Record<string, unknown> }[] = [];
let answer: Record<string, unknown> | 'fail' = { action: 'allow' };
let server: GrpcJs.Server;
let address = '';

before(async () => {
  const { grpc, service } = loadAdapterService();
  server = new grpc.Server();
  server.addService(service.service, {
    GetTargets: (_c: unknown, cb: GrpcJs.sendUnaryData<unknown>) => cb(null, { targets: [] }),
    GetStatus: (_c: unknown, cb: GrpcJs.sendUnaryData<unknown>) => cb(null, {}),
    Apply: (_c: unknown, cb: GrpcJs.sendUnaryData<unknown>) => cb(null, { target_ids: [] }),
    Login: (call: GrpcJs.ServerUnaryCall<{ route: string; player: Record<string, unknown> }, unknown>, cb: GrpcJs.sendUnaryData<unknown>) => {
      calls.push(call.request);
      if (answer === 'fail') return cb({ code: grpc.status.UNAVAILABLE, details: 'bans database down' } as GrpcJs.ServiceError);
      cb(null, answer);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  address = `127.0.0.1:${port}`;
});
after(() => server.forceShutdown());

test('a gRPC hook gets the player (UUID without dashes) and its allow, deny and target answers are the outcome', async () => {
  const hook = { address, timeout: 2_000, onError: 'deny' as const };
  answer = { action: 'allow' };
  assert.deepEqual(await askLoginHook(hook, REQUEST, PLAIN_LOOPBACK), { kind: 'allow' });
  assert.equal(calls.at(-1)?.route, 'lobby');
  assert.deepEqual(
    { id: calls.at(-1)?.player.id, name: calls.at(-1)?.player.name, ip: calls.at(-1)?.player.ip, locale: calls.at(-1)?.player.locale },
    { id: '069a79f444e94726a5befca90e38aaf5', name: 'Notch', ip: '203.0.113.7', locale: 'de_de' },
  );
  answer = { action: 'deny', message: 'Banned until Monday' };
  assert.deepEqual(await askLoginHook(hook, REQUEST, PLAIN_LOOPBACK), { kind: 'deny', message: 'Banned until Monday' });
  answer = { action: 'target', target: 'lobby-2' };
  assert.deepEqual(await askLoginHook(hook, REQUEST, PLAIN_LOOPBACK), { kind: 'target', target: 'lobby-2' });
});

test('a failing or garbled gRPC hook is an error outcome, never a throw', async () => {
  const hook = { address, timeout: 2_000, onError: 'allow' as const };
  answer = 'fail';
  const failed = await askLoginHook(hook, REQUEST, PLAIN_LOOPBACK);
  assert.equal(failed.kind, 'error');
  answer = { action: 'kick' };
  const garbled = await askLoginHook(hook, REQUEST, PLAIN_LOOPBACK);
  assert.deepEqual(garbled.kind === 'error' && garbled.code, 'ERR_ADAPTER_BAD_RESPONSE');
});

test('without allow_plain_http the hook speaks TLS, so a plaintext service never gets the call', async () => {
  const before = calls.length;
  answer = { action: 'allow' };
  const outcome = await askLoginHook({ address, timeout: 1_000, onError: 'deny' }, REQUEST, STRICT_ADAPTER_POLICY);
  assert.equal(outcome.kind, 'error');
  assert.equal(calls.length, before);
});
