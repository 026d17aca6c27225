// Where a chunked table's chunks live in S3, files and HTTP, for the router (reading) and passagectl
// (writing). Chunks are immutable and named by their SHA-256, so every store keeps them beside the
// latest table, shared by all versions. Their DynamoDB keys (CHUNK#<sha256>) are in the one key layout,
// router/contracts/dynamodb-keys.ts.

/** What follows KEY in the name of every chunk object; a KEY must not hold it (cli/tables/location.ts refuses one). */
export const CHUNKS_SEGMENT = '.chunks/';

/** An IAM resource pattern matching every chunk object of every KEY in a bucket, and no latest or history object. */
export const CHUNK_OBJECT_PATTERN = `*${CHUNKS_SEGMENT}*`;

/** S3 and files: `KEY.chunks/<sha256>.json` next to `KEY` (the latest) and `KEY.history/`. */
export function chunkObjectKey(latestKey: string, sha256: string): string {
  return `${chunkPrefix(latestKey)}${sha256}.json`;
}

export function chunkPrefix(latestKey: string): string {
  return `${latestKey}${CHUNKS_SEGMENT}`;
}

/** HTTP: the chunk URL beside the table URL, keeping its query (the CDK endpoint's `passage_token`). */
export function chunkUrl(tableUrl: string, sha256: string): string {
  const url = new URL(tableUrl);
  url.pathname = chunkObjectKey(url.pathname, sha256);
  return url.href;
}

/** The sha256 a chunk object name ends in, or undefined for any other name. */
export function chunkHashOf(name: string): string | undefined {
  const match = /([0-9a-f]{64})\.json$/.exec(name);
  return match?.[1];
}
