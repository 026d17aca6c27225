// The [protocol] policy for day-one versions, and the bounded memory of which ones were seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MAX_TRACKED_NEWER_PROTOCOLS, NewerProtocols } from '../../router/connection/newer-protocols.ts';

function tracker(policy: { newer: 'accept' | 'refuse'; maxProtocol: number }): { protocols: NewerProtocols; lines: { msg: string; protocol?: number }[] } {
  const lines: { msg: string; protocol?: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  // pino writes synchronously to a plain Writable, so lines are there as soon as the call returns.
  return { protocols: new NewerProtocols(policy, pino({ level: 'info' }, stream), () => Date.UTC(2026, 0, 1)), lines };
}

test('by default every newer protocol is accepted', () => {
  const { protocols } = tracker({ newer: 'accept', maxProtocol: 0 });
  assert.equal(protocols.accepts(776), true);
  assert.equal(protocols.accepts(0x40000001), true);
});

test('newer = "refuse" refuses every newer protocol, and max_protocol caps the accepted ones', () => {
  assert.equal(tracker({ newer: 'refuse', maxProtocol: 0 }).protocols.accepts(776), false);
  const capped = tracker({ newer: 'accept', maxProtocol: 777 }).protocols;
  assert.equal(capped.accepts(777), true);
  assert.equal(capped.accepts(778), false);
});

test('the first login of each newer protocol is logged once, saying whether and why it was refused', () => {
  const { protocols, lines } = tracker({ newer: 'accept', maxProtocol: 776 });
  protocols.recordLogin(776, true);
  protocols.recordLogin(776, true);
  protocols.recordLogin(800, false);
  protocols.recordLogin(800, false);
  assert.deepEqual(lines.map((l) => [l.protocol, l.msg]), [
    [776, 'first login with protocol 776, newer than the newest known (775 = 26.1): served with the 26.1 packet layout'],
    [800, 'first login with protocol 800, newer than the newest known (775 = 26.1): refused (above [protocol] max_protocol = 776)'],
  ]);
  assert.deepEqual(protocols.status().unknownSeen, [
    { protocol: 776, logins: 2, refused: 0, firstSeen: '2026-01-01T00:00:00.000Z' },
    { protocol: 800, logins: 2, refused: 2, firstSeen: '2026-01-01T00:00:00.000Z' },
  ]);
});

test('past the tracking bound, invented protocols share the "other" label, one log line and one counter', () => {
  const { protocols, lines } = tracker({ newer: 'accept', maxProtocol: 0 });
  for (let i = 0; i < MAX_TRACKED_NEWER_PROTOCOLS + 100; i++) protocols.recordLogin(1000 + i, true);
  assert.equal(protocols.label(1000), '1000');
  assert.equal(protocols.label(1000 + MAX_TRACKED_NEWER_PROTOCOLS), 'other');
  assert.equal(protocols.label(5), 'other', 'never seen');
  const status = protocols.status();
  assert.equal(status.unknownSeen.length, MAX_TRACKED_NEWER_PROTOCOLS);
  assert.equal(status.untrackedLogins, 100);
  assert.equal(lines.length, MAX_TRACKED_NEWER_PROTOCOLS + 1);
  assert.match(lines.at(-1)!.msg, /^more than 32 distinct newer protocols seen/);
});
