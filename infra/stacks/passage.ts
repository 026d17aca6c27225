// Composes the whole deployment from the regions file: the us-east-1 edge stack (WAF), the home-region
// control plane, and one region stack per router region. Everything arrives as props; only
// infra/bin/app.ts looks at the environment.

import type { App, Environment } from 'aws-cdk-lib';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { RegionsFile } from '../../router/contracts/regions-file.ts';
import { accessStackName, controlPlaneStackName, EDGE_REGION, edgeStackName, GITHUB_REPOSITORY_CONTEXT, MIN_TABLE_VERSION_CONTEXT, permissionsBoundaryName, regionStackName } from '../../router/contracts/stacks.ts';
import { ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import { AccessStack } from './access-stack.ts';
import type { PublicKeyFile } from '../constructs/router-fleet.ts';
import { ControlPlaneStack } from './control-plane-stack.ts';
import { EdgeStack } from './edge-stack.ts';
import { RegionStack } from './region-stack.ts';

export interface PassageProps {
  readonly regions: RegionsFile;
  readonly image: ContainerImage;
  readonly publicKeys: readonly PublicKeyFile[];
  /** Unset: environment-agnostic account (offline synth); regions are always explicit. */
  readonly account?: string;
  /**
   * The routers' `[table] min_version`. Unset: the `min_table_version` context value, which
   * `passagectl deploy` sets to the version published when it deploys (none before the first publish).
   */
  readonly minTableVersion?: number;
  /** `OWNER/REPO` trusted by the access roles (OIDC). Unset: the `github_repository` context value. */
  readonly githubRepository?: string;
}

export interface PassageStacks {
  readonly access: AccessStack;
  readonly edge: EdgeStack;
  readonly controlPlane: ControlPlaneStack;
  readonly regions: ReadonlyMap<string, RegionStack>;
}

export function definePassage(app: App, props: PassageProps): PassageStacks {
  const { regions: file } = props;
  const env = (region: string): Environment => (props.account ? { account: props.account, region } : { region });
  const tags = { 'passage:table-id': file.tableId };
  const minTableVersion = props.minTableVersion ?? minTableVersionFromContext(app.node.tryGetContext(MIN_TABLE_VERSION_CONTEXT));

  const edge = new EdgeStack(app, edgeStackName(file.tableId), {
    env: env(EDGE_REGION),
    description: 'Passage: WAF web ACL for the table endpoint (CLOUDFRONT scope lives in us-east-1)',
    webAclName: edgeWebAclName(file.tableId),
    rateRules: file.rateRules,
    tags,
  });

  const controlPlane = new ControlPlaneStack(app, controlPlaneStackName(file.tableId), {
    env: env(file.homeRegion),
    description: 'Passage: DynamoDB global table and the signed-table HTTP endpoint',
    tableName: file.tableName,
    regions: file.regions.map((r) => r.name),
    webAclArn: edge.webAclArn,
    ...(file.tableEndpoint ? { tableEndpoint: file.tableEndpoint } : {}),
    terminationProtection: true,
    tags,
  });

  const regionStacks = new Map<string, RegionStack>();
  for (const spec of file.regions) {
    const stack = new RegionStack(app, regionStackName(file.tableId, spec.name), {
      env: env(spec.name),
      description: `Passage: router fleet in ${spec.name}`,
      spec,
      tableName: file.tableName,
      tableId: file.tableId,
      image: props.image,
      publicKeys: props.publicKeys,
      ...(minTableVersion === undefined ? {} : { minTableVersion }),
      tags,
    });
    // The fleet reads its local replica, which the control plane creates.
    stack.addStackDependency(controlPlane);
    regionStacks.set(spec.name, stack);
  }
  // Deployed once by an administrator, never by CI (docs/AWS.md, "Access"): the deploy role cannot widen itself.
  const githubRepository = props.githubRepository ?? (app.node.tryGetContext(GITHUB_REPOSITORY_CONTEXT) as string | undefined);
  const access = new AccessStack(app, accessStackName(file.tableId), {
    env: env(file.homeRegion),
    description: 'Passage: CloudFormation execution policy, permissions boundary and the deploy/operator/publisher/plan roles',
    tableId: file.tableId,
    tableName: file.tableName,
    homeRegion: file.homeRegion,
    domain: file.domain,
    webAclName: edgeWebAclName(file.tableId),
    ...(githubRepository ? { githubRepository } : {}),
    terminationProtection: true,
    tags,
  });
  // Every role the stacks create stays inside the boundary the bootstrap roles carry.
  for (const stack of [edge, controlPlane, ...regionStacks.values()]) {
    PermissionsBoundary.of(stack).apply(ManagedPolicy.fromManagedPolicyName(stack, 'PassageBoundary', permissionsBoundaryName(file.tableId)));
  }
  return { access, edge, controlPlane, regions: regionStacks };
}

/** `-c min_table_version=N` arrives as a string; anything but a non-negative integer is a mistake to stop on. */
export function minTableVersionFromContext(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`context ${MIN_TABLE_VERSION_CONTEXT}: expected a non-negative integer (a table version), got ${JSON.stringify(value)}`);
  return n;
}

/** The edge stack's web ACL; the operator role may change this one only. */
export function edgeWebAclName(tableId: string): string {
  return `passage-${tableId}-table-endpoint`;
}
