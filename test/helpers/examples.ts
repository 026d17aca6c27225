// Validity checks for the example files an operator edits (passage.toml, routes.toml,
// passage.regions.toml): they load and they synth. Nothing here reads a value out of them to compare
// against; tests that need particular values use test/fixtures/.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { loadRegionsFile } from '../../router/contracts/regions-file.ts';
import { controlPlaneStackName, edgeStackName, regionStackName, accessStackName } from '../../router/contracts/stacks.ts';
import { parseConfigText } from '../../router/config/load.ts';
import { parsePublicKeyPem } from '../../router/table/keys.ts';

const run = promisify(execFile);
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const EXAMPLE_FILES = ['passage.toml', 'routes.toml', 'passage.regions.toml'] as const;

export interface SynthResult {
  readonly code: number;
  readonly stderr: string;
}

/**
 * Runs infra/bin/app.ts as `npx cdk synth` does: offline, no credentials, into `outDir`. With `image`
 * (a pushed image reference) the Dockerfile is not staged as an asset, which saves most of the time.
 */
export async function synth(regionsFile: string, outDir: string, image?: string): Promise<SynthResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_OUTDIR: outDir, PASSAGE_REGIONS_FILE: regionsFile, AWS_ACCESS_KEY_ID: '', AWS_PROFILE: 'passage-test-none' };
  delete env.PASSAGE_IMAGE;
  delete env.PASSAGE_AWS_ACCOUNT;
  if (image !== undefined) env.PASSAGE_IMAGE = image;
  try {
    const { stderr } = await run(process.execPath, ['infra/bin/app.ts'], { cwd: REPO_ROOT, env, timeout: 90_000 });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? String(error) };
  }
}

/** The files each region's router task is started with (the PASSAGE_FILES of its task definition). */
export async function renderedFiles(outDir: string, stackName: string): Promise<Record<string, string>> {
  const template = JSON.parse(await readFile(join(outDir, `${stackName}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string; Properties: any }> };
  const [taskDef] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  assert.ok(taskDef, `${stackName} has a task definition`);
  const env = taskDef.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: unknown }[];
  const value = env.find((e) => e.Name === 'PASSAGE_FILES')?.Value;
  assert.equal(typeof value, 'string', `${stackName}: PASSAGE_FILES is a literal`);
  return JSON.parse(value as string) as Record<string, string>;
}

/**
 * A successful synth of `regionsFile`: every stack the file names is in the assembly, and every region's
 * router config loads with the router's own loader, its trusted keys present and parseable.
 */
export async function assertSynthesized(regionsFile: string, outDir: string): Promise<void> {
  const regions = await loadRegionsFile(regionsFile);
  const expected = [accessStackName(regions.tableId), edgeStackName(regions.tableId), controlPlaneStackName(regions.tableId), ...regions.regions.map((r) => regionStackName(regions.tableId, r.name))];
  const manifest = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string }> };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack').map(([id]) => id);
  assert.deepEqual(stacks.sort(), [...expected].sort());
  for (const region of regions.regions) {
    const stack = regionStackName(regions.tableId, region.name);
    const files = await renderedFiles(outDir, stack);
    const configPath = Object.keys(files).find((p) => p.endsWith('/passage.toml'));
    assert.ok(configPath, `${stack} renders a passage.toml`);
    const config = parseConfigText(files[configPath], configPath, {});
    assert.equal(config.table.id, regions.tableId, stack);
    assert.equal(config.table.dynamodb.region, region.name, stack);
    assert.ok(config.table.publicKeys.length > 0, `${stack} trusts a key`);
    for (const key of config.table.publicKeys) {
      assert.ok(files[key] !== undefined, `${stack}: ${key} is written to the task`);
      parsePublicKeyPem(files[key], key);
    }
  }
}

/** Asset directories holding a Dockerfile (the router image built from the repo). */
export async function dockerAssets(outDir: string): Promise<string[][]> {
  const docker: string[][] = [];
  for (const dir of (await readdir(outDir)).filter((f) => f.startsWith('asset.'))) {
    const files = await readdir(join(outDir, dir));
    if (files.includes('Dockerfile')) docker.push(files.sort());
  }
  return docker;
}

/**
 * What docs/AWS.md tells a new operator to do first: `npx passagectl keys generate --out keys`, then
 * list the public key in `public_keys`. Edits the regions file (a copy) in place.
 */
export async function addGeneratedKey(regionsFile: string): Promise<void> {
  const { run: keysGenerate } = await import('../../cli/commands/keys-generate.ts');
  const { fakeContext } = await import('./tables.ts');
  const dir = dirname(regionsFile);
  await keysGenerate({ out: join(dir, 'keys') }, fakeContext());
  const text = await readFile(regionsFile, 'utf8');
  const line = 'public_keys = ["keys/passage-signing.pub"]';
  await writeFile(regionsFile, /^public_keys\s*=.*$/m.test(text) ? text.replace(/^public_keys\s*=.*$/m, line) : `${line}\n${text}`);
}
