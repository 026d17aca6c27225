// `passagectl regions list|add|remove`: read and edit passage.regions.toml (router/contracts/regions-file.ts
// keeps the operator's comments and validates the result before writing).

import type { Command } from 'commander';
import {
  addRegionToFile,
  formatLocation,
  loadRegionsFile,
  REGIONS_FILE_NAME,
  removeRegionFromFile,
  type NewRegion,
  type RegionsFile,
} from '../../router/contracts/regions-file.ts';
import { PassageError } from '../../router/errors.ts';
import { CliError, EXIT_FAILURE, emit, UsageError, type CliContext, type Runner } from '../context.ts';

/** cli/aws errors (PassageErrors with a stable `PASSAGE_*` code) print as one line, no stack. */
export function asCliError(err: unknown): unknown {
  if (err instanceof PassageError && !(err instanceof CliError)) return new CliError(err.code, err.message, undefined, { cause: err });
  return err;
}

export async function expected<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw asCliError(err);
  }
}

function summary(file: RegionsFile) {
  return {
    homeRegion: file.homeRegion,
    defaultRegion: file.defaultRegion,
    domain: file.domain,
    tableId: file.tableId,
    regions: file.regions.map((r) => ({ name: r.name, locations: r.locations.map(formatLocation), desiredCount: r.desiredCount, maxCount: r.maxCount, cpu: r.cpu, memory: r.memory })),
  };
}

function renderRegions(file: RegionsFile): string {
  const rows = file.regions.map((r) => {
    const roles = [r.name === file.homeRegion ? 'home' : '', r.name === file.defaultRegion ? 'default (*)' : ''].filter(Boolean).join(', ');
    return [r.name, r.locations.map(formatLocation).join(' ') || '-', `${r.desiredCount}…${r.maxCount}`, `${r.cpu}/${r.memory}`, roles];
  });
  const header = ['REGION', 'LOCATIONS', 'TASKS', 'CPU/MEM', 'ROLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${file.domain} (table ${file.tableId})\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export async function list(opts: { readonly file: string }, ctx: CliContext): Promise<void> {
  const file = await expected(loadRegionsFile(opts.file));
  emit(ctx, summary(file), () => renderRegions(file));
}

export async function add(opts: { readonly file: string; readonly region: NewRegion }, ctx: CliContext): Promise<void> {
  const file = await expected(addRegionToFile(opts.file, opts.region));
  emit(ctx, { ok: true, added: opts.region.name, ...summary(file) }, () => `added ${opts.region.name} to ${opts.file}; deploy it with \`npx passagectl deploy --all-regions\` (the control plane gains a replica), then \`npx passagectl dns apply\`\n`);
}

export async function remove(opts: { readonly file: string; readonly name: string }, ctx: CliContext): Promise<void> {
  const file = await expected(removeRegionFromFile(opts.file, opts.name));
  emit(ctx, { ok: true, removed: opts.name, ...summary(file) }, () => `removed ${opts.name} from ${opts.file}; run \`npx passagectl dns apply\` first so no player is sent there, then delete its stack\n`);
}

function codes(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function int(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new UsageError(`${flag}: expected an integer, got "${value}"`);
    return n;
  };
}

export function register(program: Command, runner: Runner): void {
  const regions = program.command('regions').description('list, add and remove regions in passage.regions.toml');
  regions
    .command('list')
    .description('show the regions, their GeoDNS locations and sizes')
    .option('--file <path>', 'regions file', REGIONS_FILE_NAME)
    .action((flags: { file: string }, command: Command) => runner(command, (ctx) => list({ file: flags.file }, ctx)));
  regions
    .command('add')
    .description('append a [regions.<name>] table (validated before writing)')
    .argument('<aws-region>', 'e.g. sa-east-1')
    .option('--continents <codes>', 'GeoDNS continents: AF AN AS EU NA OC SA (comma-separated or repeated)', codes)
    .option('--countries <codes>', 'ISO countries ("DE") or subdivisions ("US-CA") (comma-separated or repeated)', codes)
    .option('--desired-count <n>', 'tasks at rest (default 2)', int('--desired-count'))
    .option('--max-count <n>', 'autoscaling ceiling (default 4 × desired)', int('--max-count'))
    .option('--cpu <units>', 'Fargate CPU units (default 512)', int('--cpu'))
    .option('--memory <mib>', 'Fargate memory in MiB (default: the smallest for the CPU)', int('--memory'))
    .option('--file <path>', 'regions file', REGIONS_FILE_NAME)
    .action((name: string, flags: { file: string; continents?: string[]; countries?: string[]; desiredCount?: number; maxCount?: number; cpu?: number; memory?: number }, command: Command) =>
      runner(command, (ctx) => {
        const region: NewRegion = {
          name,
          ...(flags.continents ? { continents: flags.continents } : {}),
          ...(flags.countries ? { countries: flags.countries } : {}),
          ...(flags.desiredCount === undefined ? {} : { desiredCount: flags.desiredCount }),
          ...(flags.maxCount === undefined ? {} : { maxCount: flags.maxCount }),
          ...(flags.cpu === undefined ? {} : { cpu: flags.cpu }),
          ...(flags.memory === undefined ? {} : { memory: flags.memory }),
        };
        return add({ file: flags.file, region }, ctx);
      }),
    );
  regions
    .command('remove')
    .description('delete a [regions.<name>] table (not the home or default region)')
    .argument('<aws-region>')
    .option('--file <path>', 'regions file', REGIONS_FILE_NAME)
    .action((name: string, flags: { file: string }, command: Command) => runner(command, (ctx) => remove({ file: flags.file, name }, ctx)));
}
