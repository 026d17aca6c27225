// Renders the router's `passage.toml` for one region (the configuration contract in DESIGN.md).
// Pure, so the stack and its tests agree on exactly what a task runs with.

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

export function renderRouterConfig(input: RouterConfigInput): string {
  const q = (value: string) => JSON.stringify(value);
  return [
    '# Rendered by the Passage CDK app (infra/constructs/router-config.ts). Do not edit on the task.',
    `address = ${q(`0.0.0.0:${GAME_PORT}`)}`,
    '',
    '[proxy_protocol]',
    "# The NLB target group sends PROXY v2; only the NLB's own subnets may send it.",
    'enabled = true',
    `trusted_proxies = [${input.trustedProxyCidrs.map(q).join(', ')}]`,
    '',
    '[admin]',
    '# The NLB health check reads /readyz here; the security group admits the VPC only.',
    `address = ${q(`0.0.0.0:${ADMIN_PORT}`)}`,
    '',
    '[table]',
    'source = "dynamodb"',
    `dynamodb = { table = ${q(input.tableName)}, id = ${q(input.tableId)}, region = ${q(input.region)} }`,
    `public_keys = [${input.publicKeyPaths.map(q).join(', ')}]`,
    `poll_interval = ${q(input.pollInterval ?? '10s')}`,
    `cache_file = ${q(CACHE_FILE)}`,
    ...(input.minTableVersion ? ['# The version published at deploy time: a replaced task never accepts an older table.', `min_version = ${input.minTableVersion}`] : []),
    '',
    '[fleet]',
    "# Heartbeats go to FLEET#<id>#<region>: the task role may write only this region's partition.",
    `region = ${q(input.region)}`,
    '# EMF lines on stdout (the awslogs driver ships them): the metrics the stack\'s alarms read.',
    'cloudwatch_metrics = true',
    '',
  ].join('\n');
}
