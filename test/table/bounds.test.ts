// Every table-supplied value a player sees has a bound in the schema (issue 12, item 2): text fits
// the packets that carry it, and a route's status fits the String(32767) of the Status Response as a
// whole, favicon included. Loading is where a bad value is refused, once, with its path.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTableFile } from '../../router/routing/file-source.ts';
import { MAX_FAVICON_URI_CHARS, MAX_TEXT_CHARS, MAX_TEXT_DEPTH, MAX_VERSION_NAME_CHARS } from '../../router/table/bounds.ts';
import { TableValidationError, type TableProblem } from '../../router/table/errors.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { MAX_ADAPTER_URL_LENGTH } from '../../router/table/schema-adapters.ts';

function table(route: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { table_id: 'bounds', version: 1, routes: [{ id: 'main', hosts: ['play.test'], ...route }], ...extra };
}

function problemsOf(doc: unknown): TableProblem[] {
  try {
    parseRoutingTable(doc);
  } catch (err) {
    assert.ok(err instanceof TableValidationError, `expected TableValidationError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('the document was accepted');
}

function problemAt(doc: unknown, path: string): string {
  const found = problemsOf(doc).find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}: ${JSON.stringify(problemsOf(doc))}`);
  return found.message;
}

/** Bytes that pass the router's favicon check (PNG signature, IHDR 64×64), padded to `size`. */
function png(size: number): Buffer {
  const head = Buffer.alloc(24);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'latin1');
  head.writeUInt32BE(64, 16);
  head.writeUInt32BE(64, 20);
  return Buffer.concat([head, Buffer.alloc(size - head.length, 0x5a)]);
}

describe('text bounds', () => {
  it('a MOTD longer than a protocol string is refused with its path and the limit; one that fits is kept', () => {
    assert.match(problemAt(table({ status: { motd: 'x'.repeat(70_000) } }), 'routes[0].status.motd'), new RegExp(`limit is ${MAX_TEXT_CHARS}`));
    const fits = 'x'.repeat(30_000);
    assert.equal(parseRoutingTable(table({ status: { motd: fits } })).routes[0]!.status.motd, fits);
  });

  it('a JSON text MOTD is measured as JSON, and one nested past the depth limit is refused', () => {
    const wide = JSON.stringify({ text: '', extra: Array.from({ length: 4000 }, () => ({ text: 'ab', color: 'gold' })) });
    assert.match(problemAt(table({ status: { motd: wide } }), 'routes[0].status.motd'), /characters as JSON text/);
    let deep: Record<string, unknown> = { text: 'bottom' };
    for (let i = 0; i < MAX_TEXT_DEPTH; i++) deep = { text: '', extra: [deep] };
    assert.match(problemAt(table({ status: { motd: deep } }), 'routes[0].status.motd'), /nests deeper/);
  });

  it('text whose NBT string would pass 65,535 bytes is refused even when it is short enough as JSON', () => {
    // 22,000 '€' are 22,000 characters but 66,000 bytes of modified UTF-8 (configuration-state NBT).
    assert.match(problemAt(table({ disconnect_message: '€'.repeat(22_000) }), 'routes[0].disconnect_message'), /65535/);
  });

  it('disconnect text, resource pack prompts and message overrides have the same bound', () => {
    const long = 'y'.repeat(MAX_TEXT_CHARS + 1);
    assert.ok(problemAt(table({ disconnect_message: long }), 'routes[0].disconnect_message'));
    const pack = { id: '2f1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b', url: 'https://packs.test/p.zip', hash: 'ab'.repeat(20), prompt: long };
    assert.ok(problemAt(table({ resource_packs: [pack] }), 'routes[0].resource_packs[0].prompt'));
    assert.ok(problemAt(table({}, { messages: { en_us: { maintenance: long } } }), 'messages.en_us.maintenance'));
    assert.equal(parseRoutingTable(table({}, { messages: { en_us: { maintenance: 'Back soon' } } })).messages?.en_us?.maintenance, 'Back soon');
  });

  it('a version name is at most 256 characters', () => {
    assert.match(problemAt(table({ status: { motd: 'Hi', version_name: 'v'.repeat(MAX_VERSION_NAME_CHARS + 1) } }), 'routes[0].status.version_name'), /limit is 256/);
    assert.equal(parseRoutingTable(table({ status: { motd: 'Hi', version_name: 'v'.repeat(MAX_VERSION_NAME_CHARS) } })).routes[0]!.status.versionName?.length, 256);
  });
});

describe('the status as a whole', () => {
  it('a MOTD and a favicon that each fit but together pass the status JSON limit are refused at the status', () => {
    const favicon = `data:image/png;base64,${'A'.repeat(20_000)}`;
    const message = problemAt(table({ status: { motd: 'm'.repeat(15_000), favicon } }), 'routes[0].status');
    assert.match(message, /status JSON of \d+ characters/);
    assert.ok(parseRoutingTable(table({ status: { motd: 'm'.repeat(5_000), favicon } })));
  });

  it('a favicon data URI longer than a 64 KiB PNG is refused before its base64 is looked at', () => {
    const favicon = `data:image/png;base64,${'A'.repeat(MAX_FAVICON_URI_CHARS)}`;
    assert.match(problemAt(table({ status: { motd: 'Hi', favicon } }), 'routes[0].status.favicon'), /64 KiB/);
  });

  it('a routes file whose favicon file makes the status too large is refused when the favicon is loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-bounds-'));
    writeFileSync(join(dir, 'icon.png'), png(20_000));
    const routes = (motd: number): string =>
      ['table_id = "bounds"', 'version = 1', '[[routes]]', 'id = "main"', 'hosts = ["play.test"]', '[routes.status]', `motd = "${'m'.repeat(motd)}"`, 'favicon = "icon.png"', ''].join('\n');
    writeFileSync(join(dir, 'big.toml'), routes(10_000));
    assert.throws(() => loadTableFile(join(dir, 'big.toml')), /routes\[0\]\.status: makes a status JSON/);
    writeFileSync(join(dir, 'small.toml'), routes(100));
    assert.match(loadTableFile(join(dir, 'small.toml')).routes[0]!.status.favicon ?? '', /^data:image\/png;base64,/);
  });
});

describe('adapter URLs', () => {
  it('an adapter or hook URL is at most MAX_ADAPTER_URL_LENGTH characters, and the message does not echo it', () => {
    const long = `https://adapter.test/${'a'.repeat(MAX_ADAPTER_URL_LENGTH)}?token=secret`;
    const message = problemAt(table({ discovery: { type: 'http', url: long } }), 'routes[0].discovery.url');
    assert.equal(message, `is ${long.length} characters, the limit is ${MAX_ADAPTER_URL_LENGTH}`);
    assert.doesNotMatch(message, /secret/);
    const justFits = `https://adapter.test/${'a'.repeat(MAX_ADAPTER_URL_LENGTH - 'https://adapter.test/'.length)}`;
    assert.equal(justFits.length, MAX_ADAPTER_URL_LENGTH);
    assert.doesNotThrow(() => parseRoutingTable(table({ targets: [{ id: 'own', address: '127.0.0.1:1' }], discovery: { type: 'http', url: justFits } })));
  });
});
