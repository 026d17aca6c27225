// The Kubernetes manifests in deploy/kubernetes/ parsed and cross-checked against the router: probe
// paths the admin server answers, ports the config listens on, a ConfigMap that buildConfig accepts,
// RBAC that covers what the discovery watches, an HPA metric prometheus-adapter actually defines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { buildConfig } from '../../router/config/load.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { SCALING_TARGETS } from '../../infra/constructs/scaling-targets.ts';
import { CONNECTIONS_PER_TASK_PER_SECOND, CPU_TARGET_PERCENT } from '../../infra/constructs/router-fleet.ts';

const dir = new URL('../../deploy/kubernetes/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const docs = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'prometheus-adapter-rules.yaml' && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(read(f)).map((d) => {
    assert.deepEqual(d.errors, [], `${f}: ${d.errors.join('; ')}`);
    return d.toJS() as Record<string, any>;
  }));
const one = (kind: string, name?: string): Record<string, any> => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''}`);
  return found[0];
};

const configMap = one('ConfigMap');
const config = buildConfig(parseToml(configMap.data['passage.toml']) as Record<string, unknown>, '/etc/passage/passage.toml', {});
const routes = parseRoutingTable(parseToml(configMap.data['routes.toml']));
const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const portNamed = (name: string): number => container.ports.find((p: { name: string }) => p.name === name).containerPort;

describe('deploy/kubernetes', () => {
  test('the kustomization lists every manifest', () => {
    const listed = (parseAllDocuments(read('kustomization.yaml'))[0].toJS() as { resources: string[] }).resources.sort();
    assert.deepEqual(listed, readdirSync(dir).filter((f) => f.endsWith('.yaml') && !['kustomization.yaml', 'prometheus-adapter-rules.yaml'].includes(f)).sort());
  });

  test('the ConfigMap holds a passage.toml that buildConfig accepts and a routing table that validates', () => {
    assert.equal(config.table.source, 'file');
    assert.equal(config.table.path, '/etc/passage/routes.toml');
    assert.equal(routes.routes[0].discovery?.type, 'kubernetes');
  });

  test('the container ports are the ones the config listens on, and the probes hit paths the admin server answers', () => {
    assert.equal(portNamed('minecraft'), config.address.port);
    assert.equal(portNamed('admin'), config.admin.address.port);
    assert.equal(config.admin.address.host, '0.0.0.0', 'the kubelet probes the pod IP');
    const admin = readFileSync(new URL('../../router/admin/server.ts', import.meta.url), 'utf8');
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.equal(probe.httpGet.port, 'admin');
      assert.ok(admin.includes(`case '${probe.httpGet.path}':`), `${probe.httpGet.path} is served by router/admin/server.ts`);
    }
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  });

  test('the preStop sleep and the drain fit in the termination grace period', () => {
    const command: string[] = container.lifecycle.preStop.exec.command;
    assert.equal(command[0], 'sleep');
    const sleepSeconds = Number(command[1]);
    assert.ok(sleepSeconds > container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold);
    assert.ok(pod.terminationGracePeriodSeconds > sleepSeconds + config.drainTimeoutMs / 1000);
  });

  test('the mounted config path and the writable cache are where the config says', () => {
    const mounts = new Map(container.volumeMounts.map((m: { name: string; mountPath: string; readOnly?: boolean }) => [m.mountPath, m]));
    assert.ok(container.args.includes('/etc/passage/passage.toml'));
    assert.ok(mounts.has('/etc/passage'));
    assert.ok(config.table.cacheFile.startsWith('/var/cache/passage/'));
    assert.ok(mounts.has('/var/cache/passage'));
  });

  test('the Service is a TCP load balancer to the minecraft port, with PROXY protocol exactly when the config expects it', () => {
    const service = one('Service');
    assert.equal(service.spec.type, 'LoadBalancer');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.equal(service.spec.ports[0].targetPort, 'minecraft');
    assert.equal(service.spec.ports[0].protocol, 'TCP');
    const proxy = Object.keys(service.metadata.annotations).some((k) => k.includes('proxy-protocol'));
    assert.equal(proxy, config.proxyProtocol.enabled);
    assert.equal(service.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-healthcheck-path'], '/readyz');
    assert.equal(Number(service.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-healthcheck-port']), config.admin.address.port);
  });

  test('the HPA scales the Deployment on CPU and on the connections-per-second metric prometheus-adapter defines', () => {
    const hpa = one('HorizontalPodAutoscaler');
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(hpa.spec.metrics.some((m: any) => m.type === 'Resource' && m.resource.name === 'cpu'));
    const custom = hpa.spec.metrics.find((m: any) => m.type === 'Pods').pods.metric.name;
    const rules = (parseAllDocuments(read('prometheus-adapter-rules.yaml'))[0].toJS() as { rules: { custom: any[] } }).rules.custom;
    const rule = rules.find((r) => r.name.as === custom);
    assert.ok(rule, `prometheus-adapter defines ${custom}`);
    const series = /^(\w+)\{/.exec(rule.seriesQuery)![1];
    assert.ok(readFileSync(new URL('../../router/metrics/registry.ts', import.meta.url), 'utf8').includes(`'${series}'`), `the router exports ${series}`);
  });

  test('PROXY headers are believed only from the load balancer\'s own subnets, never a private range as a whole', () => {
    const trusted = config.proxyProtocol.trustedProxies;
    assert.ok(trusted.length > 0);
    for (const cidr of trusted) {
      const [, bits] = cidr.split('/');
      assert.ok(Number(bits) >= 20, `${cidr} is a subnet, not a network`);
      assert.ok(!['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].includes(cidr), `${cidr} is not a whole RFC 1918 range`);
    }
    const service = one('Service');
    const subnets = String(service.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-subnets'] ?? '');
    assert.equal(subnets.split(',').filter((s) => s.trim() !== '').length, trusted.length, 'the Service pins the load balancer to as many subnets as are trusted');
  });

  test('a NetworkPolicy lets only the metrics scraper and the load balancer\'s health checks reach the admin port', () => {
    const policy = one('NetworkPolicy');
    assert.equal(policy.metadata.namespace, deployment.metadata.namespace);
    assert.deepEqual(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels);
    assert.ok(policy.spec.policyTypes.includes('Ingress'));
    const admitsAdmin = (rule: any): boolean => (rule.ports ?? []).some((p: any) => p.port === 'admin' || p.port === portNamed('admin'));
    const adminRules = policy.spec.ingress.filter(admitsAdmin);
    // A rule without ports admits every port; one without `from` admits every source.
    assert.ok(policy.spec.ingress.every((rule: any) => rule.ports !== undefined), 'no rule opens every port');
    assert.equal(adminRules.length, 1);
    const from: any[] = adminRules[0].from ?? [];
    assert.ok(from.length > 0, 'the admin port is not open to everyone');
    const blocks = from.filter((f) => f.ipBlock !== undefined).map((f) => f.ipBlock.cidr).sort();
    assert.deepEqual(blocks, [...config.proxyProtocol.trustedProxies].sort(), 'health checks come from the trusted load-balancer subnets only');
    const scrapers = from.filter((f) => f.ipBlock === undefined);
    assert.equal(scrapers.length, 1);
    assert.ok(scrapers[0].podSelector?.matchLabels && scrapers[0].namespaceSelector?.matchLabels, 'the scraper is named by namespace and pod labels, not "any pod"');
    const game = policy.spec.ingress.find((rule: any) => rule.ports.some((p: any) => p.port === 'minecraft'));
    assert.ok(game, 'players can reach the game port');
  });

  test('the HPA alone sets the replica count: the Deployment has no replicas field for kubectl apply -k to reset', () => {
    assert.equal(one('HorizontalPodAutoscaler').spec.scaleTargetRef.name, deployment.metadata.name);
    assert.equal('replicas' in deployment.spec, false);
  });

  test('the HPA aims at the same scaling targets as the AWS fleet, and the docs state them', () => {
    const hpa = one('HorizontalPodAutoscaler');
    const cpu = hpa.spec.metrics.find((m: any) => m.type === 'Resource' && m.resource.name === 'cpu').resource.target;
    assert.deepEqual(cpu, { type: 'Utilization', averageUtilization: SCALING_TARGETS.cpuPercent });
    const connections = hpa.spec.metrics.find((m: any) => m.type === 'Pods').pods.target;
    assert.deepEqual(connections, { type: 'AverageValue', averageValue: String(SCALING_TARGETS.newConnectionsPerSecond) });
    assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, SCALING_TARGETS.scaleInCooldownSeconds);
    assert.equal(CPU_TARGET_PERCENT, SCALING_TARGETS.cpuPercent);
    assert.equal(CONNECTIONS_PER_TASK_PER_SECOND, SCALING_TARGETS.newConnectionsPerSecond);
    for (const doc of ['docs/AWS.md', 'docs/ADAPTERS.md']) {
      const text = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8');
      assert.match(text, new RegExp(`CPU at ${SCALING_TARGETS.cpuPercent} ?%`), `${doc} states the CPU target`);
      assert.match(text, new RegExp(`${SCALING_TARGETS.newConnectionsPerSecond} new connections per second per (router|task|pod)`), `${doc} states the connection target`);
    }
  });

  test('readiness needs more than one failed probe before a pod leaves the endpoints', () => {
    assert.ok(container.readinessProbe.failureThreshold > 1, `failureThreshold ${container.readinessProbe.failureThreshold}`);
  });

  test('the PodDisruptionBudget covers the pods', () => {
    assert.deepEqual(one('PodDisruptionBudget').spec.selector.matchLabels, deployment.spec.template.metadata.labels);
  });

  test('RBAC lets the pod\'s service account get, list and watch what the routes discover, where they discover it', () => {
    const account = one('ServiceAccount');
    assert.equal(pod.serviceAccountName, account.metadata.name);
    const role = one('Role');
    const binding = one('RoleBinding');
    assert.equal(binding.roleRef.name, role.metadata.name);
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
    for (const route of routes.routes) {
      const d = route.discovery;
      if (d?.type !== 'kubernetes') continue;
      assert.equal(role.metadata.namespace, d.namespace);
      const group = d.resource === 'gameservers' ? 'agones.dev' : '';
      const rule = role.rules.find((r: any) => r.apiGroups.includes(group) && r.resources.includes(d.resource));
      assert.ok(rule, `a rule for ${group}/${d.resource}`);
      for (const verb of ['get', 'list', 'watch']) assert.ok(rule.verbs.includes(verb));
    }
  });

  test('RBAC lets the service account create GameServerAllocations (agones_allocation discovery) and nothing more on them', () => {
    const role = one('Role');
    const rule = role.rules.find((r: any) => r.apiGroups.includes('allocation.agones.dev') && r.resources.includes('gameserverallocations'));
    assert.ok(rule, 'a rule for allocation.agones.dev/gameserverallocations');
    assert.deepEqual(rule.verbs, ['create']);
  });

  test('the memory request covers the highest peak RSS the reliability suite measured, within the limit', () => {
    const mebibytes = (q: string): number => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? Number.NaN);
    const report = readFileSync(new URL('../../docs/RELIABILITY.md', import.meta.url), 'utf8');
    // The "router peak RSS" column of the results table.
    const header = report.split('\n').find((l) => l.startsWith('| scenario |'))!.split('|').map((c) => c.trim());
    const column = header.indexOf('router peak RSS');
    assert.ok(column > 0, 'docs/RELIABILITY.md has a peak RSS column');
    const peaks = report.split('\n').filter((l) => /^\| [a-z-]+ \| \d/.test(l)).map((l) => Number(/([\d.]+) MiB/.exec(l.split('|')[column]!)?.[1]));
    assert.ok(peaks.length >= 5 && peaks.every(Number.isFinite), peaks.join(','));
    const { requests, limits } = container.resources as { requests: { memory: string }; limits: { memory: string } };
    assert.ok(mebibytes(requests.memory) >= Math.max(...peaks), `request ${requests.memory} < measured peak ${Math.max(...peaks)} MiB`);
    assert.ok(mebibytes(requests.memory) <= mebibytes(limits.memory));
  });

  test('the docs say how the NLB pod readiness gate keeps a rolling update from outrunning the load balancer', () => {
    const docs = readFileSync(new URL('../../docs/ADAPTERS.md', import.meta.url), 'utf8');
    assert.match(docs, /kubectl label namespace passage elbv2\.k8s\.aws\/pod-readiness-gate-inject=enabled/);
    // The gate only matters when a new pod must be healthy before an old one goes: no unavailable pods.
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(one('Service').metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-nlb-target-type'], 'ip');
  });
});
