// router/errors.ts: one PassageError base for every error Passage raises on purpose, recognized by
// instanceof (never by the shape of its code), and the two tables that turn them into exit codes:
// router/exit-codes.ts for `passage`, cli/exit-codes.ts for `passagectl`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PassageError } from '../router/errors.ts';
import { EncodeError, ProtocolError } from '../router/protocol/errors.ts';
import { AuthError } from '../router/auth/errors.ts';
import { CookieSecretError } from '../router/auth/cookie.ts';
import { ProxyHeaderError } from '../router/proxy/errors.ts';
import { RelayError } from '../router/relay/errors.ts';
import { AdapterError } from '../router/adapters/errors.ts';
import { ConfigError } from '../router/config/load.ts';
import { TableFileError } from '../router/routing/file-source.ts';
import { TableSourceError } from '../router/routing/sources/source.ts';
import { MessagesFileError } from '../router/messages/file.ts';
import { FaviconError } from '../router/table/favicon.ts';
import { TableKeyError, TableSignatureError } from '../router/table/errors.ts';
import { EXIT_CONFIG, EXIT_RUNTIME, startupFailure } from '../router/exit-codes.ts';
import { CliError, PublishConflictError, UsageError } from '../cli/context.ts';
import { DnsConflictError, RegionsFileError } from '../cli/aws/errors.ts';
import { CdkFailedError } from '../cli/deploy/cdk.ts';
import { ServiceNotFoundError } from '../cli/deploy/cloud.ts';
import { EXIT_CONFLICT, EXIT_FAILURE, EXIT_USAGE } from '../cli/exit-codes.ts';
import { classifyError } from '../cli/errors.ts';
import { reportFailure } from '../cli/main.ts';
import { RouterImageError } from '../infra/constructs/router-image.ts';

const ROOT = new URL('..', import.meta.url).pathname;

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

test('no error class in router/, cli/ or infra/ extends Error directly: each one is a PassageError', () => {
  const direct: string[] = [];
  for (const folder of ['router', 'cli', 'infra']) {
    for (const file of sources(join(ROOT, folder))) {
      if (file === join(ROOT, 'router/errors.ts')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/class (\w+) extends (Error|TypeError|RangeError)\b/g)) {
        direct.push(`${relative(ROOT, file)}: ${m[1]} extends ${m[2]}`);
      }
    }
  }
  assert.deepEqual(direct, []);
});

test('every area keeps its error names, codes and messages, and each is a PassageError', () => {
  const cases: [Error, string, string, string][] = [
    [new ProtocolError('ERR_TRUNCATED', 'short'), 'ProtocolError', 'ERR_TRUNCATED', 'short'],
    [new EncodeError('status JSON', 40_000, 32_767), 'EncodeError', 'ERR_ENCODE_LIMIT', 'status JSON: 40000 characters, limit 32767'],
    [new AuthError('ERR_AUTH_NOT_VERIFIED', 'not verified'), 'AuthError', 'ERR_AUTH_NOT_VERIFIED', 'not verified'],
    [new ProxyHeaderError('ERR_PROXY_MISSING', 'no header'), 'ProxyHeaderError', 'ERR_PROXY_MISSING', 'no header'],
    [new RelayError('ERR_RELAY_NO_TARGET', 'none'), 'RelayError', 'ERR_RELAY_NO_TARGET', 'none'],
    [new AdapterError('ERR_ADAPTER_TIMEOUT', 'slow'), 'AdapterError', 'ERR_ADAPTER_TIMEOUT', 'slow'],
    [new TableSignatureError('bad'), 'TableSignatureError', 'ERR_TABLE_SIGNATURE', 'bad'],
    [new TableKeyError('k.pub', 'not a key'), 'TableKeyError', 'ERR_TABLE_KEY', 'k.pub: not a key'],
    [new TableSourceError('ERR_SOURCE_TIMEOUT', 'slow'), 'TableSourceError', 'ERR_SOURCE_TIMEOUT', 'slow'],
    [new ConfigError('passage.toml', [{ key: 'timeout', message: 'bad' }]), 'ConfigError', 'ERR_CONFIG', 'passage.toml: timeout: bad'],
    [new TableFileError('routes.toml: file not found'), 'Error', 'ERR_TABLE_FILE', 'routes.toml: file not found'],
    [new CookieSecretError('s: empty'), 'Error', 'ERR_COOKIE_SECRET', 's: empty'],
    [new MessagesFileError('m.toml: bad'), 'Error', 'ERR_MESSAGES_FILE', 'm.toml: bad'],
    [new FaviconError('f.png: not a PNG file'), 'Error', 'ERR_FAVICON', 'f.png: not a PNG file'],
    [new CliError('PASSAGE_X', 'x'), 'CliError', 'PASSAGE_X', 'x'],
    [new UsageError('--key is required'), 'UsageError', 'PASSAGE_USAGE', '--key is required'],
    [new RegionsFileError('cpu', 'expected a number', 'r.toml'), 'RegionsFileError', 'PASSAGE_REGIONS_INVALID', 'r.toml: cpu: expected a number'],
    [new DnsConflictError('play.example.com', ['A 1.2.3.4']), 'DnsConflictError', 'PASSAGE_DNS_CONFLICT', 'play.example.com already has records that passagectl does not manage: A 1.2.3.4; remove them first'],
    [new CdkFailedError('synth', 1, 'boom'), 'CdkFailedError', 'PASSAGE_CDK_FAILED', 'cdk synth failed (exit 1):\nboom'],
    [new ServiceNotFoundError({ region: 'eu-west-1', cluster: 'c', service: 's' }), 'ServiceNotFoundError', 'PASSAGE_SERVICE_NOT_FOUND', 'ECS service s not found in cluster c (eu-west-1)'],
    [new RouterImageError('image: bad'), 'RouterImageError', 'PASSAGE_IMAGE_INVALID', 'image: bad'],
  ];
  for (const [err, name, code, message] of cases) {
    assert.ok(err instanceof PassageError, `${name} ${code} is a PassageError`);
    assert.deepEqual({ name: err.name, code: (err as PassageError).code, message: err.message }, { name, code, message });
  }
});

