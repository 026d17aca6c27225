// The bench's round-by-round table (issue 16): each round's Passage figures against the same round's bare ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScenarioResult } from '../../scripts/bench/core.ts';
import { roundByRoundTable } from '../../scripts/bench/lib/report.ts';

function row(target: string, kind: string, rate: number, halfP99Ms?: number): ScenarioResult {
  return { target, kind, peak: { rate, p50Ms: 1, p99Ms: 2, errors: 0 }, ...(halfP99Ms === undefined ? {} : { half: { rate: rate / 2, p50Ms: 1, p99Ms: halfP99Ms, errors: 0 } }) } as unknown as ScenarioResult;
}

test('each round is judged against its own bare rows, and the rounds that met each target are counted', () => {
  const rounds = [
    [row('bare', 'status', 10_000, 4), row('bare', 'offline_login', 9_000), row('passage', 'status', 9_000, 12), row('passage', 'offline_login', 9_100)],
    [row('bare', 'status', 8_000, 40), row('passage', 'status', 8_500, 10), row('passage', 'offline_login', 7_000)],
  ];
  const table = roundByRoundTable(rounds)!;
  const lines = table.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[2]!, /^\| 1 \| 10,000 \| 91% \| 12\.00 vs 4\.00 ms \(3\.0×\) \|$/);
  assert.match(lines[3]!, /^\| 2 \| 8,000 \| 88% \| 10\.00 vs 40\.00 ms \(0\.3×\) \|$/);
  assert.equal(lines[4], '| met in | | 1 of 2 rounds | 1 of 2 rounds |');
});

test('rounds without a bare status row are left out, and no table is made of none', () => {
  assert.equal(roundByRoundTable([[row('passage', 'status', 9_000, 3)]]), undefined);
});
