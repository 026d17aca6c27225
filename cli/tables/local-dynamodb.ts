// An in-memory DynamoDB (dynalite) on loopback, for `passagectl dev` and tests. It speaks the real
// DynamoDB API, so the router and the publisher run unchanged against it.

import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

const require = createRequire(import.meta.url);

export interface LocalDynamoDb extends AsyncDisposable {
  readonly endpoint: string;
  /** Closes the server and its connections; disposal does the same. */
  close(): Promise<void>;
}

export async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  const dynalite = require('dynalite') as (opts: { createTableMs: number }) => Server;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { endpoint: `http://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}

/** The table layout infra/ creates (pk/sk strings), ready to publish to. */
export async function createRoutingTableStore(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // dynalite's waits are milliseconds; the SDK's default minimum delay is 20 s.
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
}
