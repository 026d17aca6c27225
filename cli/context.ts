// What every passagectl command receives instead of touching the process: its output streams, whether
// they are a terminal, `--json`, a clock and the clients it may call. Tests pass fakes.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { PassageError } from '../router/errors.ts';
import { exitCodeForError } from './exit-codes.ts';

export interface Output {
  write(text: string): unknown;
}

export interface DynamoDbTarget {
  readonly region: string;
  readonly endpoint: string;
}

export interface S3Target {
  readonly region: string;
  /** An S3-compatible endpoint (MinIO, LocalStack); '' for AWS. */
  readonly endpoint: string;
}

export interface CliContext {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly isTTY: boolean;
  /** Machine-readable output for CI: one JSON document on stdout. */
  readonly json: boolean;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly clients: {
    dynamodb(target: DynamoDbTarget): DynamoDBClient;
    s3(target: S3Target): S3Client;
    fetch: typeof fetch;
  };
  /** Aborted on Ctrl-C; long-running commands (`dev`) stop when it fires. */
  readonly signal: AbortSignal;
}

// Exit codes live in cli/exit-codes.ts; re-exported here for the commands that import them with the context.
export { EXIT_CONFLICT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';

/** A mistake or an expected failure: printed as one short message, no stack. */
export class CliError extends PassageError {
  readonly exitCode: number;
  readonly code: string;

  /** `exitCode` defaults to what cli/exit-codes.ts maps `code` to. */
  constructor(code: string, message: string, exitCode = exitCodeForError(code), options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super('PASSAGE_USAGE', message);
    this.name = 'UsageError';
  }
}

/** Two publishers raced and the other one won; the loser's write was refused whole. */
export class PublishConflictError extends CliError {
  readonly publishedVersion: number | undefined;

  constructor(publishedVersion: number | undefined, detail = '') {
    const who = publishedVersion === undefined ? 'someone published first' : `someone published version ${publishedVersion} first`;
    super('PASSAGE_PUBLISH_CONFLICT', `${who}${detail}; nothing was written. Run \`npx passagectl table diff\` and publish a higher version.`);
    this.name = 'PublishConflictError';
    this.publishedVersion = publishedVersion;
  }
}

/**
 * DynamoDB Local and dynalite accept any credentials: a loopback endpoint without AWS credentials in
 * the environment gets placeholder ones rather than a slow, failing search of the credential chain.
 */
export function createDynamoDbClient(target: DynamoDbTarget): DynamoDBClient {
  let loopback = false;
  try {
    const host = target.endpoint === '' ? '' : new URL(target.endpoint).hostname;
    loopback = host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    throw new UsageError(`endpoint "${target.endpoint}" is not a URL`);
  }
  const placeholder = loopback && process.env.AWS_ACCESS_KEY_ID === undefined && process.env.AWS_PROFILE === undefined;
  return new DynamoDBClient({
    region: target.region,
    ...(target.endpoint === '' ? {} : { endpoint: target.endpoint }),
    ...(placeholder ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

/** S3 in `target.region`; a custom endpoint is addressed path-style, as S3-compatible servers expect. */
export function createS3Client(target: S3Target): S3Client {
  if (target.endpoint !== '') {
    try {
      new URL(target.endpoint);
    } catch {
      throw new UsageError(`endpoint "${target.endpoint}" is not a URL`);
    }
  }
  return new S3Client({
    region: target.region,
    ...(target.endpoint === '' ? {} : { endpoint: target.endpoint, forcePathStyle: true }),
  });
}

export function processContext(json: boolean, signal: AbortSignal): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    json,
    now: Date.now,
    clients: { dynamodb: createDynamoDbClient, s3: createS3Client, fetch },
    signal,
  };
}

/** Writes `value` as JSON in --json mode, else the human text. */
export function emit(ctx: CliContext, value: unknown, human: () => string): void {
  if (ctx.json) ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else ctx.stdout.write(human());
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--expires 7d`: a positive duration in s, m, h, d or w (combinations like "1d12h" work). */
export function parseExpiry(text: string): number {
  const re = /(\d+)([smhdw])/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (end === 0 || end !== text.length || total <= 0) throw new UsageError(`--expires: expected a duration like "7d", "12h" or "1d12h", got "${text}"`);
  return total;
}

/** What a command's action hands to main: run me with a context, return an exit code (0 when omitted). */
export type Action = (ctx: CliContext) => Promise<number | void>;
/** Supplied by main.ts (or a test): builds the context for `command` (its --json) and runs the action. */
export type Runner = (command: { optsWithGlobals(): Record<string, unknown> }, action: Action) => Promise<void>;

/** Commander option collector for repeatable flags (`--key a.key --key b.key`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
