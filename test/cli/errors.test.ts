// cli/errors.ts: every failure an operator can fix is classified once, with a stable code and one line
// that says what to do; anything else is a bug. And the command tree: no command's option shadows a
// global one (the global `--version` once swallowed `table show --version 1`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3ServiceException } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { CliError } from '../../cli/context.ts';
import { classifyError, describeFailure, environmentFailure } from '../../cli/errors.ts';
import { buildProgram, reportFailure } from '../../cli/main.ts';

const aws = (name: string, status: number, message = `${name} happened`) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
/** What @smithy/property-provider throws (its class sets this name); the binary test meets the real one. */
const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
const sys = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${code} happened`), { code, ...extra });

test('environment problems get one stable code each and a line that says what to do', () => {
  const env = { AWS_PROFILE: 'prod' };
  const cases: [unknown, string, RegExp][] = [
    [noCredentials(), 'PASSAGE_AWS_NO_CREDENTIALS', /^no AWS credentials found \(AWS_PROFILE=prod\): run `aws configure` or `aws sso login`/],
    [aws('ExpiredTokenException', 400), 'PASSAGE_AWS_CREDENTIALS_EXPIRED', /expired.*aws sso login/],
    [aws('UnrecognizedClientException', 400), 'PASSAGE_AWS_CREDENTIALS_INVALID', /AWS refused the credentials \(UnrecognizedClientException\)/],
    [aws('AccessDeniedException', 403, 'User: x is not authorized to perform: route53:ListHostedZonesByName'), 'PASSAGE_AWS_ACCESS_DENIED', /AWS denied access: User: x is not authorized.*grant/],
    [aws('ThrottlingException', 400), 'PASSAGE_AWS_THROTTLED', /throttling.*wait a minute and retry/],
    [sys('ECONNREFUSED', { address: '127.0.0.1', port: 9 }), 'PASSAGE_ENDPOINT_UNREACHABLE', /^cannot reach 127\.0\.0\.1:9 \(ECONNREFUSED\): check the network/],
    [Object.assign(new TypeError('fetch failed'), { cause: sys('ENOTFOUND', { hostname: 'tables.example' }) }), 'PASSAGE_ENDPOINT_UNREACHABLE', /cannot reach tables\.example \(ENOTFOUND\)/],
    [sys('EADDRINUSE', { syscall: 'listen', address: '127.0.0.1', port: 25565 }), 'PASSAGE_ADDRESS_IN_USE', /^127\.0\.0\.1:25565 is already in use: stop whatever listens there, or choose another port/],
    [sys('EACCES', { syscall: 'listen', address: '0.0.0.0', port: 80 }), 'PASSAGE_ADDRESS_NOT_AVAILABLE', /cannot listen on 0\.0\.0\.0:80/],
    [sys('ENOENT', { path: 'keys/prod.key', syscall: 'open' }), 'PASSAGE_FILE_NOT_FOUND', /^keys\/prod\.key: file not found$/],
    [aws('ValidationError', 400, 'Stack with id x does not exist'), 'PASSAGE_AWS_ERROR', /^AWS answered ValidationError: Stack with id x does not exist$/],
  ];
  for (const [err, code, message] of cases) {
    const found = environmentFailure(err, env);
    assert.equal(found?.code, code, `${code}: ${String(err)}`);
    assert.match(found!.message, message);
    assert.doesNotMatch(found!.message, /\n/, 'one line');
  }
});

test('a programming error is not classified: main prints it as a bug, with its stack', () => {
  for (const bug of [new TypeError("Cannot read properties of undefined (reading 'x')"), new RangeError('Invalid array length'), 'a string', undefined]) {
    assert.equal(classifyError(bug), undefined);
  }
  let out = '';
  let err = '';
  const code = reportFailure(new TypeError('boom'), true, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  assert.equal(code, 1);
  assert.match(err, /unexpected failure \(a bug; please report it\)\nTypeError: boom\n\s+at /);
  assert.deepEqual(JSON.parse(out), { ok: false, error: { code: 'PASSAGE_INTERNAL', message: 'boom' } });
});

test('a mistake prints one line on stderr and, under --json, one JSON error object on stdout', () => {
  let out = '';
  let err = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
  const code = reportFailure(noCredentials(), true, io);
  assert.equal(code, 1);
  assert.match(err, /^passagectl: no AWS credentials found/);
  assert.equal(err.split('\n').filter(Boolean).length, 1);
  assert.equal(JSON.parse(out).error.code, 'PASSAGE_AWS_NO_CREDENTIALS');
});

test('a store names itself in front of the classified problem; an unknown AWS-side failure keeps the fallback code', () => {
  const missing = describeFailure('dynamodb://passage/prod', noCredentials(), 'PASSAGE_STORE_UNREACHABLE');
  assert.ok(missing instanceof CliError);
  assert.equal(missing.code, 'PASSAGE_AWS_NO_CREDENTIALS');
  assert.match(missing.message, /^dynamodb:\/\/passage\/prod: no AWS credentials found/);
  const odd = describeFailure('s3://b/t.json', new Error('socket hang up'), 'PASSAGE_STORE_UNREACHABLE');
  assert.equal(odd.code, 'PASSAGE_STORE_UNREACHABLE');
  assert.equal(odd.message, 's3://b/t.json: Error: socket hang up');
});

function* commands(cmd: Command): Generator<Command> {
  for (const sub of cmd.commands) {
    yield sub;
    yield* commands(sub);
  }
}

test('no command defines an option with the name of a global option (-v, --version, --json)', () => {
  const program = buildProgram(async () => {});
  const globals = new Set(program.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined));
  assert.ok(globals.has('--version') && globals.has('-v') && globals.has('--json'), 'the globals this test guards');
  let checked = 0;
  for (const cmd of commands(program)) {
    for (const option of cmd.options) {
      checked++;
      for (const flag of [option.long, option.short]) {
        if (flag !== undefined) assert.ok(!globals.has(flag), `${cmd.name()} ${option.flags} collides with the global ${flag}`);
      }
    }
  }
  assert.ok(checked > 40, `walked every command's options (${checked})`);
});
