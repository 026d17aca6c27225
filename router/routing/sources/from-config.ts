// Builds the table source and poller that `[table]` in passage.toml describes.

import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/load.ts';
import type { PassageConfig } from '../../config/schema.ts';
import { readPublicKeyFile } from '../../table/keys.ts';
import { TableFileError } from '../file-source.ts';
import type { TableStore } from '../store.ts';
import { TableCache } from './cache.ts';
import { FileTableSource } from './file.ts';
import { HttpTableSource } from './http.ts';
import { TablePoller } from './poller.ts';
import type { TableSource } from './source.ts';

/**
 * The source `[table]` names. The DynamoDB SDK (about 24 MB of a router's memory) is imported only
 * when the source is `dynamodb`: a file or http source never loads it.
 */
export async function createTableSource(table: PassageConfig['table']): Promise<TableSource> {
  switch (table.source) {
    case 'file':
      return new FileTableSource(table.path);
    case 'http':
      return new HttpTableSource({ url: table.url, maxBytes: table.maxBytes, ...tableToken(table.urlTokenFile) });
    case 'dynamodb': {
      const { createDynamoDbClient, DynamoDbTableSource } = await import('./dynamodb.ts');
      return new DynamoDbTableSource({
        client: createDynamoDbClient(table.dynamodb.region, table.dynamodb.endpoint),
        table: table.dynamodb.table,
        tableId: table.dynamodb.id,
        maxBytes: table.maxBytes,
      });
    }
  }
}

/** Longest token accepted: a Secrets Manager password is at most 4,096 characters. */
export const MAX_TABLE_TOKEN_CHARS = 4_096;

/**
 * The table endpoint's token, from `url_token_file` or PASSAGE_TABLE_TOKEN: a secret, so it comes from a
 * file or the environment, never from the URL in passage.toml (which is shown, redacted, on /status).
 */
export function tableToken(file: string, env: NodeJS.ProcessEnv = process.env): { token?: string } {
  let token: string;
  let where: string;
  if (file !== '') {
    where = file;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(file, [{ key: 'table.url_token_file', message: `cannot read the table token (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }]);
    }
  } else {
    where = 'PASSAGE_TABLE_TOKEN';
    token = (env.PASSAGE_TABLE_TOKEN ?? '').trim();
    if (token === '') return {};
  }
  if (token === '' || token.length > MAX_TABLE_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(where, [{ key: 'table.url_token_file', message: `the table token must be 1–${MAX_TABLE_TOKEN_CHARS} printable ASCII characters without spaces` }]);
  }
  return { token };
}

/** Throws a TableKeyError naming the file when a key cannot be used. */
export async function loadTrustedKeys(files: readonly string[]): Promise<KeyObject[]> {
  return Promise.all(files.map((file) => readPublicKeyFile(file)));
}

export interface PollerDeps {
  readonly store: TableStore;
  readonly log: Logger;
  readonly eventSource: object;
  /** Overrides the source built from the config (tests, `passagectl dev`). */
  readonly source?: TableSource;
}

export async function createTablePoller(table: PassageConfig['table'], deps: PollerDeps): Promise<TablePoller> {
  const remote = table.source !== 'file';
  return new TablePoller({
    source: deps.source ?? (await createTableSource(table)),
    store: deps.store,
    trustedKeys: await loadTrustedKeys(table.publicKeys),
    expectedTableId: table.id,
    // "Unsigned only for local files": a remote source never serves an unsigned table, whatever the config says.
    allowUnsigned: !remote && table.allowUnsigned,
    maxBytes: table.maxBytes,
    minVersion: table.minVersion,
    intervalMs: table.pollIntervalMs,
    ...(remote && table.cacheFile !== '' ? { cache: new TableCache(table.cacheFile) } : {}),
    log: deps.log.child({ component: 'table' }),
    eventSource: deps.eventSource,
  });
}

/**
 * The first table, then polling. A local file is the operator's own: a broken one is a start-up error
 * they must see (exit 2). A remote control plane may be down: start anyway, from the cache if it still
 * verifies, else with /readyz at 503 until the first good table arrives.
 */
export async function startPolling(poller: TablePoller, table: PassageConfig['table']): Promise<void> {
  if (table.source === 'file') {
    const first = await poller.pollOnce();
    if (first.kind === 'error' || first.kind === 'rejected') {
      throw new TableFileError(first.kind === 'rejected' ? `${table.path}: ${first.message}` : first.message);
    }
    poller.start(table.pollIntervalMs);
  } else {
    await poller.loadCache();
    poller.start();
  }
}
