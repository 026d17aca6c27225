// Published tables in DynamoDB (see DESIGN.md): `pk = TABLE#<id>`; `sk = LATEST` is what routers read,
// `sk = V#<16-digit version>` the immutable history. dynalite (and so `passagectl dev`) has no
// TransactWriteItems, so a publish is two conditional writes:
//   1. put V#<new>  if attribute_not_exists(pk)  — a version number is taken at most once;
//   2. put LATEST   if version = <previous>      — LATEST moves only from the version we diffed against.
// The loser of a race fails one of the two, removes its own history item (if step 2 failed) and
// reports who won. Nothing the winner wrote is touched.

import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CliError, PublishConflictError } from '../context.ts';
import { describeFailure } from '../errors.ts';
import { CHUNK_ITEM, chunkSortKey, historySortKey, SORT_KEY, TABLE_ITEM, tablePartitionKey } from '../../router/contracts/dynamodb-keys.ts';
import type { TableChunk } from '../../router/table/manifest.ts';
import { writeNewChunks, type PublishedEntry, type PublishedTableStore, type StoredChunk } from './store.ts';

// The item attributes the router reads (router/contracts/dynamodb-keys.ts). Not `expires_at`: that name
// is the table's TTL attribute (fleet heartbeats), and DynamoDB would delete items carrying it.
const ENVELOPE = TABLE_ITEM.envelope;
const VERSION = TABLE_ITEM.version;
const PUBLISHED_AT = TABLE_ITEM.publishedAt;
/** DynamoDB's item size limit: a bigger envelope cannot be stored at all. */
export const DYNAMODB_ITEM_LIMIT = 400 * 1024;

type Item = Record<string, AttributeValue>;

export class DynamoDbTableStore implements PublishedTableStore {
  readonly description: string;
  readonly tableId: string;
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly now: () => number;

  constructor(client: DynamoDBClient, table: string, tableId: string, now: () => number) {
    this.client = client;
    this.table = table;
    this.tableId = tableId;
    this.now = now;
    this.description = `dynamodb://${table}/${tableId}`;
  }

  private get pk(): string {
    return tablePartitionKey(this.tableId);
  }

  async latest(): Promise<PublishedEntry | undefined> {
    return this.getItem(SORT_KEY.latest);
  }

  async get(version: number): Promise<PublishedEntry | undefined> {
    return this.getItem(historySortKey(version));
  }

  async history(limit: number): Promise<PublishedEntry[]> {
    const entries: PublishedEntry[] = [];
    // A page holds at most 1 MB: big envelopes (or `table gc`, which needs every version) take several.
    for await (const items of this.pagesUnder(SORT_KEY.history, () => ({ ScanIndexForward: false, Limit: limit - entries.length }))) {
      entries.push(...items.map((item) => this.entryOf(item)));
      if (entries.length >= limit) break;
    }
    return entries;
  }

  async publish(entry: PublishedEntry, previousVersion: number | undefined): Promise<void> {
    const size = Buffer.byteLength(entry.envelope, 'utf8');
    if (size > DYNAMODB_ITEM_LIMIT - 1024) {
      throw new CliError(
        'PASSAGE_TABLE_TOO_LARGE',
        `the envelope is ${size} bytes; a DynamoDB item holds at most ${DYNAMODB_ITEM_LIMIT} (with its keys), nothing was written: publish the routes file with --key (signed and chunked here), or sign it chunked with \`passagectl table sign FILE --out ENVELOPE\` and publish ENVELOPE`,
      );
    }
    const publishedAt = new Date(this.now()).toISOString();
    const attributes: Item = {
      pk: { S: this.pk },
      [ENVELOPE]: { S: entry.envelope },
      [VERSION]: { N: String(entry.version) },
      [PUBLISHED_AT]: { S: publishedAt },
    };
    try {
      await this.call(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { ...attributes, sk: { S: historySortKey(entry.version) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new PublishConflictError(entry.version);
      throw err;
    }
    try {
      await this.call(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { ...attributes, sk: { S: SORT_KEY.latest } },
            ...(previousVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: '#v = :prev', ExpressionAttributeNames: { '#v': VERSION }, ExpressionAttributeValues: { ':prev': { N: String(previousVersion) } } }),
          }),
        ),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      await this.removeOwnHistoryItem(entry);
      const winner = await this.latest();
      throw new PublishConflictError(winner?.version);
    }
  }

