// The example files an operator forks and edits (passage.toml, routes.toml, passage.regions.toml) are
// checked for validity only: they load, the router serves them, they synth. No test compares a value
// out of them, so the edits the README and the welcome MOTD ask for never break `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pino } from 'pino';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { addRegion, loadRegionsFile, parseRegionsFile, removeRegion } from '../../router/contracts/regions-file.ts';
import { run as deploy } from '../../cli/commands/deploy.ts';
import { run as validateTable } from '../../cli/commands/table-validate.ts';
import type { CdkRunner } from '../../cli/deploy/cdk.ts';
import type { DeployCloud } from '../../cli/deploy/cloud.ts';
import { startPassage } from '../../router/app.ts';
import { loadConfigFile } from '../../router/config/load.ts';
import { loadTableFile } from '../../router/routing/file-source.ts';
import { addGeneratedKey, assertSynthesized, EXAMPLE_FILES, REPO_ROOT, synth } from '../helpers/examples.ts';
import { ping } from '../helpers/minecraft.ts';
import { fakeContext } from '../helpers/tables.ts';

const TEST_IMAGE = 'public.ecr.aws/example/passage:test';

/** Starts a router with `configFile` on port 0: it serves the server list and is ready. */
async function assertServes(configFile: string): Promise<void> {
  const config = loadConfigFile(configFile);
  const table = config.table.source === 'file' ? loadTableFile(config.table.path) : undefined;
  const running = await startPassage(config, { log: pino({ level: 'silent' }), listen: { host: '127.0.0.1', port: 0 }, adminListen: { host: '127.0.0.1', port: 0 } });
  try {
    const status = await ping(running.address.port, 'localhost', '1.21.4');
    assert.equal(typeof status.version?.protocol, 'number', 'a server-list answer');
    assert.equal((await fetch(`http://127.0.0.1:${running.adminAddress.port}/readyz`)).status, 200);
    if (table) assert.equal(running.router.ctx.tables.current?.table.version, table.version, 'serves the routes file');
  } finally {
    await running.stop(0);
  }
}

/** A copy of the repository's example files (and the files routes.toml refers to, such as its favicon). */
async function forkExamples(dir: string): Promise<void> {
  for (const name of EXAMPLE_FILES) await copyFile(join(REPO_ROOT, name), join(dir, name));
  const routes = parseToml(await readFile(join(dir, 'routes.toml'), 'utf8')) as { routes?: { status?: { favicon?: string } }[] };
  for (const route of routes.routes ?? []) {
    const favicon = route.status?.favicon;
    if (favicon === undefined || favicon.startsWith('data:') || !existsSync(join(REPO_ROOT, favicon))) continue;
    await mkdir(dirname(join(dir, favicon)), { recursive: true });
    await copyFile(join(REPO_ROOT, favicon), join(dir, favicon));
  }
}

async function editToml(file: string, edit: (doc: Record<string, any>) => void): Promise<void> {
  const doc = parseToml(await readFile(file, 'utf8')) as Record<string, any>;
  edit(doc);
  await writeFile(file, stringifyToml(doc));
}

/** `deploy --dry-run` with the real synth and a stub for everything that would talk to AWS. */
function synthOnlyCdk(outDir: string): CdkRunner & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async synth(o) {
      calls.push('synth');
      const result = await synth(o.env.PASSAGE_REGIONS_FILE!, outDir, o.context.image);
      assert.equal(result.code, 0, result.stderr);
    },
    async diff(stacks) {
      calls.push(`diff ${stacks.join(' ')}`);
      return { changes: true, text: 'Number of stacks with differences: 1\n' };
    },
    async deploy() {
      throw new Error('a dry run deploys nothing');
    },
  };
}

const noCloud: DeployCloud = {
  describeStack: async () => assert.fail('no AWS calls in a dry run'),
  rollService: async () => assert.fail('no AWS calls in a dry run'),
  describeService: async () => assert.fail('no AWS calls in a dry run'),
  heartbeatTableVersions: async () => assert.fail('no AWS calls in a dry run'),
};

test('the bundled passage.toml and routes.toml start a router that answers the server list and is ready', async () => {
  await assertServes(join(REPO_ROOT, 'passage.toml'));
});

