// `target_filter`: conditions on target meta. Pure; applied to the route's targets (from the table or
// from discovery) before the strategy or a strategy adapter sees them.
import type { TargetFilter } from '../table/policy-types.ts';
import type { Target } from '../table/types.ts';

export function meetsFilter(filter: TargetFilter, meta: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(meta, filter.key) ? meta[filter.key] : undefined;
  switch (filter.op) {
    case 'exists':
      return value !== undefined;
    case 'not_exists':
      return value === undefined;
    case 'equals':
      return value !== undefined && value === filter.value;
    case 'not_equals':
      return value !== filter.value;
    case 'in':
      return value !== undefined && listOf(filter.value).includes(value);
    case 'not_in':
      return value === undefined || !listOf(filter.value).includes(value);
  }
}

function listOf(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** The targets that meet every condition; the same array when there are no conditions. */
export function filterTargets(filters: readonly TargetFilter[] | undefined, targets: readonly Target[]): readonly Target[] {
  if (filters === undefined || filters.length === 0) return targets;
  return targets.filter((t) => filters.every((f) => meetsFilter(f, t.meta)));
}
