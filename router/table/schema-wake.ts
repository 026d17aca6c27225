// Wake on join (router/wake/): a target's `wake = { kind = … }` and a route's `wake_timeout`. A table
// names only the resource to scale; where the router's credentials go stays in passage.toml: the
// Kubernetes API server must be allowed by `[adapters.kubernetes]`, and AWS credentials and endpoints
// come from the router's environment (an endpoint from a table could receive signed requests).

import { parseDuration } from '../config/duration.ts';
import { child, Context, describe, isPlainObject, readObject, type Fields } from './schema-kit.ts';
import type { Route, WakeConfig } from './types.ts';

/** The wait for a sleeping target: at least 1 s, at most 10 minutes (the player holds a connection slot all along). */
export const MIN_WAKE_TIMEOUT_MS = 1_000;
export const MAX_WAKE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_WAKE_TIMEOUT_MS = 90_000;
/** One scale API call (GET/PATCH scale, DescribeServices/UpdateService). */
export const DEFAULT_WAKE_API_TIMEOUT_MS = 5_000;
export const MAX_WAKE_API_TIMEOUT_MS = 60_000;

/** Kubernetes names (RFC 1123 subdomain for objects, label for namespaces). */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const KUBE_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** ECS cluster and service names: 1–255 letters, digits, hyphens and underscores (names only, no ARNs). */
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

const CONFIG_ONLY_KEYS: Record<string, string> = {
  token_file: 'is not allowed in a routing table: the Kubernetes token comes from passage.toml ([adapters.kubernetes] token_file) or the pod\'s service account',
  endpoint: 'is not allowed in a routing table: the AWS endpoint and credentials come from the router\'s environment',
  role_arn: 'is not allowed in a routing table: the AWS credentials come from the router\'s environment (its task or instance role)',
  credentials: 'is not allowed in a routing table: credentials come from the router\'s own config and environment',
};

type KubeWake = Extract<WakeConfig, { kind: 'kubernetes' }>;
type EcsWake = Extract<WakeConfig, { kind: 'ecs' }>;
type KubeWakeDoc = Omit<KubeWake, 'resource' | 'name'> & { readonly target: { resource: KubeWake['resource']; name: string } };

const KUBE_FIELDS: Fields<KubeWakeDoc> = {
  kind: { key: 'kind', required: true, read: () => 'kubernetes' as const },
  target: { key: 'resource', required: true, read: readKubeResource },
  namespace: { key: 'namespace', default: 'default', read: pattern(KUBE_NAMESPACE, 'a Kubernetes namespace like "minecraft"') },
  apiUrl: { key: 'api_url', read: readApiUrl },
  timeout: { key: 'timeout', default: DEFAULT_WAKE_API_TIMEOUT_MS, read: readApiTimeout },
};

const ECS_FIELDS: Fields<EcsWake> = {
  kind: { key: 'kind', required: true, read: () => 'ecs' as const },
  cluster: { key: 'cluster', required: true, read: pattern(ECS_NAME, 'an ECS cluster name (letters, digits, "-" and "_", up to 255)') },
  service: { key: 'service', required: true, read: pattern(ECS_NAME, 'an ECS service name (letters, digits, "-" and "_", up to 255)') },
  region: { key: 'region', read: pattern(AWS_REGION, 'an AWS region like "eu-west-1"') },
  timeout: { key: 'timeout', default: DEFAULT_WAKE_API_TIMEOUT_MS, read: readApiTimeout },
};

export function readWake(raw: unknown, at: string, ctx: Context): WakeConfig | undefined {
  if (!isPlainObject(raw)) return ctx.fail(at, `must be a table like { kind = "kubernetes", resource = "statefulsets/survival" }, got ${describe(raw)}`);
  const refused = Object.keys(raw).filter((key) => Object.hasOwn(CONFIG_ONLY_KEYS, key));
  for (const key of refused) ctx.fail(child(at, key), CONFIG_ONLY_KEYS[key]!);
  if (refused.length > 0) return undefined;
  if (raw.kind === 'ecs') return readObject(raw, at, ctx, ECS_FIELDS);
  if (raw.kind !== 'kubernetes') return ctx.fail(child(at, 'kind'), `must be "kubernetes" or "ecs", got ${describe(raw.kind)}`);
  const doc = readObject(raw, at, ctx, KUBE_FIELDS);
  if (doc === undefined) return undefined;
  const { target, ...rest } = doc;
  return { ...rest, resource: target.resource, name: target.name };
}

export function readWakeTimeout(raw: unknown, at: string, ctx: Context): number | undefined {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < MIN_WAKE_TIMEOUT_MS || ms > MAX_WAKE_TIMEOUT_MS) {
    return ctx.fail(at, `must be a duration from 1s to 10m (integer seconds or a string like "90s"), got ${describe(raw)}`);
  }
  return ms;
}

/** Wake applies to transfer routes: a relayed player has no configuration phase to wait in. */
export function checkWake(route: Route | undefined, at: string, ctx: Context): Route | undefined {
  if (route === undefined || route.mode === 'transfer') return route;
  const i = route.targets.findIndex((t) => t.wake !== undefined);
  if (i < 0) return route;
  return ctx.fail(`${child(at, 'targets')}[${i}].wake`, 'only targets of transfer routes can be woken (a relayed login has no configuration phase to wait in)');
}

function readKubeResource(raw: unknown, at: string, ctx: Context): KubeWakeDoc['target'] | undefined {
  const m = typeof raw === 'string' ? /^(statefulsets|deployments)\/(.+)$/.exec(raw) : null;
  if (m === null || !KUBE_NAME.test(m[2]!)) {
    return ctx.fail(at, `must be "statefulsets/<name>" or "deployments/<name>" with a Kubernetes object name, got ${describe(raw)}`);
  }
  return { resource: m[1] as KubeWake['resource'], name: m[2]! };
}

function pattern(re: RegExp, what: string): (raw: unknown, at: string, ctx: Context) => string | undefined {
  return (raw, at, ctx) => (typeof raw === 'string' && re.test(raw) ? raw : ctx.fail(at, `must be ${what}, got ${describe(raw)}`));
}

/** The value is not echoed: an API URL may carry a token, and problems reach /status and the log. */
function readApiUrl(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || raw.length > 2048) return ctx.fail(at, `must be an http or https URL of at most 2048 characters, got ${describe(raw)}`);
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  return ctx.fail(at, 'must be an http or https URL');
}

function readApiTimeout(raw: unknown, at: string, ctx: Context): number | undefined {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 100 || ms > MAX_WAKE_API_TIMEOUT_MS) return ctx.fail(at, `must be a duration from 100ms to 60s, got ${describe(raw)}`);
  return ms;
}