test('errors peers cause carry no stack frames; the operator\'s own mistakes and bugs keep theirs', () => {
  const frames = (err: Error) => (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).length;
  for (const quiet of [new ProtocolError('ERR_TRUNCATED', 'x'), new EncodeError('f', 2, 1), new AuthError('ERR_AUTH_BAD_SECRET', 'x'), new ProxyHeaderError('ERR_PROXY_TIMEOUT', 'x'), new RelayError('ERR_RELAY_CONNECT_FAILED', 'x')]) {
    assert.equal(frames(quiet), 0, quiet.name);
  }
  for (const loud of [new ConfigError('p.toml', []), new TableSignatureError('x'), new CliError('PASSAGE_X', 'x'), new Error('plain')]) {
    assert.ok(frames(loud) > 0, loud.name);
  }
  // Turning stacks off for one construction leaves them on for the next error.
  assert.ok(frames(new Error('after')) > 0);
});

test('passagectl reports a PassageError from any area as one line with its own code; only usage and publish conflicts exit with other than 1', () => {
  const cases: [Error, string, number][] = [
    [new TableKeyError('k.pub', 'not a public key'), 'ERR_TABLE_KEY', EXIT_FAILURE],
    [new ConfigError('passage.toml', [{ key: 'timeout', message: 'bad' }]), 'ERR_CONFIG', EXIT_FAILURE],
    [new RegionsFileError('cpu', 'expected a number'), 'PASSAGE_REGIONS_INVALID', EXIT_FAILURE],
    [new CookieSecretError('secret: no cookie secret in it'), 'ERR_COOKIE_SECRET', EXIT_FAILURE],
    [new UsageError('--key is required'), 'PASSAGE_USAGE', EXIT_USAGE],
    [new CliError('PASSAGE_USAGE', 'built by hand'), 'PASSAGE_USAGE', EXIT_USAGE],
    [new PublishConflictError(7), 'PASSAGE_PUBLISH_CONFLICT', EXIT_CONFLICT],
  ];
  for (const [err, code, exitCode] of cases) {
    let out = '';
    let stderr = '';
    const exit = reportFailure(err, true, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (stderr += s) } });
    assert.equal(exit, exitCode, code);
    assert.deepEqual(JSON.parse(out), { ok: false, error: { code, message: err.message } });
    assert.equal(stderr, `passagectl: ${err.message}\n`, 'one line, no stack');
  }
});

test('an error that only looks like an expected one (an ERR_TABLE or PASSAGE code on a plain Error) is a bug', () => {
  for (const code of ['ERR_TABLE_SIGNATURE', 'ERR_CONFIG', 'PASSAGE_REGIONS_INVALID']) {
    assert.equal(classifyError(Object.assign(new Error('look-alike'), { code })), undefined, code);
  }
});

test('the router exits 2 for the operator\'s own files, 1 when it cannot listen, and treats anything else as a bug', () => {
  const cases: [unknown, number, string][] = [
    [new ConfigError('passage.toml', [{ key: 'timeout', message: 'bad' }]), EXIT_CONFIG, 'invalid configuration\npassage.toml: timeout: bad'],
    [new TableFileError('routes.toml: file not found'), EXIT_CONFIG, 'invalid routing table\nroutes.toml: file not found'],
    [new TableKeyError('k.pub', 'not a public key'), EXIT_CONFIG, 'invalid table.public_keys\nk.pub: not a public key'],
    [new CookieSecretError('secret: no cookie secret in it'), EXIT_CONFIG, 'invalid configuration\nsecret: no cookie secret in it'],
    [new MessagesFileError('m.toml: bad'), EXIT_CONFIG, 'invalid configuration\nm.toml: bad'],
    [Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9565'), { code: 'EADDRINUSE' }), EXIT_RUNTIME, 'cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:9565'],
  ];
  for (const [err, exitCode, message] of cases) assert.deepEqual(startupFailure(err), { exitCode, message });
  assert.equal(startupFailure(new TypeError('bug')), undefined);
  assert.equal(startupFailure(new TableSignatureError('a signature is not a start-up mistake')), undefined);
});
