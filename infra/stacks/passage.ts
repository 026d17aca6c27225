// Composes the whole deployment from the regions file: the us-east-1 edge stack (WAF), the home-region
// control plane, and one region stack per router region. Everything arrives as props; only
// infra/bin/app.ts looks at the environment.

import type { App, Environment } from 'aws-cdk-lib';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { RegionsFile } from '../../cli/aws/regions.ts';
import { controlPlaneStackName, EDGE_REGION, edgeStackName, regionStackName } from '../../cli/aws/stacks.ts';
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
}

export interface PassageStacks {
  readonly edge: EdgeStack;
  readonly controlPlane: ControlPlaneStack;
  readonly regions: ReadonlyMap<string, RegionStack>;
}

export function definePassage(app: App, props: PassageProps): PassageStacks {
  const { regions: file } = props;
  const env = (region: string): Environment => (props.account ? { account: props.account, region } : { region });
  const tags = { 'passage:table-id': file.tableId };

  const edge = new EdgeStack(app, edgeStackName(file.tableId), {
    env: env(EDGE_REGION),
    description: 'Passage: WAF web ACL for the table endpoint (CLOUDFRONT scope lives in us-east-1)',
    webAclName: `passage-${file.tableId}-table-endpoint`,
    rateRules: file.rateRules,
    tags,
  });

  const controlPlane = new ControlPlaneStack(app, controlPlaneStackName(file.tableId), {
    env: env(file.homeRegion),
    description: 'Passage: DynamoDB global table and the signed-table HTTP endpoint',
    tableName: file.tableName,
    regions: file.regions.map((r) => r.name),
    webAclArn: edge.webAclArn,
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
      tags,
    });
    // The fleet reads its local replica, which the control plane creates.
    stack.addStackDependency(controlPlane);
    regionStacks.set(spec.name, stack);
  }
  return { edge, controlPlane, regions: regionStacks };
}
