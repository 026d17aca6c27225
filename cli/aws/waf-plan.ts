// Plans the rate-based rules of the table endpoint's web ACL: desired specs (from the regions file)
// against the rules WAF holds now. Pure: no AWS calls. Rate-based rules are Passage's to manage;
// any other rule (managed rule groups, IP sets) is kept as it is, at its priority.

import type { Rule } from '@aws-sdk/client-wafv2';
import type { RateRuleSpec } from '../../router/contracts/regions-file.ts';
import { DEFAULT_FORWARDED_HEADER, readRateRule, toWafRule } from '../../router/contracts/waf-rule.ts';

export { readRateRule, toWafRule };

export type WafRuleAction = 'add' | 'change' | 'remove' | 'no-op';

export interface WafRuleChange {
  readonly action: WafRuleAction;
  readonly name: string;
  /** The rule as WAF holds it now (absent for `add`). */
  readonly before?: Rule;
  /** The rule as it will be (absent for `remove`). */
  readonly after?: Rule;
}

export interface WafPlan {
  /** One entry per desired or removed rule, in the order of the resulting list. */
  readonly changes: readonly WafRuleChange[];
  /** The complete rule list to send to UpdateWebACL, by priority. */
  readonly rules: readonly Rule[];
  readonly hasChanges: boolean;
}

export function planWafRules(desired: readonly RateRuleSpec[], current: readonly Rule[]): WafPlan {
  const currentByName = new Map(current.map((rule) => [rule.Name ?? '', rule]));
  const desiredNames = new Set(desired.map((spec) => spec.name));
  const entries: { change: WafRuleChange; priority: number }[] = [];

  let nextPriority = Math.max(-1, ...current.map((rule) => rule.Priority ?? 0)) + 1;
  for (const spec of desired) {
    const before = currentByName.get(spec.name);
    if (!before) {
      const after = toWafRule(spec, nextPriority++);
      entries.push({ change: { action: 'add', name: spec.name, after }, priority: after.Priority ?? 0 });
      continue;
    }
    const after = toWafRule(spec, before.Priority ?? 0);
    const action = sameRule(before, after) ? 'no-op' : 'change';
    entries.push({ change: { action, name: spec.name, before, after: action === 'no-op' ? before : after }, priority: after.Priority ?? 0 });
  }
  for (const rule of current) {
    if (desiredNames.has(rule.Name ?? '')) continue;
    if (readRateRule(rule)) {
      entries.push({ change: { action: 'remove', name: rule.Name ?? '', before: rule }, priority: rule.Priority ?? 0 });
    } else {
      // Not ours: it stays, and it is not part of the plan's changes.
      entries.push({ change: { action: 'no-op', name: rule.Name ?? '', before: rule, after: rule }, priority: rule.Priority ?? 0 });
    }
  }
  entries.sort((a, b) => a.priority - b.priority);

  const managed = (change: WafRuleChange) => desiredNames.has(change.name) || change.action === 'remove';
  const changes = entries.map((e) => e.change).filter(managed);
  const rules = entries.flatMap((e) => (e.change.after ? [e.change.after] : []));
  return { changes, rules, hasChanges: changes.some((c) => c.action !== 'no-op') };
}

function sameRule(current: Rule, wanted: Rule): boolean {
  return canonical(current) === canonical(wanted);
}

// AWS may echo optional fields as empty values; compare what the rule means, not how it was sent.
function canonical(value: unknown): string {
  return JSON.stringify(strip(value));
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(strip);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const inner = strip((value as Record<string, unknown>)[key]);
    if (inner !== undefined) out[key] = inner;
  }
  return out;
}

const SYMBOL: Record<WafRuleAction, string> = { add: '+', change: '~', remove: '-', 'no-op': '=' };

/** A diff for humans: one line per rule, `+` add, `~` change, `-` remove, `=` unchanged. */
export function renderWafPlan(plan: WafPlan, webAclName = 'web ACL'): string {
  if (plan.changes.length === 0) return `${webAclName}: no rate-based rules wanted or present`;
  const lines = [`${webAclName}: ${plan.hasChanges ? describeCounts(plan) : 'no changes'}`];
  for (const change of plan.changes) {
    const now = change.after ? describeRule(change.after) : '';
    const was = change.before ? describeRule(change.before) : '';
    if (change.action === 'change') lines.push(`  ~ ${change.name}: ${was} → ${now}`);
    else lines.push(`  ${SYMBOL[change.action]} ${change.name}: ${now || was}`);
  }
  return lines.join('\n');
}

function describeCounts(plan: WafPlan): string {
  const count = (action: WafRuleAction) => plan.changes.filter((c) => c.action === action).length;
  return `${count('add')} to add, ${count('change')} to change, ${count('remove')} to remove`;
}

function describeRule(rule: Rule): string {
  const spec = readRateRule(rule);
  if (!spec) return 'not a rate-based rule';
  const key = spec.aggregation === 'FORWARDED_IP' ? `FORWARDED_IP(${spec.forwardedHeader ?? DEFAULT_FORWARDED_HEADER})` : 'IP';
  const action = Object.keys(rule.Action ?? {})[0]?.toLowerCase() ?? 'block';
  return `${spec.limit} per ${spec.windowSeconds}s per ${key}, ${action}`;
}
