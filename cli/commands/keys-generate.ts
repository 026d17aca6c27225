// `passagectl keys generate --out DIR`: a new Ed25519 signing key pair. The private key is created 0600
// and never overwritten; the public key (.pub) is what routers list in table.public_keys.

import type { Command } from 'commander';
import { writeKeyPair } from '../../router/table/keys.ts';
import { emit, type CliContext, type Runner } from '../context.ts';

export interface KeysGenerateOptions {
  readonly out: string;
}

export async function run(opts: KeysGenerateOptions, ctx: CliContext): Promise<void> {
  const written = await writeKeyPair(opts.out);
  emit(ctx, written, () =>
    [
      `key id      ${written.keyid}`,
      `private key ${written.privateKeyPath} (0600: keep it secret; sign with --key ${written.privateKeyPath})`,
      `public key  ${written.publicKeyPath} (add it to table.public_keys on every router)`,
      '',
    ].join('\n'),
  );
}

export function register(program: Command, runner: Runner): void {
  program
    .command('keys')
    .description('Ed25519 keys that sign routing tables')
    .command('generate')
    .description('write a new signing key pair (private key 0600, never overwritten)')
    .requiredOption('--out <dir>', 'directory for passage-signing.key and passage-signing.pub')
    .action((flags: { out: string }, command: Command) => runner(command, (ctx) => run({ out: flags.out }, ctx)));
}
