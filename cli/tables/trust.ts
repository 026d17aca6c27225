// Before a table is published: would the routers of the target environment accept it? They trust the
// keys in the regions file's `public_keys` (or, for a hand-run fleet, the key files given) and only
// their own `table_id`; a table they refuse would still use up its version number. The check is the
// router's own verifyEnvelope, so publish and the routers cannot disagree. `--force` turns a refusal
// into a warning.

import type { KeyObject } from 'node:crypto';
import { DEFAULT_CLOCK_SKEW_MS, DEFAULT_MAX_TABLE_BYTES, verifyEnvelope } from '../../router/table/envelope.ts';
import { readPublicKeyFile } from '../../router/table/keys.ts';
import { TableError } from '../../router/table/errors.ts';
import { verifyManifestEnvelope } from '../../router/table/manifest.ts';
import { loadRegionsFile, PUBLIC_KEYS_HINT, readTrustedKeyFiles, RegionsFileError } from '../../router/contracts/regions-file.ts';

/** What publish lets a chunked table total (routers refuse more than their `[table] max_bytes`). */
const CHUNKED_TABLE_CHECK_BYTES = 256 * 1024 * 1024;
import { CliError, type CliContext } from '../context.ts';
import type { EnvelopeTable } from './document.ts';

/** Where the trusted keys come from: `--public-key` files, else the regions file (`--regions-file`). */
export type PublishTrust = { readonly publicKeys: readonly string[] } | { readonly regionsFile: string };

interface TrustAnchors {
  readonly keys: readonly KeyObject[];
  /** The routers' table id, when the source names one (the regions file does). */
  readonly tableId?: string;
  /** For messages: `passage.regions.toml public_keys` or the key files. */
  readonly source: string;
}

const FORCE_HINT = 'refusing to publish, nothing was written (--force publishes anyway)';

async function anchors(trust: PublishTrust): Promise<TrustAnchors> {
  if ('publicKeys' in trust) {
    const keys = await Promise.all(trust.publicKeys.map((k) => readPublicKeyFile(k)));
    return { keys, source: trust.publicKeys.join(', ') };
  }
  const file = trust.regionsFile;
  try {
    const regions = await loadRegionsFile(file);
    const keys = await readTrustedKeyFiles(file, regions);
    if (keys.length === 0) {
      throw new CliError(
        'PASSAGE_NO_TRUSTED_KEYS',
        `${file}: public_keys is empty, so the routers of this environment trust no key and would refuse every table; ${PUBLIC_KEYS_HINT}, or pass --public-key KEY.pub for routers configured by hand`,
      );
    }
    return { keys: keys.map((k) => k.key), tableId: regions.tableId, source: `${file} public_keys` };
  } catch (error) {
    if (!(error instanceof RegionsFileError)) throw error;
    const missing = error.key === '' && /does not exist/.test(error.message);
    const message = missing
      ? `${file} does not exist: publish checks the table against the keys the target routers trust; pass --regions-file FILE or --public-key KEY.pub`
      : (error.file === undefined ? error.inFile(file) : error).message;
    throw new CliError(error.code, message, undefined, { cause: error });
  }
}

/**
 * The key id that verifies `envelope` with the routers' own checks (throws their TableError). A chunked
 * table: its manifest (the chunks' total size is the routers' `max_bytes` to allow; the chunks were
 * checked against the manifest's hashes when they were read).
 */
export function verifiedKeyOf(envelope: EnvelopeTable, keys: readonly KeyObject[], expectedTableId: string, now: number): string {
  const opts = { maxBytes: DEFAULT_MAX_TABLE_BYTES, expectedTableId, now, skewMs: DEFAULT_CLOCK_SKEW_MS };
  if (envelope.manifest !== undefined) return verifyManifestEnvelope(envelope.envelopeText, keys, { ...opts, maxBytes: CHUNKED_TABLE_CHECK_BYTES }).keyid;
  return verifyEnvelope(envelope.envelopeText, keys, opts).keyid;
}

/**
 * Refuses (CliError, with the router's own error code) an envelope the target routers would refuse:
 * signed by no key they trust, another table id, expired. With `force`, warns on stderr instead.
 * Returns the key id that verified it (undefined when forced past a failed check).
 */
export async function checkPublishable(envelope: EnvelopeTable, trust: PublishTrust, force: boolean, ctx: CliContext): Promise<string | undefined> {
  let problem: CliError;
  try {
    const { keys, tableId, source } = await anchors(trust);
    try {
      return verifiedKeyOf(envelope, keys, tableId ?? envelope.table.tableId, ctx.now());
    } catch (error) {
      if (!(error instanceof TableError)) throw error;
      const what = `${envelope.table.tableId}@${envelope.table.version} (signed by ${envelope.keyids.join(', ')})`;
      throw new CliError(error.code, `the routers trusting ${source} would refuse ${what}: ${error.message}`, undefined, { cause: error });
    }
  } catch (error) {
    // A key file that is not a public key (ERR_TABLE_KEY) is the same kind of mistake.
    if (error instanceof TableError) problem = new CliError(error.code, error.message, undefined, { cause: error });
    else if (error instanceof CliError) problem = error;
    else throw error;
  }
  if (!force) throw new CliError(problem.code, `${problem.message}; ${FORCE_HINT}`, problem.exitCode, { cause: problem });
  ctx.stderr.write(`passagectl: warning: --force: publishing a table the target routers may refuse: ${problem.message}\n`);
  return undefined;
}
