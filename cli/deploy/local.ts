// `passagectl deploy --local N`: the rolling update of the AWS deploy, against N real router processes on
// this machine behind a local TCP load balancer. Start N routers (the "old" revision), then replace them
// one by one following `nextLocalStep`: start one new, wait for `/readyz` (and for the balancer to
// see it), deregister one old from the balancer, SIGTERM it, wait for its exit (0 = drained cleanly).
// Afterwards the new fleet keeps serving until Ctrl-C (or SIGTERM), then drains too.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { CliContext } from '../context.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_ROLLED_BACK } from '../exit-codes.ts';
import type { Reporter } from './events.ts';
import { startLocalBalancer, type LocalBalancer } from './local-balancer.ts';
import { servedTable, spawnRouter, waitReady, type RouterProcess, type RouterSpec } from './local-fleet.ts';
import { nextLocalStep, withInstance, type FleetState, type InstanceState } from './rollout.ts';

export { EXIT_ROLLED_BACK };
/** After deregistering a router, connections the balancer already picked it for still reach it. */
export const DEREGISTRATION_DELAY_MS = 1_000;
const BALANCER_HEALTHY_TIMEOUT_MS = 5_000;
export const LOCAL_TARGET = 'local';

export interface LocalDeployOptions {
  readonly count: number;
  readonly routes: string;
  readonly listenHost: string;
  readonly listenPort: number;
  /** Serve this long with the old fleet before rolling (time to start a client). */
  readonly delayMs: number;
  /** Keep the new fleet serving after the rollout until the signal fires. */
  readonly hold: boolean;
  readonly logLevel?: RouterSpec['logLevel'];
}

