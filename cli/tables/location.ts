// Where published tables live, as operators write it on the command line:
//   dynamodb://TABLE/ID?region=R[&endpoint=URL]   s3://BUCKET[/KEY]?region=R[&endpoint=URL]
//   file://PATH   https://HOST/PATH (read-only)

import { DEFAULT_S3_KEY } from '../../router/contracts/stacks.ts';
import { CHUNKS_SEGMENT } from '../../router/table/chunk-keys.ts';
import { UsageError } from '../context.ts';

export type TableLocation =
  | { readonly kind: 'dynamodb'; readonly table: string; readonly tableId: string; readonly region: string; readonly endpoint: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly region: string; readonly endpoint: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'http'; readonly url: string };

const FORMS = 'dynamodb://TABLE/ID?region=REGION, s3://BUCKET/KEY?region=REGION, file://PATH or https://HOST/PATH';

/** The object `s3://BUCKET` (no key) means (shared with the CDK stack that serves it). */
export { DEFAULT_S3_KEY };

export function parseLocation(text: string, env: Readonly<Record<string, string | undefined>> = process.env): TableLocation {
  if (text.startsWith('file://')) {
    const path = text.slice('file://'.length);
    if (path === '') throw new UsageError(`"${text}": file:// needs a path, like file://./table.json or file:///srv/table.json`);
    return { kind: 'file', path };
  }
  if (text.startsWith('http://') || text.startsWith('https://')) return { kind: 'http', url: text };
  if (text.startsWith('s3://')) return parseS3Location(text, env);
  if (!text.startsWith('dynamodb://')) throw new UsageError(`"${text}" is not a table location; use ${FORMS}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a valid URL; use ${FORMS}`);
  }
  const table = decodeURIComponent(url.hostname);
  const tableId = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (table === '' || tableId === '' || tableId.includes('/')) throw new UsageError(`"${text}": expected dynamodb://TABLE/ID, like dynamodb://passage/prod?region=eu-west-1`);
  return { kind: 'dynamodb', table, tableId, ...awsParameters(text, url, env) };
}

function parseS3Location(text: string, env: Readonly<Record<string, string | undefined>>): TableLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a valid URL; use s3://BUCKET/KEY?region=REGION`);
  }
  const bucket = decodeURIComponent(url.hostname);
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(`"${text}": expected s3://BUCKET/KEY with a valid bucket name, like s3://passage-tables/table.json?region=eu-west-1`);
  }
  if (path.endsWith('/') || path.split('/').some((part, i, all) => part === '' && i < all.length - 1)) {
    throw new UsageError(`"${text}": KEY must name an object, like s3://${bucket}/tables/table.json`);
  }
  // Chunk objects are KEY.chunks/…, and the publisher role may delete exactly the objects named so.
  if (path.includes(CHUNKS_SEGMENT)) throw new UsageError(`"${text}": KEY must not contain "${CHUNKS_SEGMENT}" (chunked tables keep their chunks under KEY${CHUNKS_SEGMENT})`);
  return { kind: 's3', bucket, key: path === '' ? DEFAULT_S3_KEY : path, ...awsParameters(text, url, env) };
}

/** `?region=R&endpoint=URL`, shared by dynamodb:// and s3://; the region defaults to AWS_REGION. */
function awsParameters(text: string, url: URL, env: Readonly<Record<string, string | undefined>>): { region: string; endpoint: string } {
  for (const key of url.searchParams.keys()) {
    if (key !== 'region' && key !== 'endpoint') throw new UsageError(`"${text}": unknown parameter "${key}" (known: region, endpoint)`);
  }
  const region = url.searchParams.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') throw new UsageError(`"${text}": add ?region=REGION (or set AWS_REGION)`);
  return { region, endpoint: url.searchParams.get('endpoint') ?? '' };
}
