// DNS discovery: SRV records (each answer is a target with its own port, SRV priority and weight), or
// A / AAAA records with the configured port. Resolvers can be set per route (`servers`), which is also
// how tests point the adapter at a loopback DNS server.
import { Resolver } from 'node:dns/promises';
import type { DiscoveryConfig, Target } from '../table/types.ts';
import { AdapterError } from './errors.ts';
import type { Fetcher } from './adapter.ts';

/** At most this many records become targets (a name with more is almost certainly a mistake). */
export const MAX_DNS_TARGETS = 1_000;

function target(id: string, host: string, port: number, priority: number, meta: Record<string, string>): Target {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { id, address, host, port, priority, meta };
}

export function dnsTargets(config: DiscoveryConfig): Fetcher<Target[]> {
  const name = config.name!;
  const recordType = config.recordType ?? 'srv';
  // c-ares gives up after `timeout` per try; one try, so the adapter's timeout is the whole query.
  const resolver = new Resolver({ timeout: config.timeout, tries: 1 });
  if (config.servers !== undefined) resolver.setServers([...config.servers]);
  return async (signal) => {
    const onAbort = (): void => resolver.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let targets: Target[];
      if (recordType === 'srv') {
        const records = await resolver.resolveSrv(name);
        targets = records.map((r) => {
          const host = r.name.replace(/\.$/, '').toLowerCase();
          return target(`${host}:${r.port}`, host, r.port, r.priority, { weight: String(r.weight) });
        });
      } else {
        const addresses = recordType === 'a' ? await resolver.resolve4(name) : await resolver.resolve6(name);
        targets = addresses.map((ip) => target(ip, ip, config.port!, 0, {}));
      }
      if (targets.length === 0) throw new AdapterError('ERR_ADAPTER_DNS', `${recordType.toUpperCase()} ${name}: no records`);
      if (targets.length > MAX_DNS_TARGETS) throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `${recordType.toUpperCase()} ${name}: ${targets.length} records, the limit is ${MAX_DNS_TARGETS}`);
      // Two SRV records naming the same host and port are one target.
      return [...new Map(targets.map((t) => [t.id, t])).values()];
    } catch (err) {
      if (err instanceof AdapterError) throw err;
      const code = (err as { code?: string }).code ?? 'unknown';
      if (code === 'ETIMEOUT' || code === 'ECANCELLED') {
        throw new AdapterError('ERR_ADAPTER_TIMEOUT', `${recordType.toUpperCase()} ${name}: no answer within ${config.timeout}ms`, { cause: err });
      }
      throw new AdapterError('ERR_ADAPTER_DNS', `${recordType.toUpperCase()} ${name}: ${code}`, { cause: err });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}