export async function runLocalDeploy(opts: LocalDeployOptions, ctx: CliContext, reporter: Reporter): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'passage-deploy-local-'));
  const routers = new Map<string, RouterProcess>();
  let fleet: FleetState = { desired: opts.count, instances: [] };
  let balancer: LocalBalancer | undefined;
  let serial = 0;

  const set = (id: string, state: InstanceState, extra: { exitCode?: number | null; table?: string } = {}): void => {
    fleet = withInstance(fleet, id, { state, ...(extra.exitCode === undefined ? {} : { exitCode: extra.exitCode }) });
    const inst = fleet.instances.find((i) => i.id === id)!;
    const port = routers.get(id)?.port;
    reporter.emit({ type: 'instance', target: LOCAL_TARGET, id, revision: inst.revision, state, ...(port === undefined ? {} : { port }), ...extra });
  };

  /** Spawns a router and brings it into the balancer; false when it never became ready. */
  const start = async (revision: 'old' | 'new'): Promise<boolean> => {
    const id = `router-${++serial}`;
    fleet = { ...fleet, instances: [...fleet.instances, { id, revision, state: 'starting' }] };
    reporter.emit({ type: 'instance', target: LOCAL_TARGET, id, revision, state: 'starting' });
    let router: RouterProcess;
    try {
      router = await spawnRouter({ id, dir, routesFile: opts.routes, ...(opts.logLevel ? { logLevel: opts.logLevel } : {}) }, ctx.signal);
    } catch (err) {
      set(id, 'failed', { exitCode: null });
      reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'fleet', status: 'done', detail: `${id} failed to start: ${(err as Error).message}` });
      return false;
    }
    routers.set(id, router);
    const ready = (await waitReady(router, ctx.clients.fetch)) && (await untilBalanced(id));
    if (!ready) {
      router.kill();
      set(id, 'failed', { exitCode: await router.exited });
      reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'fleet', status: 'done', detail: `${id} never became ready; last log lines:\n${router.log()}` });
      return false;
    }
    const table = await servedTable(router, ctx.clients.fetch);
    set(id, 'ready', table ? { table: `${table.id}@${table.version}` } : {});
    return true;
  };

  const untilBalanced = async (id: string): Promise<boolean> => {
    balancer!.register({ id, port: routers.get(id)!.port, adminUrl: routers.get(id)!.adminUrl });
    const deadline = Date.now() + BALANCER_HEALTHY_TIMEOUT_MS;
    while (!balancer!.isHealthy(id) && Date.now() < deadline) await delay(50);
    return balancer!.isHealthy(id);
  };

  const drain = async (id: string): Promise<void> => {
    balancer?.deregister(id);
    set(id, 'draining');
    await delay(DEREGISTRATION_DELAY_MS);
    const router = routers.get(id);
    // A router still spawning has no process handle yet; it counts as stopped without a drain.
    set(id, 'exited', { exitCode: router === undefined ? null : await router.drain() });
  };

  const stopAll = async (): Promise<void> => {
    const live = fleet.instances.filter((i) => i.state === 'ready' || i.state === 'starting');
    await Promise.all(live.map((i) => drain(i.id)));
  };

  try {
    balancer = await startLocalBalancer(opts.listenHost, opts.listenPort);
    reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'fleet', status: 'started', detail: `${opts.count} routers` });
    const started = await Promise.all(Array.from({ length: opts.count }, () => start('old')));
    if (started.includes(false)) {
      await stopAll();
      reporter.emit({ type: 'result', target: LOCAL_TARGET, outcome: 'failed', exitCode: EXIT_FAILURE, message: 'the initial fleet did not start' });
      return EXIT_FAILURE;
    }
    reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'fleet', status: 'done' });
    reporter.emit({ type: 'balancer', target: LOCAL_TARGET, address: `${balancer.address.address}:${balancer.address.port}` });
    if (opts.delayMs > 0) await delay(opts.delayMs, undefined, { signal: ctx.signal }).catch(() => {});

    reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'rollout', status: 'started' });
    let outcome: 'done' | 'rolled-back' | 'interrupted' = 'interrupted';
    let failedId = '';
    // Each step awaits its own completion, so a rollout of N takes at most N starts and N drains
    // (plus a rollback's stops); the bound only guards against a planner bug.
    for (let i = 0; i < 4 * opts.count + 8 && !ctx.signal.aborted; i++) {
      const step = nextLocalStep(fleet);
      if (step.kind === 'done') {
        outcome = 'done';
        break;
      }
      if (step.kind === 'rolled-back') {
        outcome = 'rolled-back';
        failedId = step.failed;
        break;
      }
      if (step.kind === 'start') await start('new');
      else if (step.kind === 'drain') await drain(step.id);
      else if (step.kind === 'roll-back') await Promise.all(step.stop.map((id) => drain(id)));
      else throw new Error(`rollout planner asked to wait with nothing in flight: ${JSON.stringify(fleet)}`);
    }

    if (outcome !== 'done') {
      await stopAll();
      const rolledBack = outcome === 'rolled-back';
      const exitCode = rolledBack ? EXIT_ROLLED_BACK : EXIT_FAILURE;
      const message = rolledBack ? `${failedId} never became ready; the new routers were stopped and the old ones kept serving until now` : 'interrupted';
      reporter.emit({ type: 'result', target: LOCAL_TARGET, outcome: rolledBack ? 'rolled-back' : 'failed', exitCode, message });
      return exitCode;
    }
    reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'rollout', status: 'done' });
    const tables = await Promise.all(fleet.instances.filter((i) => i.state === 'ready').map((i) => servedTable(routers.get(i.id)!, ctx.clients.fetch)));
    const versions = tables.filter((t) => t !== undefined).map((t) => t.version);
    reporter.emit({ type: 'table', target: LOCAL_TARGET, versions: versions.length === tables.length ? versions : 'unknown' });

    if (opts.hold && !ctx.signal.aborted) {
      reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'stop', status: 'skipped', detail: 'serving; Ctrl-C drains the fleet and exits' });
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'stop', status: 'started' });
    await stopAll();
    reporter.emit({ type: 'step', target: LOCAL_TARGET, step: 'stop', status: 'done' });
    const unclean = fleet.instances.filter((i) => i.state === 'exited' && i.exitCode !== 0);
    if (unclean.length > 0) {
      const message = `rolled out, but ${unclean.map((i) => `${i.id} exited with ${i.exitCode}`).join(', ')} instead of draining cleanly`;
      reporter.emit({ type: 'result', target: LOCAL_TARGET, outcome: 'failed', exitCode: EXIT_FAILURE, message });
      return EXIT_FAILURE;
    }
    const message = `${opts.count} routers replaced one by one; ${fleet.instances.length} drained cleanly (exit 0); balancer saw ${balancer.stats.connections} connections, replayed ${balancer.stats.replays}, refused ${balancer.stats.refused}`;
    reporter.emit({ type: 'result', target: LOCAL_TARGET, outcome: 'done', exitCode: EXIT_OK, message });
    return EXIT_OK;
  } finally {
    for (const router of routers.values()) router.kill();
    await balancer?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
