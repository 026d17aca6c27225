// Names shared by the CDK app (infra/) and passagectl: stack names and the CloudFormation output keys
// the CLI reads back (NLB DNS name for GeoDNS, web ACL for WAF rules, ECS service for rollouts). The
// DynamoDB key layout is in dynamodb-keys.ts.

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
  distributionDomainName: 'DistributionDomainName',
  accessLogBucket: 'TableAccessLogBucketName',
  webAclName: 'WebAclName',
  webAclId: 'WebAclId',
  webAclArn: 'WebAclArn',
  nlbDnsName: 'LoadBalancerDnsName',
  nlbHostedZoneId: 'LoadBalancerHostedZoneId',
  clusterName: 'ClusterName',
  serviceName: 'ServiceName',
  vpcCidr: 'VpcCidr',
  /** Region stacks: the SNS topic every shipped alarm notifies. */
  alarmTopicArn: 'AlarmTopicArn',
  /** Edge stack: the Secrets Manager secret (us-east-1) whose value routers send as TABLE_TOKEN_QUERY_PARAMETER. */
  tableTokenSecretArn: 'TableTokenSecretArn',
} as const;

/**
 * The object `s3://BUCKET` (no key) means. The CDK stack's CloudFront distribution serves the bucket
 * as-is, so routers' `[table] url` is `<TableUrl>/table.json` with this default.
 */
export const DEFAULT_S3_KEY = 'table.json';

/** The table endpoint serves only requests carrying `?passage_token=<secret>` (the web ACL blocks the rest). */
export const TABLE_TOKEN_QUERY_PARAMETER = 'passage_token';

/** `-c min_table_version=N`: the routers' `[table] min_version`, set by `passagectl deploy` to the published version. */
export const MIN_TABLE_VERSION_CONTEXT = 'min_table_version';

/**
 * The account-level access stack (home region; IAM is global): the CloudFormation execution policy and
 * permissions boundary that `cdk bootstrap` is given, and the roles CI and operators assume. It is
 * deployed once, by an administrator, before the bootstrap (docs/AWS.md, "Access").
 */
export function accessStackName(tableId: string): string {
  return `Passage-${tableId}-Access`;
}

/** IAM path of everything the access stack creates: the stacks' roles (path `/`) can never match it. */
export const ACCESS_IAM_PATH = '/passage-access/';

/** The roles of docs/AWS.md, "Roles": each allows exactly the AWS calls its commands make. */
export const ACCESS_ROLES = ['deploy', 'operator', 'publisher', 'plan'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

export function accessRoleName(tableId: string, role: AccessRole): string {
  return `passage-${tableId}-${role}`;
}

/** Managed policy names (path ACCESS_IAM_PATH): pass them to `cdk bootstrap`. */
export function executionPolicyName(tableId: string): string {
  return `passage-${tableId}-cfn-execution`;
}

export function permissionsBoundaryName(tableId: string): string {
  return `passage-${tableId}-boundary`;
}

/** The CDK bootstrap qualifier the app synthesizes for (the default). */
export const CDK_QUALIFIER = 'hnb659fds';

/** `-c github_repository=OWNER/REPO`: the repository whose workflows may assume the access roles (OIDC). */
export const GITHUB_REPOSITORY_CONTEXT = 'github_repository';
