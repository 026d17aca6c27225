// Wakes an ECS service: DescribeServices, and only when its desiredCount is 0, UpdateService to 1.
// @aws-sdk/client-ecs is imported on the first ECS wake only, so a router without one never loads it.
// Credentials come from the default AWS provider chain (environment, task or instance role); the region
// from the target's `wake.region`, else the environment (AWS_REGION). The table names no endpoint.
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { WakeConfig } from '../table/types.ts';
import { WakeError } from './errors.ts';
import type { ScaleResult } from './kubernetes.ts';

type EcsWake = Extract<WakeConfig, { kind: 'ecs' }>;

/** One client per region for the router's lifetime (clients keep their connections and credentials). */
const clients = new Map<string, Promise<ECSClient>>();

async function clientFor(region: string | undefined): Promise<ECSClient> {
  const key = region ?? '';
  let client = clients.get(key);
  if (client === undefined) {
    client = import('@aws-sdk/client-ecs').then(({ ECSClient: Client }) => new Client(region === undefined ? {} : { region }));
    clients.set(key, client);
  }
  return client;
}

export async function scaleEcs(wake: EcsWake, signal: AbortSignal): Promise<ScaleResult> {
  const { DescribeServicesCommand, UpdateServiceCommand } = await import('@aws-sdk/client-ecs');
  const client = await clientFor(wake.region);
  const what = `ECS service ${wake.cluster}/${wake.service}`;
  const abortSignal = AbortSignal.any([signal, AbortSignal.timeout(wake.timeout)]);
  try {
    const described = await client.send(new DescribeServicesCommand({ cluster: wake.cluster, services: [wake.service] }), { abortSignal });
    const service = described.services?.find((s) => s.serviceName === wake.service) ?? described.services?.[0];
    if (service === undefined || service.status === 'INACTIVE') {
      throw new WakeError('ERR_WAKE_NOT_FOUND', `${what}: not found (${described.failures?.[0]?.reason ?? service?.status ?? 'no such service'})`);
    }
    if (typeof service.desiredCount === 'number' && service.desiredCount >= 1) return 'already';
    await client.send(new UpdateServiceCommand({ cluster: wake.cluster, service: wake.service, desiredCount: 1 }), { abortSignal });
    return 'scaled';
  } catch (err) {
    throw ecsError(err, what, wake.timeout);
  }
}

function ecsError(err: unknown, what: string, timeoutMs: number): WakeError {
  if (err instanceof WakeError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new WakeError('ERR_WAKE_API_TIMEOUT', `${what}: no answer within ${timeoutMs}ms`, { cause: err });
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'ExpiredTokenException' || name === 'CredentialsProviderError') {
    return new WakeError('ERR_WAKE_FORBIDDEN', `${what}: ${String(name)} (the router's AWS credentials may not scale this service)`, { cause: err });
  }
  if (name === 'ClusterNotFoundException' || name === 'ServiceNotFoundException' || name === 'ServiceNotActiveException') {
    return new WakeError('ERR_WAKE_NOT_FOUND', `${what}: ${String(name)}`, { cause: err });
  }
  return new WakeError('ERR_WAKE_API', `${what}: ${String(name ?? (err as Error).message)}`, { cause: err });
}
