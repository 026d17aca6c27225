// Least privilege in the synthesized templates: the access stack (execution policy, permissions
// boundary, CI/operator roles), the boundary on every role the stacks create, the ECS trust policies,
// the ECR pull grant of a pinned image, and the hardened router task. One synth, with cdk.json's
// feature flags (the VPC's custom resource included), shared by every assertion.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseRegionsFile } from '../../router/contracts/regions-file.ts';
import { ACCESS_IAM_PATH, accessRoleName, executionPolicyName, permissionsBoundaryName } from '../../router/contracts/stacks.ts';
import { STACK_SERVICES } from '../../infra/constructs/access-policies.ts';
import { NONCURRENT_VERSION_RETENTION } from '../../infra/constructs/table-endpoint.ts';
import { WRITABLE_PATHS } from '../../infra/constructs/router-fleet.ts';
import { parseImageRef, RouterImageError, routerImage } from '../../infra/constructs/router-image.ts';
import { CI_SESSION } from '../../infra/stacks/access-stack.ts';
import { chunkObjectKey } from '../../router/table/chunk-keys.ts';
import { definePassage } from '../../infra/stacks/passage.ts';

const ROOT = new URL('../../', import.meta.url);
const regions = parseRegionsFile(`
home_region = "eu-west-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "live"
table_name = "passage-access-test"

[regions.eu-west-1]
continents = ["EU"]
desired_count = 3
max_count = 9
`);
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ECR_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/passage/router@${DIGEST}`;
const cdkJson = JSON.parse(readFileSync(new URL('cdk.json', ROOT), 'utf8')) as { context: Record<string, unknown> };
const app = new App({ context: cdkJson.context });
const stacks = definePassage(app, {
  regions,
  image: routerImage(ECR_IMAGE),
  publicKeys: [{ name: 'live.pub', pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAtest\n-----END PUBLIC KEY-----\n' }],
  githubRepository: 'example/passage',
});
const appStacks: Stack[] = [stacks.edge, stacks.controlPlane, ...stacks.regions.values()];
const access = Template.fromStack(stacks.access);
const fleet = Template.fromStack(stacks.regions.get('eu-west-1')!);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
function managedPolicy(name: string): Statement[] {
  const [policy] = Object.values(access.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: name } }));
  assert.ok(policy, `managed policy ${name}`);
  return policy.Properties.PolicyDocument.Statement;
}
const actions = (s: Statement): string[] => [s.Action].flat();
const boundaryRef = (value: unknown): string => JSON.stringify(value);

describe('the access stack', () => {
  test('needs no bootstrap: no bootstrap version check, no assets, so an administrator deploys it first', () => {
    const json = access.toJSON();
    assert.equal(json.Parameters?.BootstrapVersion, undefined);
    assert.equal(json.Rules?.CheckBootstrapVersion, undefined);
    const manifest = app.synth().getStackArtifact(stacks.access.artifactId);
    assert.equal(manifest.assumeRoleArn, undefined, 'deployed with the caller\'s own credentials');
    assert.deepEqual(manifest.assets, []);
  });

  test('the execution policy covers every service whose resources the stacks create, and IAM only for their own roles', () => {
    const statements = managedPolicy(executionPolicyName('live'));
    const allowed = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actions));
    const types = new Set(appStacks.flatMap((stack) => Object.values(app.synth().getStackArtifact(stack.artifactId).template.Resources as Record<string, { Type: string }>).map((r) => r.Type)));
    for (const type of types) {
      const prefix = Object.keys(STACK_SERVICES).find((p) => type.startsWith(p.endsWith('::') ? p : `${p}::`));
      assert.ok(prefix, `${type} belongs to a service in STACK_SERVICES`);
      const service = STACK_SERVICES[prefix]!;
      if (service === 'iam') continue;
      assert.ok(allowed.has(`${service}:*`), `${type}: the execution policy allows ${service}:*`);
    }
    assert.ok(!allowed.has('*') && !allowed.has('iam:*'), 'no administrator access');
    for (const s of statements.filter((x) => x.Effect === 'Allow' && actions(x).some((a) => a.startsWith('iam:') && a !== 'iam:CreateServiceLinkedRole'))) {
      assert.match(JSON.stringify(s.Resource), /:role\/Passage-live-\*"/, 'IAM actions only on the stacks\' own roles');
    }
  });

  test('the execution policy and the boundary forbid a role without the boundary, editing either policy, and the access roles', () => {
    for (const name of [executionPolicyName('live'), permissionsBoundaryName('live')]) {
      const denies = managedPolicy(name).filter((s) => s.Effect === 'Deny');
      const noBoundary = denies.find((s) => actions(s).includes('iam:CreateRole'));
      assert.match(JSON.stringify(noBoundary?.Condition?.StringNotEquals?.['iam:PermissionsBoundary']), /:policy\/passage-live-boundary"/, name);
      assert.ok(denies.some((s) => actions(s).includes('iam:CreatePolicyVersion') && /passage-live-boundary/.test(JSON.stringify(s.Resource))), name);
      assert.ok(denies.some((s) => actions(s).includes('iam:DeleteRolePermissionsBoundary')), name);
      assert.ok(denies.some((s) => actions(s).includes('iam:*') && JSON.stringify(s.Resource).includes(`:role${ACCESS_IAM_PATH}*`)), name);
    }
  });

  test('CI assumes the deploy and operator roles from the production environment, the plan role from pull requests; no role trusts other repositories', () => {
    const subjects = (role: 'deploy' | 'operator' | 'publisher' | 'plan'): string[] => {
      const [found] = Object.values(access.findResources('AWS::IAM::Role', { Properties: { RoleName: accessRoleName('live', role) } }));
      assert.equal(found.Properties.Path, ACCESS_IAM_PATH);
      assert.ok(found.Properties.MaxSessionDuration >= CI_SESSION.toSeconds());
      return (found.Properties.AssumeRolePolicyDocument.Statement as Statement[])
        .filter((s) => actions(s).includes('sts:AssumeRoleWithWebIdentity'))
        .map((s) => String(s.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub']));
    };
    assert.deepEqual(subjects('deploy'), ['repo:example/passage:environment:production']);
    assert.deepEqual(subjects('operator'), ['repo:example/passage:environment:production']);
    assert.deepEqual(subjects('plan'), ['repo:example/passage:pull_request']);
    assert.deepEqual(subjects('publisher'), []);
  });

  test("the deploy role queries every region's heartbeat partition (FLEET#<id>#<region>) and no other key", () => {
    const [found] = Object.values(access.findResources('AWS::IAM::Role', { Properties: { RoleName: accessRoleName('live', 'deploy') } }));
    const statements = (found.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    const query = statements.filter((s) => actions(s).includes('dynamodb:Query'));
    assert.deepEqual(query.map((s) => s.Condition), [{ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FLEET#live#*'] } }]);
  });
});

describe('the publisher role', () => {
  test('may delete chunk objects for `table gc`, and no latest or history object', () => {
    const [found] = Object.values(access.findResources('AWS::IAM::Role', { Properties: { RoleName: accessRoleName('live', 'publisher') } }));
    const statements = (found.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    const deletes = statements.filter((s) => actions(s).some((a) => a === 's3:DeleteObject' || a === 's3:*' || a === 's3:Delete*'));
    assert.equal(deletes.length, 1);
    const resources = [deletes[0]!.Resource].flat().map((r) => JSON.stringify(r));
    assert.equal(resources.length, 1);
    // `*.chunks/*` in IAM's glob: KEY.chunks/<sha256>.json for any KEY (a KEY never holds `.chunks/`).
    const pattern = new RegExp(`^${JSON.parse(resources[0]!).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const object = (key: string): string => `arn:aws:s3:::passage-live-controlplane-tableendpointbucket-abc/${key}`;
    for (const key of [chunkObjectKey('table.json', 'a'.repeat(64)), chunkObjectKey('staging/table.json', 'b'.repeat(64))]) assert.match(object(key), pattern, key);
    for (const key of ['table.json', `table.json.history/v${'1'.padStart(16, '0')}.json`, 'staging/table.json']) assert.doesNotMatch(object(key), pattern, key);
  });
});

describe('roles the stacks create', () => {
  test('every one of them carries the permissions boundary', () => {
    let count = 0;
    for (const stack of appStacks) {
      for (const [id, role] of Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Role'))) {
        assert.match(boundaryRef(role.Properties.PermissionsBoundary), /:policy\/passage-live-boundary"/, `${stack.stackName}/${id}`);
        count++;
      }
    }
    assert.ok(count >= 3);
  });

  test('the task and execution roles trust ECS tasks of this account only (aws:SourceAccount, aws:SourceArn)', () => {
    const roles = Object.values(fleet.findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ecs-tasks.amazonaws.com'));
    assert.equal(roles.length, 2);
    for (const role of roles) {
      const [statement] = role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      assert.deepEqual(statement!.Condition?.StringEquals?.['aws:SourceAccount'], { Ref: 'AWS::AccountId' });
      assert.match(JSON.stringify(statement!.Condition?.ArnLike?.['aws:SourceArn']), /arn:aws:ecs:eu-west-1:/);
    }
  });

  test('autoscaling uses its service-linked role: no scaling role of our own', () => {
    const trusted = Object.values(fleet.findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('application-autoscaling'));
    assert.deepEqual(trusted, []);
    fleet.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { RoleARN: Match.absent(), MinCapacity: 3, MaxCapacity: 9 });
  });

  test('an ECR image is referenced by digest, and the execution role may pull exactly that repository', () => {
    const [taskDef] = Object.values(fleet.findResources('AWS::ECS::TaskDefinition'));
    assert.match(JSON.stringify(taskDef.Properties.ContainerDefinitions[0].Image), new RegExp(`passage/router@${DIGEST}`));
    const executionRole = fleet.getResourceId('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('pull the image') } });
    const statements = Object.values(fleet.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === executionRole))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const pull = statements.find((s) => actions(s).includes('ecr:BatchGetImage'));
    assert.ok(pull, 'ecr:BatchGetImage granted');
    assert.match(JSON.stringify(pull.Resource), /arn:.*:ecr:eu-west-1:123456789012:repository\/passage\/router/);
    assert.ok(statements.some((s) => actions(s).includes('ecr:GetAuthorizationToken')));
  });

  test('an ECR image named by a tag is refused in one line that says how to find its digest; other registries pass', () => {
    assert.throws(() => parseImageRef('123456789012.dkr.ecr.eu-west-1.amazonaws.com/passage:1.4.0'), (err: unknown) =>
      err instanceof RouterImageError && err.code === 'PASSAGE_IMAGE_INVALID' && /pin it by digest/.test(err.message) && /aws ecr describe-images --repository-name passage/.test(err.message) && !err.message.includes('\n'));
    assert.throws(() => parseImageRef('x'.repeat(600)), RouterImageError);
    assert.deepEqual(parseImageRef('public.ecr.aws/example/passage:test'), { kind: 'registry', name: 'public.ecr.aws/example/passage:test' });
  });
});

describe('the router task', () => {
  const [taskDef] = Object.values(fleet.findResources('AWS::ECS::TaskDefinition'));
  const container = taskDef.Properties.ContainerDefinitions[0];

  test('runs with a read-only root filesystem, writing only to task-local volumes the image declares', () => {
    assert.equal(container.ReadonlyRootFilesystem, true);
    const volumes = (taskDef.Properties.Volumes as { Name: string }[]).map((v) => v.Name).sort();
    assert.deepEqual(volumes, WRITABLE_PATHS.map(([name]) => name).sort());
    const mounts = (container.MountPoints as { ContainerPath: string; SourceVolume: string; ReadOnly: boolean }[]).map((m) => `${m.SourceVolume}:${m.ContainerPath}:${m.ReadOnly}`).sort();
    assert.deepEqual(mounts, WRITABLE_PATHS.map(([name, path]) => `${name}:${path}:false`).sort());
    // Fargate bind mounts belong to root unless the image declares the path as a VOLUME it owns.
    const declared = JSON.parse(/^VOLUME (\[.*\])$/m.exec(readFileSync(new URL('Dockerfile', ROOT), 'utf8'))?.[1] ?? '[]') as string[];
    for (const [, path] of WRITABLE_PATHS) assert.ok(declared.includes(path), `the Dockerfile declares VOLUME ${path}`);
    assert.ok(WRITABLE_PATHS.some(([, path]) => path === '/etc/passage') && WRITABLE_PATHS.some(([, path]) => path === '/var/cache/passage'));
  });

  test('drops every Linux capability', () => {
    assert.deepEqual(container.LinuxParameters.Capabilities, { Drop: ['ALL'] });
  });

  test('has no container health check that would start a Node process on every interval; the NLB checks /readyz', () => {
    assert.equal(container.HealthCheck, undefined);
    fleet.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/readyz' });
  });

  test('leaves the running count to autoscaling: the template sets no DesiredCount a deploy would reset', () => {
    fleet.hasResourceProperties('AWS::ECS::Service', { DesiredCount: Match.absent(), LaunchType: 'FARGATE' });
  });
});

describe('the table bucket', () => {
  test('expires overwritten object versions after the retention; the history objects are current versions and stay', () => {
    Template.fromStack(stacks.controlPlane).hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_RETENTION.toDays() }, ExpirationInDays: Match.absent() })]) },
    });
  });
});
