// Where published tables live, as operators write it on the command line:
//   dynamodb://TABLE/ID?region=R[&endpoint=URL]   file://PATH   https://HOST/PATH (read-only)

import { UsageError } from '../context.ts';

export type TableLocation =
  | { readonly kind: 'dynamodb'; readonly table: string; readonly tableId: string; readonly region: string; readonly endpoint: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'http'; readonly url: string };

const FORMS = 'dynamodb://TABLE/ID?region=REGION, file://PATH or https://HOST/PATH';

export function parseLocation(text: string, env: Readonly<Record<string, string | undefined>> = process.env): TableLocation {
  if (text.startsWith('file://')) {
    const path = text.slice('file://'.length);
    if (path === '') throw new UsageError(`"${text}": file:// needs a path, like file://./table.json or file:///srv/table.json`);
    return { kind: 'file', path };
  }
  if (text.startsWith('http://') || text.startsWith('https://')) return { kind: 'http', url: text };
  if (text.startsWith('s3://')) {
    throw new UsageError(`"${text}": s3:// is not supported by this build of passagectl (it needs @aws-sdk/client-s3); publish to file:// and upload that file, or use dynamodb://`);
  }
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
  for (const key of url.searchParams.keys()) {
    if (key !== 'region' && key !== 'endpoint') throw new UsageError(`"${text}": unknown parameter "${key}" (known: region, endpoint)`);
  }
  const region = url.searchParams.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') throw new UsageError(`"${text}": add ?region=REGION (or set AWS_REGION)`);
  return { kind: 'dynamodb', table, tableId, region, endpoint: url.searchParams.get('endpoint') ?? '' };
}
