import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RouterMetrics } from '../../router/metrics/registry.ts';

/** `a_{b,c}_d` → `a_b_d a_c_d`: the doc writes metric families that way. */
function expandBraces(text: string): string {
  return text.replace(/([\w]*)\{([\w,]+)\}([\w]*)/g, (_, pre: string, alts: string, post: string) => alts.split(',').map((a) => `${pre}${a}${post}`).join(' '));
}

test('docs/OPERATIONS.md documents every metric the router registers', async () => {
  const doc = expandBraces(readFileSync(new URL('../../docs/OPERATIONS.md', import.meta.url), 'utf8'));
  const metrics = new RouterMetrics({ defaultMetrics: false });
  const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.length > 20);
  const missing = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(doc));
  assert.deepEqual(missing, []);
});
