// What each principal of a Passage deployment may do, as IAM statements: the CloudFormation execution
// policy and the permissions boundary that `cdk bootstrap` is given, and one policy per access role.
// Each role's actions are exactly the AWS calls its commands send (test/infra/access-calls.test.ts
// records them with aws-sdk-client-mock and compares); resources are narrowed to this deployment's
// stacks, table keys, zone records, web ACL and bucket. Pure: the access stack only places them.

import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  ACCESS_IAM_PATH,
  CDK_QUALIFIER,
  EDGE_REGION,
  executionPolicyName,
  permissionsBoundaryName,
  type AccessRole,
} from '../../router/contracts/stacks.ts';
import { CHUNK_OBJECT_PATTERN } from '../../router/table/chunk-keys.ts';
import { fleetPartitionKey, fleetPartitionKeyPattern, tablePartitionKey } from '../../router/contracts/dynamodb-keys.ts';

export interface AccessScope {
  readonly account: string;
  readonly partition: string;
  readonly tableId: string;
  readonly tableName: string;
  readonly homeRegion: string;
  /** The GeoDNS name (`domain`): the only records the operator role may change. */
  readonly domain: string;
  readonly webAclName: string;
}

/**
 * The AWS services whose resources the stacks create (CloudFormation type prefix → IAM service), and so
 * the only ones the CloudFormation execution role may touch. test/infra/access-stack.test.ts derives
 * the prefixes from the synthesized templates and fails when a stack starts using a service not here.
 */
export const STACK_SERVICES: Readonly<Record<string, string>> = {
  'AWS::ApplicationAutoScaling': 'application-autoscaling',
  'AWS::CloudFront': 'cloudfront',
  'AWS::CloudWatch': 'cloudwatch',
  'AWS::DynamoDB': 'dynamodb',
  'AWS::EC2': 'ec2',
  'AWS::ECS': 'ecs',
  'AWS::ElasticLoadBalancingV2': 'elasticloadbalancing',
  'AWS::Events': 'events',
  'AWS::IAM': 'iam',
  'AWS::Lambda': 'lambda',
  'AWS::Logs': 'logs',
  'AWS::S3': 's3',
  'AWS::SecretsManager': 'secretsmanager',
  'AWS::SNS': 'sns',
  'AWS::WAFv2': 'wafv2',
  // CDK's custom resources (the VPC's default security group lockdown) are Lambda functions.
  'Custom::': 'lambda',
};

/** Services the stacks need beyond their own resource types: KMS for SSE, SSM for the bootstrap version. */
const SUPPORTING_SERVICES = ['kms', 'ssm', 'cloudformation'];

const arn = (s: AccessScope, service: string, region: string, resource: string): string => `arn:${s.partition}:${service}:${region}:${s.account}:${resource}`;

const stackArns = (s: AccessScope): string[] => [arn(s, 'cloudformation', '*', `stack/Passage-${s.tableId}-*/*`)];
const tableArns = (s: AccessScope, region = '*'): string[] => [arn(s, 'dynamodb', region, `table/${s.tableName}`)];
const leadingKey = (key: string) => ({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [key] } });
/** CloudFormation names the bucket after its stack and logical id, lower-cased. */
const tableBucketArn = (s: AccessScope): string => `arn:${s.partition}:s3:::passage-${s.tableId}-controlplane-*`;
const cdkRole = (s: AccessScope, kind: string): string => `arn:${s.partition}:iam::${s.account}:role/cdk-${CDK_QUALIFIER}-${kind}-role-${s.account}-*`;
/** Roles CloudFormation creates for the stacks are named `<stack name>-<logical id>-<suffix>`. */
const stackRoleArn = (s: AccessScope): string => `arn:${s.partition}:iam::${s.account}:role/Passage-${s.tableId}-*`;
const policyArn = (s: AccessScope, name: string): string => `arn:${s.partition}:iam::${s.account}:policy/${name}`;
const boundaryArn = (s: AccessScope): string => policyArn(s, permissionsBoundaryName(s.tableId));

function statement(sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>): PolicyStatement {
  return new PolicyStatement({ sid, effect: Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) });
}

function deny(sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>): PolicyStatement {
  return new PolicyStatement({ sid, effect: Effect.DENY, actions, resources, ...(conditions ? { conditions } : {}) });
}

/**
 * The escalation guard both policies carry: no role or user without the boundary, no edit of the two
 * policies, no removal of a boundary, nothing under the access path (the CI and operator roles).
 */
