// The one place that decides what a failure means to an operator. Mistakes and environment problems
// (no AWS credentials, an expired token, a port already taken, a file that is not there) become a
// CliError with a stable code and one line that says what to do; anything this file does not know is
// a bug, and main.ts prints its stack. Stores and status call `environmentFailure` so their messages
// say the same thing the top level would.

import { PassageError } from '../router/errors.ts';
import { CliError } from './context.ts';
import { EXIT_FAILURE } from './exit-codes.ts';

/** The environment problems passagectl recognizes, by stable code (tests and --json consumers pin these). */
export type EnvironmentFailureCode =
  | 'PASSAGE_AWS_NO_CREDENTIALS'
  | 'PASSAGE_AWS_CREDENTIALS_EXPIRED'
  | 'PASSAGE_AWS_CREDENTIALS_INVALID'
  | 'PASSAGE_AWS_ACCESS_DENIED'
  | 'PASSAGE_AWS_THROTTLED'
  | 'PASSAGE_AWS_ERROR'
  | 'PASSAGE_ENDPOINT_UNREACHABLE'
  | 'PASSAGE_ADDRESS_IN_USE'
  | 'PASSAGE_ADDRESS_NOT_AVAILABLE'
  | 'PASSAGE_FILE_NOT_FOUND'
  | 'PASSAGE_FILE_ACCESS';

export interface EnvironmentFailure {
  readonly code: EnvironmentFailureCode;
  /** One line: what is wrong, then what to do about it. */
  readonly message: string;
}

interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly path?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: unknown;
  readonly $fault?: unknown;
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'IncompleteSignature', 'AuthFailure', 'InvalidSignatureException']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'WAFUnauthorizedException']);
const THROTTLED = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'ProvisionedThroughputExceededException', 'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'PriorRequestNotComplete',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** Error messages from the SDK and Node sometimes span lines; a one-line report keeps the first. */
const firstLine = (v: unknown): string => (str(v) ?? '').split('\n')[0]!.trim();

/** Where a network error was going, as `host:port` (or the host alone). */
function destination(e: ErrorShape): string | undefined {
  const host = str(e.address) ?? str(e.hostname);
  if (host === undefined) return undefined;
  return typeof e.port === 'number' ? `${host.includes(':') ? `[${host}]` : host}:${e.port}` : host;
}

function profileHint(env: Readonly<Record<string, string | undefined>>): string {
  const profile = str(env.AWS_PROFILE);
  return profile === undefined ? '' : ` (AWS_PROFILE=${profile})`;
}

/**
 * The environment problem `err` is, or undefined. Looks through `cause` chains (fetch wraps its socket
 * error; a CliError may wrap an SDK error) but never past a few links.
 */
export function environmentFailure(err: unknown, env: Readonly<Record<string, string | undefined>> = process.env): EnvironmentFailure | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const found = classifyOne(current as ErrorShape, env);
    if (found !== undefined) return found;
    current = (current as ErrorShape).cause;
  }
  return undefined;
}

