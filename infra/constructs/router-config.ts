// Renders the router's `passage.toml` for one region (the configuration contract in DESIGN.md) with
// the shared typed renderer (router/contracts/router-config.ts). Pure, so the stack and its tests
// agree on exactly what a task runs with; router-config-check.ts runs the router's loader on it.

import { renderPassageToml, type PassageConfigDocument } from '../../router/contracts/router-config.ts';

export const GAME_PORT = 25565;
export const ADMIN_PORT = 9565;
export const CONFIG_DIR = '/etc/passage';
export const CONFIG_PATH = `${CONFIG_DIR}/passage.toml`;
export const KEY_DIR = `${CONFIG_DIR}/keys`;
export const CACHE_FILE = '/var/cache/passage/table-cache.json';

export interface RouterConfigInput {
  /**
   * CIDRs of the subnets the NLB lives in (nothing else runs there): the only peers whose PROXY headers
   * are believed. Not the whole VPC: a router or anything else in it could then claim any client address.
   */
  readonly trustedProxyCidrs: readonly string[];
  readonly tableName: string;
  readonly tableId: string;
  /** The region whose replica this fleet reads. */
  readonly region: string;
  /** Absolute paths of the trusted public key files inside the container. */
  readonly publicKeyPaths: readonly string[];
  readonly pollInterval?: string;
  /** `[table] min_version`: the version published when this was rendered; omitted (0) before the first publish. */
  readonly minTableVersion?: number;
}

/** The document every task of a region runs with; keys and types are the router's schema. */
export function routerConfigDocument(input: RouterConfigInput): PassageConfigDocument {
  return {
    address: `0.0.0.0:${GAME_PORT}`,
    proxy_protocol: { enabled: true, trusted_proxies: input.trustedProxyCidrs },
    admin: { address: `0.0.0.0:${ADMIN_PORT}` },
    table: {
      source: 'dynamodb',
      dynamodb: { table: input.tableName, id: input.tableId, region: input.region },
      public_keys: input.publicKeyPaths,
      poll_interval: input.pollInterval ?? '10s',
      cache_file: CACHE_FILE,
      ...(input.minTableVersion ? { min_version: input.minTableVersion } : {}),
    },
    // Heartbeats go to FLEET#<id>#<region> (the task role may write only this region's partition); EMF
    // lines on stdout, shipped by the awslogs driver, are the metrics the stack's alarms read.
    fleet: { region: input.region, cloudwatch_metrics: true },
  };
}

export function renderRouterConfig(input: RouterConfigInput): string {
  return renderPassageToml(routerConfigDocument(input), {
    comment: [
      'Rendered by the Passage CDK app (infra/constructs/router-config.ts). Do not edit on the task.',
      "proxy_protocol: the NLB target group sends PROXY v2; only the NLB's own subnets may send it.",
      'admin: the NLB health check reads /readyz here; the security group admits the VPC only.',
      "fleet: heartbeats go to FLEET#<id>#<region>; cloudwatch_metrics writes the EMF lines the stack's alarms read.",
      ...(input.minTableVersion ? ['table.min_version: the version published at deploy time; a replaced task never accepts an older table.'] : []),
    ],
  });
}
