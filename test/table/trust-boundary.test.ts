// What a routing table may name on the router's disk: a local routes file may name files beside it
// (favicons), confined to its folder; a signed table, wherever it was read from, names none; no table
// names a credential file.
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadTableFile, TableFileError } from '../../router/routing/file-source.ts';
import { canonicalBytes } from '../../router/table/canonical.ts';
import { preAuthEncoding, signTable, TABLE_PAYLOAD_TYPE, verifyEnvelope } from '../../router/table/envelope.ts';
import { TableValidationError } from '../../router/table/errors.ts';
import { MAX_FAVICON_BYTES } from '../../router/table/favicon.ts';
import { generateSigningKey } from '../../router/table/keys.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { HOUR, NOW, verifyOptions } from './fixtures.ts';

const PNG = readFileSync(new URL('../../docs/favicon.png', import.meta.url));
const publisher = generateSigningKey();

function docWith(status: object, extra: object = {}): Record<string, unknown> {
  return { table_id: 'prod', version: 1, routes: [{ id: 'r', hosts: ['*'], status, ...extra }] };
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (err) {
    assert.ok(err instanceof TableValidationError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

/** A signed envelope over any document, as a holder of the signing key could publish without passagectl. */
function signedOver(doc: Record<string, unknown>): string {
  const bytes = canonicalBytes({ ...doc, issued_at: new Date(NOW - 1000).toISOString(), expires_at: new Date(NOW + HOUR).toISOString() });
  const sig = sign(null, preAuthEncoding(TABLE_PAYLOAD_TYPE, bytes), publisher.privateKey).toString('base64');
  return JSON.stringify({ payloadType: TABLE_PAYLOAD_TYPE, payload: bytes.toString('base64'), signatures: [{ keyid: publisher.keyid, sig }] });
}

/** A folder holding routes.toml (with the given favicon line) and whatever files the test adds. */
function routesFolder(favicon: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'passage-trust-'));
  const file = join(dir, 'routes.toml');
  writeFileSync(file, `table_id = "t"\nversion = 1\n[[routes]]\nid = "r"\nhosts = ["*"]\n[routes.status]\nfavicon = ${JSON.stringify(favicon)}\n`);
  return { dir, file };
}

function loadError(file: string): string {
  try {
    loadTableFile(file);
  } catch (err) {
    assert.ok(err instanceof TableFileError, String(err));
    return err.message;
  }
  assert.fail('the routes file was accepted');
}

describe('a signed table names no file on the router', () => {
  test('a correctly signed table whose favicon is a file path is refused, and points at the inline form', () => {
    const problems = problemsOf(() => verifyEnvelope(signedOver(docWith({ favicon: '/etc/passage/cookie.secret' })), [publisher.publicKey], verifyOptions({ now: NOW })));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^routes\[0\]\.status\.favicon: must be inline data, not a file name .*data:image\/png;base64, URI/);
  });

  test('signTable refuses a favicon path too, so passagectl cannot publish one', () => {
    assert.deepEqual(problemsOf(() => signTable(docWith({ favicon: 'favicon.png' }), publisher.privateKey, { expiresInMs: HOUR, now: NOW })).map((p) => p.split(':')[0]), ['routes[0].status.favicon']);
    const inline = `data:image/png;base64,${PNG.toString('base64')}`;
    assert.equal(signTable(docWith({ favicon: inline }), publisher.privateKey, { expiresInMs: HOUR, now: NOW }).table.routes[0]!.status.favicon, inline);
  });

  test('token_file is refused in any table, naming where the token comes from instead', () => {
    const discovery = { type: 'kubernetes', api_url: 'https://10.96.0.1', token_file: '/etc/passage/cookie.secret' };
    for (const opts of [{}, { requireExpiry: true }]) {
      const doc = { ...docWith({}, { discovery }), issued_at: '2025-06-01T11:00:00Z', expires_at: '2025-06-01T13:00:00Z' };
      assert.deepEqual(problemsOf(() => parseRoutingTable(doc, opts)), [
        "routes[0].discovery.token_file: is not allowed in a routing table: the Kubernetes token comes from passage.toml ([adapters.kubernetes] token_file) or the pod's service account",
      ]);
    }
  });
});

describe('a local routes file names files only in its own folder', () => {
  test('a favicon in the folder (or below it) is inlined; an absolute path or one with ".." is refused before anything is read', () => {
    const { dir, file } = routesFolder('icons/lobby.png');
    mkdirSync(join(dir, 'icons'));
    writeFileSync(join(dir, 'icons', 'lobby.png'), PNG);
    assert.equal(loadTableFile(file).routes[0]!.status.favicon, `data:image/png;base64,${PNG.toString('base64')}`);
    for (const favicon of ['/etc/passage/cookie.secret', '../outside.png', 'icons/../../outside.png', 'C:\\passage\\icon.png']) {
      const { file } = routesFolder(favicon);
      assert.match(loadError(file), /routes\[0\]\.status\.favicon: must be a file in the routes file's folder/, favicon);
    }
  });

  test('a favicon symlink that leads out of the folder is refused; one that stays inside is read', () => {
    const outside = mkdtempSync(join(tmpdir(), 'passage-outside-'));
    writeFileSync(join(outside, 'secret.png'), PNG);
    const { dir, file } = routesFolder('icon.png');
    symlinkSync(join(outside, 'secret.png'), join(dir, 'icon.png'));
    assert.match(loadError(file), /icon\.png: leads out of the routes file's folder .* through a symlink/);
    // A Kubernetes ConfigMap mount: every file is a symlink into a hidden folder beside it.
    const mount = routesFolder('icon.png');
    mkdirSync(join(mount.dir, '..data'));
    writeFileSync(join(mount.dir, '..data', 'icon.png'), PNG);
    symlinkSync(join('..data', 'icon.png'), join(mount.dir, 'icon.png'));
    assert.match(loadTableFile(mount.file).routes[0]!.status.favicon ?? '', /^data:image\/png;base64,iVBORw0KGgo/);
  });

  test('a favicon that is a folder, or larger than the favicon limit, is refused', () => {
    const folder = routesFolder('icons');
    mkdirSync(join(folder.dir, 'icons'));
    assert.match(loadError(folder.file), /icons: is not a regular file/);
    const big = routesFolder('big.png');
    writeFileSync(join(big.dir, 'big.png'), Buffer.alloc(MAX_FAVICON_BYTES + 1));
    assert.match(loadError(big.file), new RegExp(`big\\.png: ${MAX_FAVICON_BYTES + 1} bytes, limit ${MAX_FAVICON_BYTES}`));
  });
});