test('the example files stay valid after an operator\'s edits: offline auth, a new target and version, another domain, a region added and one removed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'passage-fork-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await forkExamples(dir);

  // passage.toml: auth to offline.
  await editToml(join(dir, 'passage.toml'), (doc) => {
    doc.auth = { ...doc.auth, mode: 'offline' };
  });
  // routes.toml: a target added to the first route, and the version bumped (as the welcome MOTD asks).
  let version = 0;
  await editToml(join(dir, 'routes.toml'), (doc) => {
    const route = doc.routes[0];
    route.targets = [...(route.targets ?? []), { id: 'added-by-operator', address: '127.0.0.1:25599', priority: 1 }];
    doc.version = version = Number(doc.version) + 1;
  });
  // passage.regions.toml: another domain, a region added and one removed (with `passagectl regions`).
  const regionsFile = join(dir, 'passage.regions.toml');
  let text = await readFile(regionsFile, 'utf8');
  const before = parseRegionsFile(text);
  text = text.replace(/^domain\s*=\s*"[^"]*"/m, `domain = "mc.${before.hostedZone}"`);
  const added = ['eu-north-1', 'sa-east-1', 'ca-central-1', 'me-south-1'].find((name) => !before.regions.some((r) => r.name === name))!;
  const used = new Set(before.regions.flatMap((r) => r.locations.map((l) => (l.kind === 'subdivision' ? `${l.country}-${l.code}` : l.code))));
  const country = ['IS', 'NO', 'FI', 'SE', 'EE'].find((c) => !used.has(c));
  text = addRegion(text, { name: added, countries: country === undefined ? [] : [country], desiredCount: 1 });
  const removable = before.regions.find((r) => r.name !== before.homeRegion && r.name !== before.defaultRegion);
  if (removable) text = removeRegion(text, removable.name);
  await writeFile(regionsFile, text);
  const after = await loadRegionsFile(regionsFile);
  assert.equal(after.domain, `mc.${before.hostedZone}`);
  assert.ok(after.regions.some((r) => r.name === added));
  if (removable) assert.ok(!after.regions.some((r) => r.name === removable.name));
  // The step docs/AWS.md gives every new operator, when the file trusts no key yet.
  if (after.publicKeys.length === 0) await addGeneratedKey(regionsFile);

  // The router's config and routes still load and serve.
  assert.equal(loadConfigFile(join(dir, 'passage.toml')).auth.mode, 'offline');
  await assertServes(join(dir, 'passage.toml'));
  const validated = fakeContext({ json: true });
  await validateTable({ file: join(dir, 'routes.toml'), publicKeys: [] }, validated);
  assert.equal(JSON.parse(validated.out()).version, version);

  // `passagectl deploy --all-regions --dry-run`: checks every router config, synthesizes, diffs, deploys nothing.
  const out = join(dir, 'cdk.out');
  const cdk = synthOnlyCdk(out);
  const ctx = fakeContext({ json: true });
  const code = await deploy(
    { file: regionsFile, allRegions: true, image: TEST_IMAGE, dryRun: true, detailedExitcode: false, yes: false, detach: false, routes: 'routes.toml', listen: { host: '127.0.0.1', port: 0 }, delayMs: 0, hold: false },
    ctx,
    { cdk, cloud: noCloud },
  );
  assert.equal(code, 0, ctx.out());
  assert.equal(cdk.calls[0], 'synth');
  assert.equal(cdk.calls.length, 1 + 2 + (await loadRegionsFile(regionsFile)).regions.length, cdk.calls.join(', '));
  await assertSynthesized(regionsFile, out);
});

test('git ignores what the README\'s commands write (private keys, signed tables, the table cache) but not the public key', async (t) => {
  const git = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) =>
      execFile('git', args, { cwd: REPO_ROOT }, (error, stdout) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout })),
    );
  // A source tarball or a Docker build context has no repository to ask.
  if ((await git(['rev-parse', '--is-inside-work-tree'])).code !== 0) return t.skip('not a git checkout (or git is not installed)');
  // Exit 0: ignored; 1: not ignored. --no-index: the rule counts, whether or not a file is tracked.
  const ignored = async (path: string) => (await git(['check-ignore', '--no-index', '-q', path])).code === 0;
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const outs = [...readme.matchAll(/passagectl (keys generate|table sign) .*?--out (\S+)/g)].map((m) => ({ command: m[1], out: m[2]! }));
  assert.ok(outs.some((o) => o.command === 'keys generate') && outs.some((o) => o.command === 'table sign'), 'the README shows both commands');
  for (const { command, out } of outs) {
    if (command === 'keys generate') {
      assert.ok(await ignored(join(out, 'passage-signing.key')), `${out}passage-signing.key is ignored`);
      assert.equal(await ignored(join(out, 'passage-signing.pub')), false, `${out}passage-signing.pub can be committed (public_keys lists it)`);
    } else {
      assert.ok(await ignored(out), `${out} is ignored`);
    }
  }
  const cache = loadConfigFile(join(REPO_ROOT, 'passage.toml')).table.cacheFile;
  assert.ok(await ignored(relative(REPO_ROOT, cache)), `${cache} is ignored`);
});
