// The login hook's answer contract: three actions, bounded, anything else a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { askLoginHook, parseLoginHookAnswer } from '../../router/adapters/login-hook.ts';
import { AdapterError } from '../../router/adapters/errors.ts';

test('the three actions parse, and a deny without a message leaves the default to the router', () => {
  assert.deepEqual(parseLoginHookAnswer({ action: 'allow' }, 'x'), { kind: 'allow' });
  assert.deepEqual(parseLoginHookAnswer({ action: 'deny', message: 'Banned' }, 'x'), { kind: 'deny', message: 'Banned' });
  assert.deepEqual(parseLoginHookAnswer({ action: 'deny', message: '' }, 'x'), { kind: 'deny' });
  assert.deepEqual(parseLoginHookAnswer({ action: 'target', target: 'lobby-2', message: '' }, 'x'), { kind: 'target', target: 'lobby-2' });
});

test('answers outside the contract are refused as ERR_ADAPTER_BAD_RESPONSE', () => {
  for (const doc of [null, [], 'allow', { action: 'ALLOW' }, { action: 'deny', message: 5 }, { action: 'deny', message: 'x'.repeat(1025) }, { action: 'target' }, { action: 'target', target: '../x' }, { action: 'target', target: 'a'.repeat(65) }]) {
    assert.throws(() => parseLoginHookAnswer(doc, 'POST hook'), (err: unknown) => err instanceof AdapterError && err.code === 'ERR_ADAPTER_BAD_RESPONSE', JSON.stringify(doc));
  }
});

test('a plain-http hook outside allow_plain_http is not called, and its token does not reach the message', async () => {
  const outcome = await askLoginHook({ url: 'http://bans.internal/login?token=s3cret', timeout: 1000, onError: 'deny' }, { name: 'a', uuid: 'b', ip: '127.0.0.1', host: 'h', protocol: 769, route: 'r', locale: '' });
  assert.equal(outcome.kind, 'error');
  assert.equal(outcome.kind === 'error' && outcome.code, 'ERR_ADAPTER_NOT_ALLOWED');
  assert.ok(outcome.kind === 'error' && !outcome.message.includes('s3cret'));
});