  async putChunks(chunks: readonly TableChunk[]): Promise<number> {
    const publishedAt = new Date(this.now()).toISOString();
    const write = (chunk: TableChunk, createOnly: boolean) =>
      this.call(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: { S: this.pk }, sk: { S: chunkSortKey(chunk.ref.sha256) }, [CHUNK_ITEM.chunk]: { S: chunk.bytes.toString('utf8') }, [PUBLISHED_AT]: { S: publishedAt } },
            // Content-addressed: an existing item already holds these bytes (rewritten, its time now).
            ...(createOnly ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
          }),
        ),
      );
    return writeNewChunks(chunks, (chunk) => write(chunk, true), isConditionFailure, (chunk) => write(chunk, false));
  }

  async statChunk(sha256: string): Promise<StoredChunk | undefined> {
    const out = await this.call(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: chunkSortKey(sha256) } },
          ConsistentRead: true,
          ProjectionExpression: 'sk, #p',
          ExpressionAttributeNames: { '#p': PUBLISHED_AT },
        }),
      ),
    );
    if (out.Item === undefined) return undefined;
    const at = Date.parse(out.Item[PUBLISHED_AT]?.S ?? '');
    return { sha256, writtenAt: Number.isNaN(at) ? undefined : at };
  }

  async readChunk(sha256: string): Promise<Buffer | undefined> {
    const out = await this.call(() =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: this.pk }, sk: { S: chunkSortKey(sha256) } }, ConsistentRead: true })),
    );
    const text = out.Item?.[CHUNK_ITEM.chunk]?.S;
    return text === undefined ? undefined : Buffer.from(text, 'utf8');
  }

  async listChunks(): Promise<StoredChunk[]> {
    const chunks: StoredChunk[] = [];
    for await (const items of this.pagesUnder(SORT_KEY.chunk, () => ({ ProjectionExpression: 'sk, #p', ExpressionAttributeNames: { '#p': PUBLISHED_AT } }))) {
      for (const item of items) {
        const sha256 = item.sk?.S?.slice(SORT_KEY.chunk.length);
        const at = Date.parse(item[PUBLISHED_AT]?.S ?? '');
        if (sha256 !== undefined) chunks.push({ sha256, writtenAt: Number.isNaN(at) ? undefined : at });
      }
    }
    return chunks;
  }

  /** This table's items whose sort key starts with `prefix`, one Query page at a time. */
  private async *pagesUnder(prefix: string, options: () => Partial<QueryCommandInput>): AsyncGenerator<Record<string, AttributeValue>[]> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': { S: this.pk }, ':prefix': { S: prefix } },
            ...options(),
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        ),
      );
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async deleteChunk(sha256: string): Promise<void> {
    await this.call(() => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: this.pk }, sk: { S: chunkSortKey(sha256) } } })));
  }

  /** Deletes only the history item this publish wrote (same envelope), never someone else's. */
  private async removeOwnHistoryItem(entry: PublishedEntry): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: this.pk }, sk: { S: historySortKey(entry.version) } },
          ConditionExpression: '#e = :mine',
          ExpressionAttributeNames: { '#e': ENVELOPE },
          ExpressionAttributeValues: { ':mine': { S: entry.envelope } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  private async getItem(sk: string): Promise<PublishedEntry | undefined> {
    // Strongly consistent: a publisher must diff and race against the newest LATEST, not a stale copy.
    const out = await this.call(() =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: this.pk }, sk: { S: sk } }, ConsistentRead: true })),
    );
    return out.Item === undefined ? undefined : this.entryOf(out.Item);
  }

  private entryOf(item: Item): PublishedEntry {
    const envelope = item[ENVELOPE]?.S;
    const version = Number(item[VERSION]?.N);
    if (envelope === undefined || !Number.isSafeInteger(version)) {
      throw new CliError('PASSAGE_STORE_BAD_ITEM', `${this.description}: item ${item.sk?.S ?? '?'} lacks "${ENVELOPE}" or "${VERSION}"`);
    }
    const publishedAt = item[PUBLISHED_AT]?.S;
    return { version, envelope, ...(publishedAt === undefined ? {} : { publishedAt }) };
  }

  /** AWS-side failures (no table, no credentials, unreachable) are expected: one line, no stack. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConditionFailure(err)) throw err;
      if ((err as { name?: string }).name === 'ResourceNotFoundException') throw new CliError('PASSAGE_STORE_NOT_FOUND', `${this.description}: DynamoDB table "${this.table}" does not exist`);
      throw describeFailure(this.description, err, 'PASSAGE_STORE_UNREACHABLE');
    }
  }
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException';
}
