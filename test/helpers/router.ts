// Starts a real router in this process on 127.0.0.1 port 0, with a routes file written to a temp dir.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPassage } from '../../router/app.ts';
import type { RunningPassage } from '../../router/app.ts';
import { buildConfig } from '../../router/config/load.ts';

export interface TestRouter extends RunningPassage {
  readonly port: number;
  readonly adminUrl: string;
  readonly dir: string;
  /** Sum of a counter's values matching the labels. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
}

export interface TestRouterOptions {
  routes: string;
  config?: Record<string, unknown>;
  random?: () => number;
  cookieSecrets?: readonly Buffer[];
  now?: () => number;
  /** A logger instead of the silent one (tests that assert log lines). */
  log?: import('pino').Logger;
}

export async function startTestRouter(opts: TestRouterOptions): Promise<TestRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-test-'));
  writeFileSync(join(dir, 'routes.toml'), opts.routes);
  // Tests log in many times from 127.0.0.1: the rate limiter is off unless a test configures it.
  const raw = {
    address: '127.0.0.1:0',
    admin: { address: '127.0.0.1:0' },
    table: { path: 'routes.toml', cache_file: 'cache.json', allow_unsigned: true },
    rate_limiter: { enabled: false },
    ...opts.config,
  };
  if (opts.config?.table !== undefined) raw.table = { path: 'routes.toml', cache_file: 'cache.json', allow_unsigned: true, ...(opts.config.table as object) };
  const config = buildConfig(raw, join(dir, 'passage.toml'));
  const log = opts.log ?? pino({ level: process.env.PASSAGE_TEST_LOG ?? 'silent' });
  const running = await startPassage(config, {
    log,
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.cookieSecrets === undefined ? {} : { cookieSecrets: opts.cookieSecrets }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  return {
    ...running,
    port: running.address.port,
    adminUrl: `http://127.0.0.1:${running.adminAddress.port}`,
    dir,
    async counter(name: string, labels: Record<string, string> = {}): Promise<number> {
      const metric = running.metrics.registry.getSingleMetric(name);
      if (metric === undefined) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      return values
        .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
        .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`)
        .reduce((sum, v) => sum + v.value, 0);
    },
  };
}

/** A routes file with one transfer route to the given targets. */
export function transferRoutes(targets: { id: string; port: number; priority?: number; players?: number }[], extra = ''): string {
  const lines = [
    'table_id = "test"',
    'version = 1',
    '[[routes]]',
    'id = "main"',
    'hosts = ["play.test", "*.test"]',
    'strategy = "priority"',
    '[routes.status]',
    'motd = "Hello from the test"',
    'max_players = 500',
    extra,
  ];
  for (const t of targets) {
    lines.push('[[routes.targets]]', `id = "${t.id}"`, `address = "127.0.0.1:${t.port}"`, `priority = ${t.priority ?? 0}`);
    if (t.players !== undefined) lines.push(`meta = { players = "${t.players}" }`);
  }
  return `${lines.join('\n')}\n`;
}
