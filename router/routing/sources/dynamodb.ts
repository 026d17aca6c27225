// The table from DynamoDB: one GetItem of `pk = TABLE#<id>`, `sk = LATEST` per poll, from the router's
// local replica of the global table. Eventually consistent on purpose: it costs half a strongly
// consistent read, and a replica is seconds behind at most, far below any poll interval worth having.

import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CHUNK_ITEM, chunkSortKey, SORT_KEY, TABLE_ITEM, tablePartitionKey } from '../../contracts/dynamodb-keys.ts';
import { TableChunkError, TableTooLargeError } from '../../table/errors.ts';
import type { ChunkRef } from '../../table/manifest.ts';
import { isTimeout, TableSourceError, withTimeout, type FetchResult, type TableSource } from './source.ts';

export const DEFAULT_DYNAMODB_TIMEOUT_MS = 5_000;
/** The item attributes and keys: the layout passagectl publishes (router/contracts/dynamodb-keys.ts). */
const ITEM_ENVELOPE = TABLE_ITEM.envelope;
const LATEST_SORT_KEY = SORT_KEY.latest;

export interface DynamoDbSourceOptions {
  readonly client: DynamoDBClient;
  /** The DynamoDB table name. */
  readonly table: string;
  /** The routing table id (`TABLE#<id>`). */
  readonly tableId: string;
  readonly maxBytes: number;
  readonly timeoutMs?: number;
}

export class DynamoDbTableSource implements TableSource {
  readonly description: string;
  private readonly opts: DynamoDbSourceOptions;

  constructor(opts: DynamoDbSourceOptions) {
    this.opts = opts;
    this.description = `dynamodb://${opts.table}/${opts.tableId}`;
  }

  async fetch(signal: AbortSignal): Promise<FetchResult> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_DYNAMODB_TIMEOUT_MS;
    let item;
    try {
      const out = await this.opts.client.send(
        new GetItemCommand({
          TableName: this.opts.table,
          Key: { pk: { S: tablePartitionKey(this.opts.tableId) }, sk: { S: LATEST_SORT_KEY } },
          ConsistentRead: false,
        }),
        { abortSignal: withTimeout(signal, timeoutMs) },
      );
      item = out.Item;
    } catch (cause) {
      throw awsFailure(cause, this.description, timeoutMs);
    }
    if (item === undefined) throw new TableSourceError('ERR_SOURCE_NOT_FOUND', `${this.description}: no ${LATEST_SORT_KEY} item (nothing published yet?)`);
    const envelope = item[ITEM_ENVELOPE]?.S;
    if (envelope === undefined) throw new TableSourceError('ERR_SOURCE_BAD_ITEM', `${this.description}: the ${LATEST_SORT_KEY} item has no string attribute "${ITEM_ENVELOPE}"`);
    const bytes = Buffer.from(envelope, 'utf8');
    if (bytes.length > this.opts.maxBytes) throw new TableTooLargeError(this.opts.maxBytes, bytes.length);
    return { kind: 'envelope', bytes };
  }

  fetchChunk(ref: ChunkRef, signal: AbortSignal): Promise<Buffer> {
    return fetchDynamoDbChunk(this.opts, this.description, ref, signal);
  }
}

/** Reads one chunk item (`sk = CHUNK#<sha256>`) of a chunked table; see router/contracts/dynamodb-keys.ts. */
export async function fetchDynamoDbChunk(opts: DynamoDbSourceOptions, description: string, ref: ChunkRef, signal: AbortSignal): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DYNAMODB_TIMEOUT_MS;
  const what = `${description} chunk ${ref.sha256.slice(0, 16)}`;
  let item;
  try {
    const out = await opts.client.send(
      new GetItemCommand({
        TableName: opts.table,
        Key: { pk: { S: tablePartitionKey(opts.tableId) }, sk: { S: chunkSortKey(ref.sha256) } },
        // Chunks never change: any replica that has one has the right one.
        ConsistentRead: false,
      }),
      { abortSignal: withTimeout(signal, timeoutMs) },
    );
    item = out.Item;
  } catch (cause) {
    throw awsFailure(cause, what, timeoutMs);
  }
  // Missing: not replicated to this region yet (items replicate independently); the next poll retries.
  if (item === undefined) throw new TableSourceError('ERR_SOURCE_NOT_FOUND', `${what}: no such item (not replicated yet?)`);
  const text = item[CHUNK_ITEM.chunk]?.S;
  if (text === undefined) throw new TableSourceError('ERR_SOURCE_BAD_ITEM', `${what}: the item has no string attribute "${CHUNK_ITEM.chunk}"`);
  if (text.length > ref.bytes) throw new TableChunkError(ref.sha256, `is larger than the ${ref.bytes} bytes the manifest says`, { check: 'size' });
  return Buffer.from(text, 'utf8');
}

function awsFailure(cause: unknown, description: string, timeoutMs: number): TableSourceError {
  const err = cause as { name?: string; message?: string; $metadata?: unknown };
  if (isTimeout(cause) || err.name === 'AbortError') {
    return new TableSourceError('ERR_SOURCE_TIMEOUT', `${description} did not answer within ${timeoutMs} ms`, { cause });
  }
  if (err.name === 'ResourceNotFoundException') return new TableSourceError('ERR_SOURCE_NOT_FOUND', `${description}: no such DynamoDB table`, { cause });
  // A service answer carries $metadata; anything else never reached DynamoDB (DNS, refused, TLS).
  if (err.$metadata !== undefined && err.name !== undefined && err.name !== 'Error') {
    return new TableSourceError('ERR_SOURCE_AWS', `${description}: ${err.name}: ${err.message ?? ''}`, { cause });
  }
  return new TableSourceError('ERR_SOURCE_UNREACHABLE', `${description} is unreachable (${(cause as { code?: string }).code ?? err.message ?? String(cause)})`, { cause });
}

/**
 * A client for the router's region. DynamoDB Local and dynalite accept any credentials, so a loopback
 * endpoint without AWS credentials in the environment gets placeholder ones instead of a slow search
 * through the credential chain (instance metadata) that can only fail.
 */
export function createDynamoDbClient(region: string, endpoint: string): DynamoDBClient {
  const local = endpoint !== '' && isLoopbackUrl(endpoint) && process.env.AWS_ACCESS_KEY_ID === undefined && process.env.AWS_PROFILE === undefined;
  return new DynamoDBClient({
    region,
    ...(endpoint === '' ? {} : { endpoint }),
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    // The poller retries on its own schedule with backoff; SDK retries would only stretch one poll.
    maxAttempts: 1,
  });
}

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}
