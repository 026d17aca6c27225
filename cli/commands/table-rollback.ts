// `passagectl table rollback VERSION --from LOCATION --key K`: republishes the routes of an old version
// under a new, higher version (routers only ever move forward, and history stays append-only).

import type { Command } from 'commander';
import { CliError, collect, emit, parseExpiry, type CliContext, type Runner } from '../context.ts';
import { CHUNKED_PUBLISH_THRESHOLD_BYTES } from '../../router/table/manifest.ts';
import { signForPublish } from '../tables/chunked-publish.ts';
import { readPublished } from '../tables/document.ts';
import { parseLocation } from '../tables/location.ts';
import { openStore } from '../tables/store.ts';
import { REGIONS_FILE_NAME } from '../../router/contracts/regions-file.ts';
import { checkPublishable, type PublishTrust } from '../tables/trust.ts';
import { chunkNote, publishEnvelope, trustFrom } from './table-publish.ts';
import { parseVersionArgument } from './table-show.ts';

export interface TableRollbackOptions {
  readonly version: number;
  readonly from: string;
  readonly keys: readonly string[];
  readonly expiresInMs: number;
  /** As for publish: the new version must verify with a key the target routers trust. */
  readonly trust: PublishTrust;
  readonly force: boolean;
  readonly chunkAboveBytes?: number;
}

export async function run(opts: TableRollbackOptions, ctx: CliContext): Promise<void> {
  const store = openStore(parseLocation(opts.from), ctx);
  const [old, latest] = await Promise.all([store.get(opts.version), store.latest()]);
  if (old === undefined) throw new CliError('PASSAGE_NOT_PUBLISHED', `${store.description}: no version ${opts.version} in the history`);
  if (latest === undefined) throw new CliError('PASSAGE_NOT_PUBLISHED', `${store.description}: nothing published yet`);
  if (latest.version === opts.version) throw new CliError('PASSAGE_ROLLBACK_NOOP', `version ${opts.version} is already the latest`);
  const { document } = await readPublished(store, old.envelope, `${store.description} version ${opts.version}`);
  // Fresh issued_at/expires_at: the old ones may have expired, and routers must see a new version.
  const next = { ...document, version: latest.version + 1 };
  // The same format rule as publish; a chunked table's unchanged chunks are already stored (0 written).
  const envelope = await signForPublish(next, opts.keys, opts.expiresInMs, ctx.now(), `version ${opts.version}`, opts.chunkAboveBytes ?? CHUNKED_PUBLISH_THRESHOLD_BYTES);
  await checkPublishable(envelope, opts.trust, opts.force, ctx);
  const result = await publishEnvelope(store, envelope);
  emit(ctx, { ...result, rolledBackTo: opts.version }, () => `rolled back: published the routes of version ${opts.version} as ${result.tableId}@${result.version} (was ${result.previousVersion})${chunkNote(result)}\n`);
}

export function register(table: Command, runner: Runner): void {
  table
    .command('rollback')
    .description('republish an older version\'s routes as a new, higher version')
    .argument('<version>', 'the version whose routes to restore')
    .requiredOption('--from <location>', 'dynamodb://TABLE/ID?region=R, s3://BUCKET/KEY?region=R or file://PATH')
    .requiredOption('--key <file>', 'private signing key (repeatable)', collect)
    .option('--expires <duration>', 'validity of the new version', '7d')
    .option('--regions-file <path>', 'the target environment: its public_keys and table_id are what the routers accept', REGIONS_FILE_NAME)
    .option('--public-key <file>', 'trust these public keys instead of the regions file\'s (repeatable)', collect)
    .option('--force', 'publish even if the target routers would refuse the table')
    .action((version: string, flags: { from: string; key: string[]; expires: string; regionsFile: string; publicKey?: string[]; force?: boolean }, command: Command) =>
      runner(command, (ctx) =>
        run({ version: parseVersionArgument(version, 'VERSION'), from: flags.from, keys: flags.key, expiresInMs: parseExpiry(flags.expires), trust: trustFrom(flags), force: flags.force === true }, ctx),
      ),
    );
}
