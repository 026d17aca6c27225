// The one table of known releases, and what follows from it. Adding a release is one line in
// router/protocol/versions.ts plus its row here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KNOWN_VERSIONS,
  NEWEST_PROTOCOL,
  NEWEST_VERSION_NAME,
  PROTOCOL_NAMES,
  SUPPORTED_RANGE_TEXT,
  isKnownProtocol,
  layoutProtocol,
  protocolSupport,
} from '../../router/protocol/versions.ts';
import { decodeConfigurationPacket } from '../../router/protocol/configuration.ts';
import { encodeLoginSuccess } from '../../router/protocol/login.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

const ROWS: [protocol: number, names: string][] = [
  [766, '1.20.5/1.20.6'],
  [767, '1.21/1.21.1'],
  [768, '1.21.2/1.21.3'],
  [769, '1.21.4'],
  [770, '1.21.5'],
  [771, '1.21.6'],
  [772, '1.21.7/1.21.8'],
  [773, '1.21.9/1.21.10'],
  [774, '1.21.11'],
  [775, '26.1'],
];

test('the known releases are exactly the rows of this test, oldest first', () => {
  assert.deepEqual([...PROTOCOL_NAMES.entries()], ROWS);
  assert.deepEqual(KNOWN_VERSIONS.map((v) => v.protocol), [...KNOWN_VERSIONS.map((v) => v.protocol)].sort((a, b) => a - b));
});

test('the newest protocol and the range named in messages follow from the table', () => {
  const [oldest] = ROWS[0]!;
  const [newest, newestNames] = ROWS[ROWS.length - 1]!;
  assert.equal(oldest, 766, 'transfer needs 1.20.5');
  assert.equal(NEWEST_PROTOCOL, newest);
  assert.equal(NEWEST_VERSION_NAME, newestNames.split('/').at(-1));
  assert.equal(SUPPORTED_RANGE_TEXT, `${ROWS[0]![1].split('/')[0]}–${NEWEST_VERSION_NAME}`);
  assert.equal(SUPPORTED_RANGE_TEXT, '1.20.5–26.1');
});

test('every protocol from 766 up can log in: known ones by their row, newer ones as day-one versions', () => {
  const cases: [number, string][] = [
    [-1, 'too_old'], [0, 'too_old'], [47, 'too_old'], [765, 'too_old'],
    [766, 'known'], [770, 'known'], [775, 'known'],
    [776, 'newer'], [800, 'newer'], [0x40000001, 'newer'], [0x7fffffff, 'newer'],
  ];
  for (const [protocol, support] of cases) assert.equal(protocolSupport(protocol), support, String(protocol));
  for (const [protocol] of ROWS) assert.equal(isKnownProtocol(protocol), true);
  assert.equal(isKnownProtocol(776), false);
});

test('a newer protocol uses the newest known packet layout; known ones keep their own', () => {
  for (const [protocol] of ROWS) assert.equal(layoutProtocol(protocol), protocol);
  assert.equal(layoutProtocol(776), NEWEST_PROTOCOL);
  assert.equal(layoutProtocol(0x40000001), NEWEST_PROTOCOL);
  const profile = { id: '00000000-0000-0000-0000-000000000001', name: 'DayOne', properties: [{ name: 'textures', value: 'e30=' }] };
  assert.deepEqual(encodeLoginSuccess(profile, 800), encodeLoginSuccess(profile, layoutProtocol(800)));
  assert.notDeepEqual(encodeLoginSuccess(profile, 800), encodeLoginSuccess(profile, 767), 'no strict-error-handling byte');
  // Client Information with the particle status field (768+) reads the same under 800 as under 775.
  const body = new PacketWriter().string('de_DE').byte(8).varInt(0).bool(true).byte(0x7f).varInt(1).bool(false).bool(true).varInt(2).packet(0x00);
  const frame = body.subarray(1);
  assert.deepEqual(decodeConfigurationPacket(frame, 800), decodeConfigurationPacket(frame, layoutProtocol(800)));
  assert.deepEqual(decodeConfigurationPacket(frame, 800), { kind: 'client_information', locale: 'de_de' });
});
