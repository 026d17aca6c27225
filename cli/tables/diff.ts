// What changes for players if a table replaces another: routes and their targets added, removed or
// changed, compared by id on the validated model (so defaults and spelling differences are not noise).

import { isDeepStrictEqual } from 'node:util';
import type { Route, RoutingTable, Target } from '../../router/table/types.ts';
import { policyChanges } from './policy-diff.ts';

export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

export interface TargetDiff {
  readonly added: readonly Target[];
  readonly removed: readonly Target[];
  readonly changed: readonly { readonly id: string; readonly changes: readonly FieldChange[] }[];
}

export interface RouteChange {
  readonly id: string;
  readonly changes: readonly FieldChange[];
  readonly targets: TargetDiff;
  /** Edge-policy changes (access lists, filters, hooks) as readable lines. */
  readonly policy: readonly string[];
}

export interface TableDiff {
  readonly fromVersion: number | null;
  readonly toVersion: number;
  readonly added: readonly Route[];
  readonly removed: readonly Route[];
  readonly changed: readonly RouteChange[];
  readonly identical: boolean;
}

const ROUTE_FIELDS = ['hosts', 'mode', 'strategy', 'status'] as const;
const TARGET_FIELDS = ['address', 'priority', 'meta'] as const;

export function diffTables(from: RoutingTable | undefined, to: RoutingTable): TableDiff {
  const before = new Map((from?.routes ?? []).map((r) => [r.id, r]));
  const after = new Map(to.routes.map((r) => [r.id, r]));
  const added = to.routes.filter((r) => !before.has(r.id));
  const removed = [...before.values()].filter((r) => !after.has(r.id));
  const changed: RouteChange[] = [];
  for (const route of to.routes) {
    const old = before.get(route.id);
    if (old === undefined) continue;
    const changes = fieldChanges(old, route, ROUTE_FIELDS);
    const targets = diffTargets(old.targets, route.targets);
    const policy = policyChanges(old, route);
    if (changes.length > 0 || policy.length > 0 || targets.added.length + targets.removed.length + targets.changed.length > 0) {
      changed.push({ id: route.id, changes, targets, policy });
    }
  }
  return {
    fromVersion: from?.version ?? null,
    toVersion: to.version,
    added,
    removed,
    changed,
    identical: added.length === 0 && removed.length === 0 && changed.length === 0,
  };
}

function diffTargets(from: readonly Target[], to: readonly Target[]): TargetDiff {
  const before = new Map(from.map((t) => [t.id, t]));
  const after = new Map(to.map((t) => [t.id, t]));
  return {
    added: to.filter((t) => !before.has(t.id)),
    removed: from.filter((t) => !after.has(t.id)),
    changed: to.flatMap((t) => {
      const old = before.get(t.id);
      const changes = old === undefined ? [] : fieldChanges(old, t, TARGET_FIELDS);
      return changes.length === 0 ? [] : [{ id: t.id, changes }];
    }),
  };
}

function fieldChanges<T extends object>(from: T, to: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  return fields.filter((f) => !isDeepStrictEqual(from[f], to[f])).map((field) => ({ field, from: from[field], to: to[field] }));
}

/** The diff as an operator reads it in a terminal or a CI log. */
export function formatDiff(diff: TableDiff): string {
  const lines = [`version ${diff.fromVersion ?? '(none published)'} → ${diff.toVersion}`];
  if (diff.identical) return `${lines[0]}\nno route or target changes\n`;
  for (const r of diff.added) lines.push(`+ route ${r.id} (${r.hosts.join(', ')}), targets: ${r.targets.map((t) => `${t.id} ${t.address}`).join(', ') || 'none'}`);
  for (const r of diff.removed) lines.push(`- route ${r.id} (${r.hosts.join(', ')})`);
  for (const r of diff.changed) {
    lines.push(`~ route ${r.id}`);
    for (const c of r.changes) lines.push(`    ${c.field}: ${show(c.from, c.field)} → ${show(c.to, c.field)}`);
    for (const p of r.policy) lines.push(`    ${p}`);
    for (const t of r.targets.added) lines.push(`    + target ${t.id} ${t.address} (priority ${t.priority})`);
    for (const t of r.targets.removed) lines.push(`    - target ${t.id} ${t.address}`);
    for (const t of r.targets.changed) {
      lines.push(`    ~ target ${t.id}: ${t.changes.map((c) => `${c.field} ${show(c.from, c.field)} → ${show(c.to, c.field)}`).join('; ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function show(value: unknown, field: string): string {
  // A favicon is kilobytes of base64: say that it changed, not what it is.
  if (field === 'status' && typeof value === 'object' && value !== null && 'favicon' in value) {
    const { favicon, ...rest } = value as Record<string, unknown>;
    return JSON.stringify({ ...rest, favicon: typeof favicon === 'string' ? `<${favicon.length} chars>` : favicon });
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
