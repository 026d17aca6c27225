// Who may change a Passage deployment, created once per account by an administrator, before
// `cdk bootstrap` (which is given the two policies below): the CloudFormation execution policy, the
// permissions boundary of every role the stacks create, and the four access roles (deploy, operator,
// publisher, plan; see infra/constructs/access-policies.ts and docs/AWS.md, "Access").
// It uses no bootstrap resources (no assets, no bootstrap roles: the legacy synthesizer deploys a small
// template inline with the caller's own credentials), so it can be deployed first.

import { Duration, LegacyStackSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import { AccountPrincipal, FederatedPrincipal, ManagedPolicy, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  ACCESS_IAM_PATH,
  ACCESS_ROLES,
  accessRoleName,
  executionPolicyName,
  permissionsBoundaryName,
  type AccessRole,
} from '../../router/contracts/stacks.ts';
import { accessRoleStatements, executionPolicyStatements, permissionsBoundaryStatements, type AccessScope } from '../constructs/access-policies.ts';

/** GitHub's OIDC issuer; the provider is created once per account (docs/AWS.md, "CI"). */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/**
 * The deploy job runs up to 90 minutes (timeout-minutes) and asks for a session that long
 * (role-duration-seconds); IAM refuses a longer session than the role's maximum.
 */
export const CI_SESSION = Duration.hours(2);

/** The GitHub token subject each role trusts: main's environment for changes, pull requests for plans. */
const GITHUB_SUBJECT: Readonly<Record<AccessRole, string | undefined>> = {
  deploy: 'environment:production',
  operator: 'environment:production',
  publisher: undefined,
  plan: 'pull_request',
};

export interface AccessStackProps extends StackProps {
  readonly tableId: string;
  readonly tableName: string;
  readonly homeRegion: string;
  readonly domain: string;
  readonly webAclName: string;
  /** `OWNER/REPO`: its workflows may assume the deploy, operator and plan roles through OIDC. */
  readonly githubRepository?: string;
}

export class AccessStack extends Stack {
  readonly executionPolicy: ManagedPolicy;
  readonly permissionsBoundary: ManagedPolicy;
  readonly roles: ReadonlyMap<AccessRole, Role>;

  constructor(scope: Construct, id: string, props: AccessStackProps) {
    super(scope, id, { ...props, synthesizer: new LegacyStackSynthesizer() });
    const s: AccessScope = {
      account: this.account,
      partition: this.partition,
      tableId: props.tableId,
      tableName: props.tableName,
      homeRegion: props.homeRegion,
      domain: props.domain,
      webAclName: props.webAclName,
    };
    this.executionPolicy = new ManagedPolicy(this, 'ExecutionPolicy', {
      managedPolicyName: executionPolicyName(props.tableId),
      description: 'Passage: what CloudFormation may do for the Passage stacks (cdk bootstrap --cloudformation-execution-policies)',
      document: new PolicyDocument({ statements: executionPolicyStatements(s) }),
    });
    this.permissionsBoundary = new ManagedPolicy(this, 'PermissionsBoundary', {
      managedPolicyName: permissionsBoundaryName(props.tableId),
      description: 'Passage: the boundary of the bootstrap roles and of every role the Passage stacks create',
      document: new PolicyDocument({ statements: permissionsBoundaryStatements(s) }),
    });

    const roles = new Map<AccessRole, Role>();
    for (const role of ACCESS_ROLES) {
      const created = new Role(this, `${role[0]!.toUpperCase()}${role.slice(1)}Role`, {
        roleName: accessRoleName(props.tableId, role),
        path: ACCESS_IAM_PATH,
        description: `Passage ${role} role (docs/AWS.md, "Access")`,
        // People and tools in this account, when their own policy lets them assume it.
        assumedBy: new AccountPrincipal(this.account),
        maxSessionDuration: CI_SESSION,
        inlinePolicies: { calls: new PolicyDocument({ statements: accessRoleStatements(role, s) }) },
      });
      const subject = GITHUB_SUBJECT[role];
      if (props.githubRepository !== undefined && subject !== undefined) {
        created.assumeRolePolicy!.addStatements(githubTrust(this, `repo:${props.githubRepository}:${subject}`));
      }
      roles.set(role, created);
    }
    this.roles = roles;
  }
}

function githubTrust(stack: Stack, subject: string): PolicyStatement {
  const conditions = { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: subject } };
  const principal = new FederatedPrincipal(`arn:${stack.partition}:iam::${stack.account}:oidc-provider/${GITHUB_OIDC_HOST}`, conditions, 'sts:AssumeRoleWithWebIdentity');
  return new PolicyStatement({ actions: ['sts:AssumeRoleWithWebIdentity'], principals: [principal], conditions });
}
