// Runs the CDK CLI (`npx cdk`, aws-cdk 2.1148.1: the version that reads aws-cdk-lib 2.276's assemblies)
// as a child process. Synth once into cdk.out, then diff and deploy that same assembly (`--app cdk.out`),
// so what was shown is what gets deployed.

import { spawn } from 'node:child_process';
import { CliError } from '../context.ts';

export interface CdkOptions {
  /** `-c key=value` context (e.g. `image`). */
  readonly context: Readonly<Record<string, string>>;
  /** Extra environment (PASSAGE_REGIONS_FILE). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A plan (`--dry-run`): diff the templates only, through the bootstrap lookup role, instead of a
   * change set through the deploy role, so the read-only plan role can run it (docs/AWS.md, "Access").
   */
  readonly readOnly?: boolean;
}

/** `cdk diff` arguments: a plan compares templates; a deploy's diff may use a change set (CDK's default). */
export function diffArgs(stacks: readonly string[], opts: Pick<CdkOptions, 'readOnly'>): string[] {
  return ['diff', '--app', ASSEMBLY_DIR, ...(opts.readOnly ? ['--method', 'template'] : []), ...stacks];
}

export interface CdkDiff {
  readonly changes: boolean;
  readonly text: string;
}

/** What the deploy needs from CDK; tests pass a fake. */
export interface CdkRunner {
  synth(opts: CdkOptions): Promise<void>;
  diff(stacks: readonly string[], opts: CdkOptions): Promise<CdkDiff>;
  /** Deploys and writes the stacks' outputs to `outputsFile` (`--outputs-file`). Throws CdkFailedError. */
  deploy(stacks: readonly string[], opts: CdkOptions & { readonly outputsFile: string }): Promise<void>;
}

export const ASSEMBLY_DIR = 'cdk.out';

export class CdkFailedError extends CliError {
  readonly output: string;
  constructor(command: string, exitCode: number | null, output: string) {
    const tail = output.trim().split('\n').slice(-15).join('\n');
    super('PASSAGE_CDK_FAILED', `cdk ${command} failed (exit ${exitCode}):\n${tail}`);
    this.name = 'CdkFailedError';
    this.output = output;
  }
}

interface Result {
  readonly code: number | null;
  readonly output: string;
}

function run(args: readonly string[], opts: CdkOptions, signal?: AbortSignal): Promise<Result> {
  const context = Object.entries(opts.context).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'cdk', ...args, ...context], {
      env: { ...process.env, ...opts.env, CI: 'true', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** `cdk diff` prints "Number of stacks with differences: N" (N = 0 when nothing changes). */
export function parseDiffOutput(output: string): boolean | undefined {
  const m = /Number of stacks with differences:\s*(\d+)/.exec(output);
  if (m) return Number(m[1]) > 0;
  if (/There were no differences/.test(output)) return false;
  return undefined;
}

export function cdkCli(signal?: AbortSignal): CdkRunner {
  return {
    async synth(opts) {
      const r = await run(['synth', '--quiet', '--output', ASSEMBLY_DIR], opts, signal);
      if (r.code !== 0) throw new CdkFailedError('synth', r.code, r.output);
    },
    async diff(stacks, opts) {
      const r = await run(diffArgs(stacks, opts), opts, signal);
      const changes = parseDiffOutput(r.output);
      if (changes === undefined) throw new CdkFailedError('diff', r.code, r.output);
      return { changes, text: r.output };
    },
    async deploy(stacks, opts) {
      const r = await run(['deploy', '--app', ASSEMBLY_DIR, '--require-approval', 'never', '--progress', 'events', '--outputs-file', opts.outputsFile, ...stacks], opts, signal);
      if (r.code !== 0) throw new CdkFailedError('deploy', r.code, r.output);
    },
  };
}
