// The config of an in-process supervisor test: two workers on ephemeral loopback ports, offline, no rate
// limits, and an unsigned routes.json in `dir` polled only when the test calls pollOnce, so each table
// arrives when the test says.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig } from '../../router/config/load.ts';
import type { PassageConfig } from '../../router/config/schema.ts';

export function twoWorkerConfig(dir: string): PassageConfig {
  return buildConfig({
    address: '127.0.0.1:0',
    workers: 2,
    drain_timeout: '1s',
    admin: { address: '127.0.0.1:0' },
    auth: { mode: 'offline' },
    rate_limiter: { enabled: false },
    table: { path: 'routes.json', allow_unsigned: true, poll_interval: '1h' },
  }, join(dir, 'passage.toml'));
}

/** Writes `dir`/routes.json: version `version`, one route for every host whose server list shows `motd`. */
export function writeOneRouteTable(dir: string, version: number, motd: string): void {
  writeFileSync(join(dir, 'routes.json'), JSON.stringify({
    table_id: 'test',
    version,
    routes: [{ id: 'main', hosts: ['*'], status: { motd, max_players: 5 }, targets: [{ id: 'a', address: '127.0.0.1:25599' }] }],
  }));
}
