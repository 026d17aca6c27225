// Wakes a StatefulSet or Deployment through its scale subresource: GET the scale, and only when it says
// 0 replicas, PATCH it to 1 (a merge patch of spec.replicas). A resource already at 1 or more is left
// alone: waking never scales anything down. The API server and token follow the same policy as
// Kubernetes discovery (router/adapters/kubernetes.ts): the in-cluster server or one passage.toml lists,
// the token from passage.toml or the pod's service account, never from the table.
import { readFile } from 'node:fs/promises';
import { kubernetesEndpoint } from '../adapters/kubernetes.ts';
import type { KubernetesEndpoint } from '../adapters/kubernetes.ts';
import { AdapterError } from '../adapters/errors.ts';
import type { AdapterPolicy } from '../adapters/policy.ts';
import { readBodyCapped } from '../adapters/documents.ts';
import type { WakeConfig } from '../table/types.ts';
import { httpStatusError, WakeError } from './errors.ts';

type KubernetesWake = Extract<WakeConfig, { kind: 'kubernetes' }>;

/** A scale object is a few hundred bytes; anything much larger is not one. */
const MAX_SCALE_BYTES = 64 * 1024;

/** What the scaler did: `scaled` (0 → 1) or `already` (the API reported 1 or more replicas). */
export type ScaleResult = 'scaled' | 'already';

export function scalePath(wake: KubernetesWake): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(wake.namespace)}/${wake.resource}/${encodeURIComponent(wake.name)}/scale`;
}

export async function scaleKubernetes(wake: KubernetesWake, policy: AdapterPolicy, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<ScaleResult> {
  const endpoint = kubernetesEndpoint(wake.apiUrl, policy, env);
  if (endpoint instanceof AdapterError) {
    throw new WakeError(endpoint.code === 'ERR_ADAPTER_NOT_ALLOWED' ? 'ERR_WAKE_NOT_ALLOWED' : 'ERR_WAKE_API', endpoint.message);
  }
  const path = scalePath(wake);
  const url = new URL(path.slice(1), endpoint.base.endsWith('/') ? endpoint.base : `${endpoint.base}/`);
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = await readToken(endpoint);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const callSignal = AbortSignal.any([signal, AbortSignal.timeout(wake.timeout)]);
  const call = async (method: 'GET' | 'PATCH', body?: string): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method, signal: callSignal, redirect: 'error', body,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/merge-patch+json' },
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new WakeError('ERR_WAKE_API_TIMEOUT', `${method} ${path}: no answer within ${wake.timeout}ms`, { cause: err });
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new WakeError('ERR_WAKE_API', `${method} ${path}: ${cause?.code ?? (err as Error).message}`, { cause: err });
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw httpStatusError(res.status, `${method} ${path}`);
    }
    try {
      return JSON.parse(await readBodyCapped(res, MAX_SCALE_BYTES, `${method} ${path}`)) as unknown;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new WakeError('ERR_WAKE_API_TIMEOUT', `${method} ${path}: no answer within ${wake.timeout}ms`, { cause: err });
      throw new WakeError('ERR_WAKE_API', `${method} ${path}: not a scale object (${(err as Error).message})`, { cause: err });
    }
  };
  const replicas = replicasOf(await call('GET'), path);
  if (replicas >= 1) return 'already';
  replicasOf(await call('PATCH', JSON.stringify({ spec: { replicas: 1 } })), path);
  return 'scaled';
}

function replicasOf(doc: unknown, path: string): number {
  const replicas = (doc as { spec?: { replicas?: unknown } } | null)?.spec?.replicas;
  // An omitted spec.replicas in a Scale means 0 (the field is omitempty).
  if (replicas === undefined) return 0;
  if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 0) {
    throw new WakeError('ERR_WAKE_API', `${path}: spec.replicas is not a non-negative integer`);
  }
  return replicas;
}

/** Read at every wake: projected service-account tokens rotate. The default file may be absent (kubectl proxy). */
async function readToken(endpoint: KubernetesEndpoint): Promise<string | undefined> {
  try {
    return (await readFile(endpoint.tokenFile, 'utf8')).trim();
  } catch (err) {
    if (!endpoint.tokenRequired) return undefined;
    throw new WakeError('ERR_WAKE_API', `[adapters.kubernetes] token_file ${endpoint.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
