// Names shared by the CDK app (infra/) and passagectl: stack names and the CloudFormation output keys
// the CLI reads back (NLB DNS name for GeoDNS, web ACL for WAF rules, ECS service for rollouts).

/** CLOUDFRONT-scoped WAF resources exist only in us-east-1. */
export const EDGE_REGION = 'us-east-1';

export function controlPlaneStackName(tableId: string): string {
  return `Passage-${tableId}-ControlPlane`;
}

export function edgeStackName(tableId: string): string {
  return `Passage-${tableId}-Edge`;
}

export function regionStackName(tableId: string, region: string): string {
  return `Passage-${tableId}-${region}`;
}

/** CloudFormation output keys (`CfnOutput` ids). */
export const OUTPUTS = {
  tableName: 'TableName',
  tableArn: 'TableArn',
  tableBucket: 'TableBucketName',
  tableUrl: 'TableUrl',
  distributionId: 'DistributionId',
  webAclName: 'WebAclName',
  webAclId: 'WebAclId',
  webAclArn: 'WebAclArn',
  nlbDnsName: 'LoadBalancerDnsName',
  nlbHostedZoneId: 'LoadBalancerHostedZoneId',
  clusterName: 'ClusterName',
  serviceName: 'ServiceName',
  vpcCidr: 'VpcCidr',
} as const;

/** DynamoDB keys of the items the routers touch (see DESIGN.md, "Signed routing tables"). */
export function tablePartitionKey(tableId: string): string {
  return `TABLE#${tableId}`;
}

/** Fleet heartbeats: one item per task, expired by the `expires_at` TTL attribute. */
export function fleetPartitionKey(tableId: string): string {
  return `FLEET#${tableId}`;
}

export const HEARTBEAT_TTL_ATTRIBUTE = 'expires_at';
