// Tools that start a router on port 0 learn its ports from the structured `listening` field of its
// start-up log line, parsed as JSON, never from the wording of the message.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { httpUrlOf, listeningField, MAX_LISTENING_LINE, readListeningLine } from '../../router/contracts/listening.ts';

/** One line as the router's logger (pino, JSON per line) writes it. */
function logged(fields: object, message: string): string {
  const lines: string[] = [];
  pino({ level: 'info', base: { service: 'passage' }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (s: string) => lines.push(s) }).info(fields, message);
  assert.equal(lines.length, 1);
  return lines[0]!.trimEnd();
}

describe('listening line', () => {
  test('the field written by the router reads back as the same ports and hosts, whatever the message says', () => {
    const line = logged({ address: '127.0.0.1:40001', ...listeningField({ address: '127.0.0.1', port: 40001 }, { address: '127.0.0.1', port: 40002 }) }, 'words that may change');
    assert.deepEqual(readListeningLine(line), { game: { host: '127.0.0.1', port: 40001 }, admin: { host: '127.0.0.1', port: 40002 } });
  });

  test('an IPv6 admin address becomes a bracketed URL', () => {
    const line = logged(listeningField({ address: '::1', port: 25565 }, { address: '::1', port: 9565 }), 'listening');
    assert.equal(httpUrlOf(readListeningLine(line)!.admin), 'http://[::1]:9565');
    assert.equal(httpUrlOf({ host: '127.0.0.1', port: 9565 }), 'http://127.0.0.1:9565');
  });

  const notOnes: { name: string; line: string }[] = [
    { name: 'plain text mentioning "listening"', line: 'passage listening on 127.0.0.1:1; admin on http://127.0.0.1:2' },
    { name: 'JSON without the field', line: '{"msg":"listening","address":"127.0.0.1:1"}' },
    { name: 'a port out of range', line: '{"listening":{"game":{"host":"127.0.0.1","port":70000},"admin":{"host":"127.0.0.1","port":2}}}' },
    { name: 'a port that is not an integer', line: '{"listening":{"game":{"host":"127.0.0.1","port":"1"},"admin":{"host":"127.0.0.1","port":2}}}' },
    { name: 'an empty host', line: '{"listening":{"game":{"host":"","port":1},"admin":{"host":"127.0.0.1","port":2}}}' },
    { name: 'no admin endpoint', line: '{"listening":{"game":{"host":"127.0.0.1","port":1}}}' },
    { name: 'a line longer than any start-up line', line: `{"listening":{"game":{"host":"127.0.0.1","port":1},"admin":{"host":"127.0.0.1","port":2}},"pad":"${'x'.repeat(MAX_LISTENING_LINE)}"}` },
  ];
  for (const c of notOnes) test(`${c.name} is not a listening line`, () => assert.equal(readListeningLine(c.line), undefined));
});
