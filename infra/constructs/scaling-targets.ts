// The one set of scaling targets for a router fleet, wherever it runs: the AWS fleet's target-tracking
// policies (router-fleet.ts), the Kubernetes HPA (deploy/kubernetes/hpa.yaml, held equal by
// test/deploy/kubernetes.test.ts) and the docs (docs/AWS.md, docs/ADAPTERS.md). Change them together.

export const SCALING_TARGETS = {
  /** Average CPU utilization a router should run at. */
  cpuPercent: 60,
  /** New TCP connections per second per router (NLB flows on AWS, passage_connections_total on Kubernetes). */
  newConnectionsPerSecond: 50,
  /** Wait this long after a scale-out before removing a router: a removed router drains its logins first. */
  scaleInCooldownSeconds: 300,
} as const;
