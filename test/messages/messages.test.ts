import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Messages } from '../../router/messages/messages.ts';
import { BUILTIN_CATALOG, MESSAGE_KEYS } from '../../router/messages/catalog.ts';

test('every built-in locale has every message key', () => {
  for (const locale of ['en', 'de', 'es', 'fr']) {
    for (const key of MESSAGE_KEYS) assert.ok(BUILTIN_CATALOG[locale][key], `${locale}.${key}`);
  }
});

test('lookup falls back: exact locale → language → default locale → English', () => {
  const m = new Messages({
    defaultLocale: 'fr_fr',
    overrides: { de_at: { no_target: 'Grad kein Server frei, {name}.' }, es: { timeout: 'Tiempo agotado (override).' } },
  });
  assert.equal(m.text('no_target', 'de_at', { name: 'Sepp' }), 'Grad kein Server frei, Sepp.');
  assert.equal(m.text('no_target', 'de_de'), 'Gerade ist kein Server verfügbar. Bitte versuche es gleich noch einmal.');
  assert.equal(m.text('timeout', 'es_mx'), 'Tiempo agotado (override).');
  assert.equal(m.text('timeout', 'ja_jp'), 'Délai dépassé. Veuillez réessayer.', 'unknown language → default locale');
  assert.equal(new Messages().text('timeout', 'ja_jp'), 'Timed out. Please try again.');
  assert.equal(m.text('no_route', undefined, { host: 'x.test' }), "Il n'y a pas de serveur à l'adresse x.test. Vérifiez l'adresse et réessayez.");
});

test('table overrides win over config overrides, and placeholders without a value stay visible', () => {
  const config = new Messages({ overrides: { en: { maintenance: 'Config says maintenance.' } } });
  const table = config.withOverrides({ en: { maintenance: 'Table says maintenance until {time}.' } }, 'de_de');
  assert.equal(table.text('maintenance', 'en_us'), 'Table says maintenance until {time}.');
  assert.equal(config.text('maintenance', 'en_us'), 'Config says maintenance.');
  assert.equal(table.text('server_full', undefined), 'Der Server ist voll. Bitte versuche es später erneut.');
});

test('tables validate resource packs and message overrides, naming the path', async () => {
  const { parseRoutingTable } = await import('../../router/table/schema.ts');
  const doc = {
    table_id: 't',
    version: 1,
    messages: { de: { no_target: 'Kein Server.' }, nl: { not_a_key: 'x' } },
    routes: [
      {
        id: 'r',
        hosts: ['*'],
        resource_packs: [
          { id: 'not-a-uuid', url: 'ftp://x/pack.zip', hash: 'abc' },
          { id: '2f1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b', url: 'https://x/pack.zip', hash: 'AB'.repeat(20), forced: 'yes' },
        ],
      },
    ],
  };
  assert.throws(
    () => parseRoutingTable(doc),
    (err: Error) => {
      for (const path of ['messages.nl.not_a_key', 'routes[0].resource_packs[0].id', 'routes[0].resource_packs[0].url', 'routes[0].resource_packs[0].hash', 'routes[0].resource_packs[1].forced']) {
        assert.ok(err.message.includes(path), `${path} in ${err.message}`);
      }
      return true;
    },
  );
  const ok = parseRoutingTable({ ...doc, messages: { de: { no_target: 'Kein Server.' } }, routes: [{ id: 'r', hosts: ['*'], resource_packs: [doc.routes[0].resource_packs[1]].map((p) => ({ ...p, forced: true })) }] });
  assert.equal(ok.routes[0].resourcePacks?.[0].hash, 'ab'.repeat(20));
  assert.equal(ok.messages?.de.no_target, 'Kein Server.');
});

test('a config messages file adds locales and refuses unknown keys', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { loadMessagesFile } = await import('../../router/messages/file.ts');
  const dir = mkdtempSync(join(tmpdir(), 'passage-msg-'));
  writeFileSync(join(dir, 'ok.toml'), '[nl]\nno_target = "Er is nu geen server vrij."\n');
  const m = new Messages({ overrides: loadMessagesFile(join(dir, 'ok.toml')) });
  assert.equal(m.text('no_target', 'nl_nl'), 'Er is nu geen server vrij.');
  writeFileSync(join(dir, 'bad.toml'), '[nl]\nno_targt = "x"\n');
  assert.throws(() => loadMessagesFile(join(dir, 'bad.toml')), /nl\.no_targt: unknown message key/);
});
