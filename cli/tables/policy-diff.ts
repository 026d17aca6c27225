// Edge-policy changes of one route as lines an operator reads in a review: list entries added and
// removed one by one (not two JSON blobs), filters and hooks in their TOML spelling. Hook URLs are
// shown redacted (a query may carry a token).
import { isDeepStrictEqual } from 'node:util';
import { redactUrl } from '../../router/redact-url.ts';
import type { LoginHookConfig, TargetFilter } from '../../router/table/policy-types.ts';
import type { Route } from '../../router/table/types.ts';

export function policyChanges(from: Route, to: Route): string[] {
  const lines: string[] = [];
  if (from.auth !== to.auth) lines.push(`auth: ${from.auth ?? '(passage.toml)'} → ${to.auth ?? '(passage.toml)'}`);
  lines.push(...listChanges('maintenance_bypass', from.maintenanceBypass, to.maintenanceBypass));
  lines.push(...listChanges('access.allow_players', from.access?.allowPlayers, to.access?.allowPlayers));
  lines.push(...listChanges('access.deny_players', from.access?.denyPlayers, to.access?.denyPlayers));
  lines.push(...listChanges('access.deny_ips', from.access?.denyIps, to.access?.denyIps));
  if (from.access?.message !== to.access?.message) lines.push(`access.message: ${JSON.stringify(from.access?.message ?? null)} → ${JSON.stringify(to.access?.message ?? null)}`);
  lines.push(...listChanges('target_filter', from.targetFilter?.map(showFilter), to.targetFilter?.map(showFilter)));
  if (!isDeepStrictEqual(from.loginHook, to.loginHook)) lines.push(`login_hook: ${showHook(from.loginHook)} → ${showHook(to.loginHook)}`);
  return lines;
}

function listChanges(key: string, from: readonly string[] | undefined, to: readonly string[] | undefined): string[] {
  const before = new Set(from ?? []);
  const after = new Set(to ?? []);
  return [
    ...[...after].filter((e) => !before.has(e)).map((e) => `${key} + ${e}`),
    ...[...before].filter((e) => !after.has(e)).map((e) => `${key} - ${e}`),
  ];
}

export function showFilter(f: TargetFilter): string {
  const value = f.value === undefined ? '' : ` ${typeof f.value === 'string' ? JSON.stringify(f.value) : `[${f.value.map((v) => JSON.stringify(v)).join(', ')}]`}`;
  return `${f.key} ${f.op}${value}`;
}

function showHook(hook: LoginHookConfig | undefined): string {
  if (hook === undefined) return '(none)';
  const where = hook.url === undefined ? `grpc ${hook.address}` : `POST ${redactUrl(hook.url)}`;
  return `${where}, timeout ${hook.timeout}ms, on_error ${hook.onError}`;
}
