// `passagectl table validate FILE`: checks a routes file (TOML/JSON) or a signed envelope exactly as a
// router would; with --public-key, also the signature. Exit 0 valid, 1 invalid.

import type { Command } from 'commander';
import { readPublicKeyFile } from '../../router/table/keys.ts';
import { CliError, collect, emit, type CliContext, type Runner } from '../context.ts';
import { countTargets, readTableFile } from '../tables/document.ts';
import { verifiedKeyOf } from '../tables/trust.ts';

export interface TableValidateOptions {
  readonly file: string;
  /** Public key files; when given, an envelope's signature must verify with one of them. */
  readonly publicKeys: readonly string[];
}

export async function run(opts: TableValidateOptions, ctx: CliContext): Promise<void> {
  const local = await readTableFile(opts.file);
  let verifiedBy: string | undefined;
  if (local.kind === 'envelope' && opts.publicKeys.length > 0) {
    const keys = await Promise.all(opts.publicKeys.map((k) => readPublicKeyFile(k)));
    try {
      verifiedBy = verifiedKeyOf(local, keys, local.table.tableId, ctx.now());
    } catch (err) {
      throw new CliError((err as { code?: string }).code ?? 'ERR_TABLE_SIGNATURE', `${opts.file}: ${(err as Error).message}`);
    }
  } else if (local.kind === 'plain' && opts.publicKeys.length > 0) {
    throw new CliError('ERR_TABLE_UNSIGNED', `${opts.file}: not a signed envelope, so there is no signature to check`);
  }
  const { table } = local;
  const result = {
    ok: true,
    file: opts.file,
    signed: local.kind === 'envelope',
    tableId: table.tableId,
    version: table.version,
    routes: table.routes.length,
    targets: countTargets(table),
    ...(table.expiresAt === undefined ? {} : { expiresAt: new Date(table.expiresAt).toISOString() }),
    ...(local.kind === 'envelope' ? { keyids: local.keyids } : {}),
    ...(verifiedBy === undefined ? {} : { verifiedBy }),
  };
  emit(ctx, result, () => {
    const what = local.kind === 'envelope' ? `signed table (${verifiedBy === undefined ? `signature not checked; signed by ${local.keyids.join(', ')}` : `signature verified with key ${verifiedBy}`})` : 'routes file';
    return `${opts.file}: valid ${what}: ${table.tableId}@${table.version}, ${result.routes} routes, ${result.targets} targets\n`;
  });
}

export function register(table: Command, runner: Runner): void {
  table
    .command('validate')
    .description('check a routes file or a signed envelope as a router would')
    .argument('<file>', 'routes.toml, a JSON table, or a signed envelope (.json)')
    .option('--public-key <file>', 'also verify the envelope signature with this public key (repeatable)', collect)
    .action((file: string, flags: { publicKey?: string[] }, command: Command) =>
      runner(command, (ctx) => run({ file, publicKeys: flags.publicKey ?? [] }, ctx)),
    );
}
