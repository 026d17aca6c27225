// [protocol]: whether day-one versions (protocols newer than the newest known) are served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, ConfigError } from '../../router/config/load.ts';

test('[protocol] defaults to accepting newer protocols with no cap', () => {
  assert.deepEqual(buildConfig({}, '/tmp/passage.toml').protocol, { newer: 'accept', maxProtocol: 0 });
});

test('[protocol] newer = "refuse" and a max_protocol are read', () => {
  assert.deepEqual(buildConfig({ protocol: { newer: 'refuse' } }, '/tmp/passage.toml').protocol, { newer: 'refuse', maxProtocol: 0 });
  assert.deepEqual(buildConfig({ protocol: { max_protocol: 776 } }, '/tmp/passage.toml').protocol, { newer: 'accept', maxProtocol: 776 });
});

test('[protocol] mistakes name the key in one line', () => {
  const problems = (raw: Record<string, unknown>): string => {
    try {
      buildConfig(raw, 'passage.toml');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    throw new Error('expected a ConfigError');
  };
  assert.equal(problems({ protocol: { newer: 'maybe' } }), 'passage.toml: protocol.newer: expected one of "accept", "refuse", got "maybe"');
  assert.equal(problems({ protocol: { max_protocol: 700 } }), 'passage.toml: protocol.max_protocol: expected 0 (no limit) or a protocol number of at least 766 (1.20.5), got 700');
  assert.equal(problems({ protocol: { max_protocol: 2 ** 31 } }), 'passage.toml: protocol.max_protocol: must be at most 2147483647, got 2147483648');
});