function classifyOne(e: ErrorShape, env: Readonly<Record<string, string | undefined>>): EnvironmentFailure | undefined {
  const name = str(e.name) ?? '';
  const code = str(e.code) ?? '';
  const message = firstLine(e.message);
  if (name === 'CredentialsProviderError' || /could not (load|resolve) credentials|unable to find (a )?(configured )?profile/i.test(message)) {
    if (/expired|refresh/i.test(message)) {
      return { code: 'PASSAGE_AWS_CREDENTIALS_EXPIRED', message: `AWS credentials have expired${profileHint(env)}: run \`aws sso login\` (or fetch a fresh session token) and retry` };
    }
    return {
      code: 'PASSAGE_AWS_NO_CREDENTIALS',
      message: `no AWS credentials found${profileHint(env)}: run \`aws configure\` or \`aws sso login\`, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
    };
  }
  if (name === 'TokenProviderError' || EXPIRED.has(name) || EXPIRED.has(code)) {
    return { code: 'PASSAGE_AWS_CREDENTIALS_EXPIRED', message: `AWS credentials have expired${profileHint(env)}: run \`aws sso login\` (or fetch a fresh session token) and retry` };
  }
  if (INVALID.has(name) || INVALID.has(code)) {
    return { code: 'PASSAGE_AWS_CREDENTIALS_INVALID', message: `AWS refused the credentials (${name || code})${profileHint(env)}: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile` };
  }
  if (DENIED.has(name) || DENIED.has(code)) {
    return { code: 'PASSAGE_AWS_ACCESS_DENIED', message: `AWS denied access: ${message || name}; grant these credentials the permission (docs/AWS.md lists what each command needs)` };
  }
  if (THROTTLED.has(name) || THROTTLED.has(code)) {
    return { code: 'PASSAGE_AWS_THROTTLED', message: `AWS is throttling requests (${name || code}): wait a minute and retry` };
  }
  if (code === 'EADDRINUSE') {
    return { code: 'PASSAGE_ADDRESS_IN_USE', message: `${destination(e) ?? 'the address'} is already in use: stop whatever listens there, or choose another port (--port, --admin-port, --listen)` };
  }
  if (code === 'EADDRNOTAVAIL' || (code === 'EACCES' && (e.syscall === 'listen' || e.syscall === 'bind'))) {
    return { code: 'PASSAGE_ADDRESS_NOT_AVAILABLE', message: `cannot listen on ${destination(e) ?? 'the address'} (${code}): use an address of this machine, and a port above 1023 unless you run as root` };
  }
  if (UNREACHABLE.has(code) || name === 'TimeoutError' || name === 'ConnectTimeoutError') {
    const where = destination(e);
    return {
      code: 'PASSAGE_ENDPOINT_UNREACHABLE',
      message: `cannot reach ${where ?? 'the endpoint'} (${code || name}): check the network, the region and any endpoint override (AWS_ENDPOINT_URL, ?endpoint=)`,
    };
  }
  if ((code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EPERM') && str(e.path) !== undefined) {
    if (code === 'ENOENT' || code === 'ENOTDIR') return { code: 'PASSAGE_FILE_NOT_FOUND', message: `${e.path as string}: file not found` };
    return { code: 'PASSAGE_FILE_ACCESS', message: `${e.path as string}: ${code === 'EISDIR' ? 'is a directory, expected a file' : 'permission denied'}` };
  }
  // Any other answer from an AWS service (it carries the SDK's $metadata): AWS said no, we did not crash.
  if (typeof e.$metadata === 'object' && e.$metadata !== null && (e.$fault === 'client' || e.$fault === 'server')) {
    return { code: 'PASSAGE_AWS_ERROR', message: `AWS answered ${name || 'an error'}: ${message}` };
  }
  return undefined;
}

/** What main.ts prints for `err`: a CliError for every failure an operator can fix, undefined for a bug. */
export function classifyError(err: unknown, env: Readonly<Record<string, string | undefined>> = process.env): CliError | undefined {
  if (err instanceof CliError) return err;
  const failure = environmentFailure(err, env);
  if (failure !== undefined) return new CliError(failure.code, failure.message, EXIT_FAILURE, { cause: err });
  // Errors Passage raises on purpose elsewhere (the table contract, the router's config loader, cli/aws,
  // infra's image check) keep their code; their exit code is what cli/exit-codes.ts maps it to.
  if (err instanceof PassageError) return new CliError(err.code, err.message, undefined, { cause: err });
  return undefined;
}

/** A store's or source's failure as one line, prefixed with where: `dynamodb://passage/prod: no AWS credentials found: …`. */
export function describeFailure(where: string, err: unknown, fallbackCode: string): CliError {
  const failure = environmentFailure(err);
  if (failure !== undefined) return new CliError(failure.code, `${where}: ${failure.message}`, EXIT_FAILURE, { cause: err });
  const e = err as ErrorShape;
  return new CliError(fallbackCode, `${where}: ${str(e.name) ?? 'Error'}: ${firstLine(e.message) || str(e.code) || String(err)}`, EXIT_FAILURE, { cause: err });
}