function escalationGuards(s: AccessScope): PolicyStatement[] {
  return [
    deny('NoPrincipalWithoutTheBoundary', ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:CreateUser', 'iam:PutUserPermissionsBoundary'], ['*'], {
      StringNotEquals: { 'iam:PermissionsBoundary': boundaryArn(s) },
    }),
    deny('NoEditOfTheGuardrails', ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'], [boundaryArn(s), policyArn(s, executionPolicyName(s.tableId))]),
    deny('NoBoundaryRemoval', ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'], ['*']),
    deny('NoAccessRoles', ['iam:*'], [`arn:${s.partition}:iam::${s.account}:role${ACCESS_IAM_PATH}*`]),
  ];
}

/**
 * `cdk bootstrap --cloudformation-execution-policies`: what CloudFormation may do while it deploys the
 * stacks. The services the stacks create, and IAM only for the stacks' own roles, each with the boundary.
 */
export function executionPolicyStatements(s: AccessScope): PolicyStatement[] {
  const services = [...new Set([...Object.values(STACK_SERVICES), ...SUPPORTING_SERVICES])].filter((svc) => svc !== 'iam').sort();
  return [
    statement('StackServices', services.map((svc) => `${svc}:*`), ['*']),
    statement('StackRoles', [
      'iam:AttachRolePolicy', 'iam:CreateRole', 'iam:DeleteRole', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:GetRole',
      'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:PassRole', 'iam:PutRolePermissionsBoundary',
      'iam:PutRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:UpdateAssumeRolePolicy', 'iam:UpdateRole', 'iam:UpdateRoleDescription',
    ], [stackRoleArn(s)]),
    statement('ServiceLinkedRoles', ['iam:CreateServiceLinkedRole'], ['*'], {
      StringEquals: { 'iam:AWSServiceName': ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'ecs.application-autoscaling.amazonaws.com', 'dynamodb.amazonaws.com', 'replication.dynamodb.amazonaws.com'] },
    }),
    ...escalationGuards(s),
  ];
}

/**
 * `cdk bootstrap --custom-permissions-boundary`, and every role the stacks create: the same services,
 * never more, and the escalation guards. A role that leaks (the task role, say) stays inside it.
 */
export function permissionsBoundaryStatements(s: AccessScope): PolicyStatement[] {
  const services = [...new Set([...Object.values(STACK_SERVICES), ...SUPPORTING_SERVICES, 'sts', 'ecr'])].sort();
  return [statement('PassageServicesOnly', services.map((svc) => `${svc}:*`), ['*']), ...escalationGuards(s)];
}

/** The access role's own calls (the test compares the actions); `sts:AssumeRole` lines are CDK's. */
export function accessRoleStatements(role: AccessRole, s: AccessScope): PolicyStatement[] {
  const describeStacks = statement('ReadStackOutputs', ['cloudformation:DescribeStacks'], stackArns(s));
  const readPublishedVersion = statement('ReadPublishedTable', ['dynamodb:GetItem'], tableArns(s), leadingKey(tablePartitionKey(s.tableId)));
  switch (role) {
    case 'deploy':
      return [
        // cdk deploy: the bootstrap deploy role (CloudFormation runs as the scoped execution role) and the
        // asset publishing roles. Not the lookup role, and not the execution role itself.
        statement('CdkDeployAndPublishAssets', ['sts:AssumeRole'], ['deploy', 'file-publishing', 'image-publishing'].map((kind) => cdkRole(s, kind))),
        describeStacks,
        // Roll and watch the router services (cluster names start with the region stack's name).
        statement('RollRouters', ['ecs:DescribeServices', 'ecs:UpdateService'], [arn(s, 'ecs', '*', `service/Passage-${s.tableId}-*/*`)]),
        readPublishedVersion,
        // Every region's heartbeat partition (FLEET#<id>#<region>), and nothing else.
        statement('ReadHeartbeats', ['dynamodb:Query'], tableArns(s), { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [fleetPartitionKeyPattern(s.tableId)] } }),
      ];
    case 'operator':
      return [
        describeStacks,
        statement('FindZone', ['route53:ListHostedZonesByName'], ['*']),
        statement('ReadRecords', ['route53:ListResourceRecordSets'], [`arn:${s.partition}:route53:::hostedzone/*`]),
        // Only the records of `domain` and its default failover pair (dns-plan.ts names both).
        statement('ChangeGeoRecords', ['route53:ChangeResourceRecordSets'], [`arn:${s.partition}:route53:::hostedzone/*`], {
          'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [s.domain, `_passage-default.${s.domain}`] },
        }),
        statement('WaitForSync', ['route53:GetChange'], [`arn:${s.partition}:route53:::change/*`]),
        statement('RateRules', ['wafv2:GetWebACL', 'wafv2:UpdateWebACL'], [arn(s, 'wafv2', EDGE_REGION, `global/webacl/${s.webAclName}/*`)]),
      ];
    case 'publisher':
      return [
        // Publish, history, rollback: conditional writes on TABLE#<id> items only, in the home region.
        statement('PublishTable', ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], tableArns(s, s.homeRegion), leadingKey(tablePartitionKey(s.tableId))),
        statement('PublishTableObjects', ['s3:GetObject', 's3:PutObject'], [`${tableBucketArn(s)}/*`]),
        statement('ListTableHistory', ['s3:ListBucket'], [tableBucketArn(s)]),
        // `table gc`: chunk objects only (KEY.chunks/<sha256>.json), never the latest or a history object.
        statement('CollectTableChunks', ['s3:DeleteObject'], [`${tableBucketArn(s)}/${CHUNK_OBJECT_PATTERN}`]),
      ];
    case 'plan':
      return [
        // cdk diff --method template reads the deployed templates through the bootstrap lookup role.
        statement('CdkDiffTemplates', ['sts:AssumeRole'], [cdkRole(s, 'lookup')]),
        describeStacks,
        readPublishedVersion,
        statement('ReadTableObject', ['s3:GetObject'], [`${tableBucketArn(s)}/*`]),
        statement('FindZone', ['route53:ListHostedZonesByName'], ['*']),
        statement('ReadRecords', ['route53:ListResourceRecordSets'], [`arn:${s.partition}:route53:::hostedzone/*`]),
        statement('ReadRateRules', ['wafv2:GetWebACL'], [arn(s, 'wafv2', EDGE_REGION, `global/webacl/${s.webAclName}/*`)]),
      ];
  }
}
