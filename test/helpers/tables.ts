// Signed tables, fake CLI contexts and a DynamoDB publisher for the routing-table tests.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KeyObject } from 'node:crypto';
import { pino } from 'pino';
import { TablePoller, type PollerOptions } from '../../router/routing/sources/poller.ts';
import { signTable } from '../../router/table/envelope.ts';
import { generateSigningKey, type SigningKeyPair } from '../../router/table/keys.ts';
import type { CliContext } from '../../cli/context.ts';
import { createDynamoDbClient, createS3Client } from '../../cli/context.ts';

export const silentLog = pino({ level: process.env.PASSAGE_TEST_LOG ?? 'silent' });

/** A table document with one route `main` (play.test, *.test) sending players to the given ports. */
export function tableDocument(tableId: string, version: number, ports: readonly number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    table_id: tableId,
    version,
    routes: [
      {
        id: 'main',
        hosts: ['play.test', '*.test'],
        strategy: 'priority',
        status: { motd: `v${version}`, max_players: 100 },
        targets: ports.map((port, i) => ({ id: `t${i}`, address: `127.0.0.1:${port}`, priority: i })),
      },
    ],
    ...extra,
  };
}

export interface SignOpts {
  readonly now?: number;
  readonly expiresInMs?: number;
}

/** Envelope JSON text, as a publisher stores it. */
export function envelopeFor(doc: Record<string, unknown>, keys: KeyObject | readonly KeyObject[], opts: SignOpts = {}): string {
  return JSON.stringify(signTable(doc, keys, { now: opts.now ?? Date.now(), expiresInMs: opts.expiresInMs ?? 3_600_000 }).envelope);
}

export function newKey(): SigningKeyPair {
  return generateSigningKey();
}

export interface CapturedContext extends CliContext {
  readonly out: () => string;
  readonly err: () => string;
}

/** A CLI context writing into strings, with a loopback-only DynamoDB client factory. */
export function fakeContext(opts: { json?: boolean; now?: () => number; signal?: AbortSignal } = {}): CapturedContext {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY: false,
    json: opts.json === true,
    now: opts.now ?? Date.now,
    clients: { dynamodb: createDynamoDbClient, s3: createS3Client, fetch },
    signal: opts.signal ?? new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}

export function localClient(endpoint: string): DynamoDBClient {
  return createDynamoDbClient({ region: 'local', endpoint });
}

/** Polls `check` every 25 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms`);
}

/**
 * `trust` and `force` for `table publish` / `rollback` when the target routers trust the public half of
 * `privateKeyFile` (the `.pub` that `keys generate` writes next to the `.key`).
 */
export function trustedBy(privateKeyFile: string): { trust: { publicKeys: string[] }; force: false } {
  return { trust: { publicKeys: [privateKeyFile.replace(/\.key$/, '.pub')] }, force: false };
}

/**
 * A poller of signed tables with id "prod", as most table tests want one: room for big tables
 * (16 MiB), a 1 s interval, no logs. `source`, `store` and the trusted keys are the test's.
 */
export function signedTablePoller(opts: Pick<PollerOptions, 'source' | 'store' | 'trustedKeys'> & Partial<PollerOptions>): TablePoller {
  return new TablePoller({ expectedTableId: 'prod', allowUnsigned: false, maxBytes: 16 * 1024 * 1024, intervalMs: 1_000, log: silentLog, ...opts });
}
