// One synth of the whole app (two regions) shared by every assertion in this file: each synth costs
// seconds, so the tests read the templates rather than rebuilding them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { parseRegionsFile } from '../../router/contracts/regions-file.ts';
import { definePassage, minTableVersionFromContext } from '../../infra/stacks/passage.ts';
import { parse as parseToml } from 'smol-toml';
import type { Rule } from '@aws-sdk/client-wafv2';
import { planWafRules } from '../../cli/aws/waf-plan.ts';

const regions = parseRegionsFile(`
home_region = "eu-west-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "prod"
table_name = "passage-test"

[[waf.rate_rules]]
name = "table-per-ip"
limit = 600
window = 300

[[waf.rate_rules]]
name = "burst"
limit = 200
window = 60

[regions.eu-west-1]
continents = ["EU"]
desired_count = 2
max_count = 8
cpu = 512
memory = 1024

[regions.ap-southeast-1]
continents = ["AS"]
desired_count = 1
cpu = 1024
memory = 2048
`);

const app = new App();
const stacks = definePassage(app, {
  regions,
  image: ContainerImage.fromRegistry('public.ecr.aws/example/passage:test'),
  publicKeys: [{ name: 'prod.pub', pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAtest\n-----END PUBLIC KEY-----\n' }],
});
/** The passage.toml a region's tasks are started with (PASSAGE_FILES in the task definition). */
function renderedConfig(template: Template): string {
  const [taskDef] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  const env = Object.fromEntries(taskDef.Properties.ContainerDefinitions[0].Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
  return (JSON.parse(env.PASSAGE_FILES) as Record<string, string>)['/etc/passage/passage.toml']!;
}

function subnetCidr(template: Template, logicalId: string): string {
  return template.findResources('AWS::EC2::Subnet')[logicalId]!.Properties.CidrBlock as string;
}

const edge = Template.fromStack(stacks.edge);
const controlPlane = Template.fromStack(stacks.controlPlane);
const euWest = Template.fromStack(stacks.regions.get('eu-west-1')!);
const apSoutheast = Template.fromStack(stacks.regions.get('ap-southeast-1')!);

describe('edge stack (us-east-1)', () => {
  test('lives in us-east-1 because CLOUDFRONT web ACLs exist only there', () => {
    assert.equal(stacks.edge.region, 'us-east-1');
    edge.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
  });

  test('carries each rate rule from the regions file with its limit, window and aggregation, after the router-token rule', () => {
    edge.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [
        Match.objectLike({ Name: 'passage-router-token-required', Priority: 0 }),
        {
          Name: 'table-per-ip',
          Priority: 1,
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 600, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } },
        },
        {
          Name: 'burst',
          Priority: 2,
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 200, EvaluationWindowSec: 60, AggregateKeyType: 'IP' } },
        },
      ],
    });
  });

  test('blocks every table request without the generated router token, which never appears in the template', () => {
    const [acl] = Object.values(edge.findResources('AWS::WAFv2::WebACL'));
    const rule = (acl.Properties.Rules as Record<string, any>[]).find((r) => r.Name === 'passage-router-token-required')!;
    assert.deepEqual(rule.Action, { Block: {} });
    const match = rule.Statement.NotStatement.Statement.ByteMatchStatement;
    assert.deepEqual(match.FieldToMatch, { SingleQueryArgument: { Name: 'passage_token' } });
    assert.equal(match.PositionalConstraint, 'EXACTLY');
    // A dynamic reference to the generated secret, resolved by CloudFormation at deploy time.
    const [secretId] = Object.keys(edge.findResources('AWS::SecretsManager::Secret'));
    assert.match(JSON.stringify(match.SearchString), new RegExp(`\\{\\{resolve:secretsmanager:.*${secretId}`));
    edge.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ ExcludePunctuation: true }) });
    edge.hasOutput('TableTokenSecretArn', { Value: { Ref: secretId } });
  });

  test('passagectl waf apply keeps the router-token rule first and adds new rate rules after it', () => {
    const [acl] = Object.values(edge.findResources('AWS::WAFv2::WebACL'));
    const current = acl.Properties.Rules as Rule[];
    const desired = [...regions.rateRules, { name: 'new-rule', limit: 50, windowSeconds: 60, aggregation: 'IP' } as const];
    const plan = planWafRules(desired, current);
    assert.equal(plan.rules[0]!.Name, 'passage-router-token-required');
    assert.equal(plan.rules[0]!.Priority, 0);
    assert.ok(plan.rules.find((r) => r.Name === 'new-rule')!.Priority! > 0);
    assert.ok(plan.changes.every((c) => c.name !== 'passage-router-token-required' || c.action === 'no-op'));
  });
});

describe('control-plane stack (home region)', () => {
  test('creates the global table with pk/sk strings and a replica in every other region', () => {
    controlPlane.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'passage-test',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
    const [table] = Object.values(controlPlane.findResources('AWS::DynamoDB::GlobalTable'));
    const replicaRegions = (table.Properties.Replicas as { Region: string }[]).map((r) => r.Region).sort();
    assert.deepEqual(replicaRegions, ['ap-southeast-1', 'eu-west-1']);
  });

  test('turns on point-in-time recovery and deletion protection on every replica', () => {
    const [table] = Object.values(controlPlane.findResources('AWS::DynamoDB::GlobalTable'));
    for (const replica of table.Properties.Replicas) {
      assert.deepEqual(replica.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true }, replica.Region);
      assert.equal(replica.DeletionProtectionEnabled, true, replica.Region);
    }
    assert.equal(table.DeletionPolicy, 'Retain');
  });

  test('serves the table bucket only through CloudFront with origin access control', () => {
    controlPlane.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    controlPlane.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    controlPlane.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'https-only' }),
      }),
    });
  });

  test('puts the us-east-1 web ACL in front of the distribution through a cross-region output', () => {
    controlPlane.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: { 'Fn::GetStackOutput': Match.objectLike({ StackName: stacks.edge.stackName, Region: 'us-east-1' }) },
      }),
    });
  });
});

describe('region stack', () => {
  test('sends PROXY protocol v2 to the routers and keeps a 30 s deregistration delay', () => {
    euWest.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'TCP',
      Port: 25565,
      TargetType: 'ip',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
        { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
      ]),
    });
    euWest.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 25565, Protocol: 'TCP' });
    euWest.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internet-facing' });
  });

  test('health-checks the admin port on /readyz', () => {
    euWest.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '9565',
      HealthCheckPath: '/readyz',
    });
  });

  test('rolls out at 100/200 with the circuit breaker rolling back', () => {
    euWest.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      // No DesiredCount (issue 20): a deploy must not reset the count autoscaling chose.
      DesiredCount: Match.absent(),
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
    });
  });

  test('sizes each region from the regions file', () => {
    euWest.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '512', Memory: '1024' });
    apSoutheast.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '2048' });
    apSoutheast.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4 });
  });

  test("trusts PROXY headers only from the NLB's own subnets (not the VPC, not the routers' subnets) and reads its local replica", () => {
    const config = renderedConfig(euWest);
    const trusted = (parseToml(config) as { proxy_protocol: { trusted_proxies: string[] } }).proxy_protocol.trusted_proxies;
    const [nlb] = Object.values(euWest.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const nlbSubnets = (nlb.Properties.Subnets as { Ref: string }[]).map((s) => subnetCidr(euWest, s.Ref)).sort();
    assert.deepEqual([...trusted].sort(), nlbSubnets);
    assert.equal(nlbSubnets.length, 2);
    const [service] = Object.values(euWest.findResources('AWS::ECS::Service'));
    const routerSubnets = (service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets as { Ref: string }[]).map((s) => subnetCidr(euWest, s.Ref));
    for (const cidr of trusted) {
      assert.notEqual(cidr, '10.80.0.0/16', 'not the whole VPC');
      assert.ok(!routerSubnets.includes(cidr), `${cidr} is not a router subnet`);
    }
    assert.match(config, /dynamodb = \{ table = "passage-test", id = "prod", region = "eu-west-1" \}/);
    assert.match(config, /public_keys = \["\/etc\/passage\/keys\/prod.pub"\]/);
    euWest.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.80.0.0/16' });
  });

  test("names the stack's region as the routers' fleet region, the heartbeat partition its task role may write", () => {
    const fleet = (parseToml(renderedConfig(euWest)) as { fleet?: { region?: string } }).fleet;
    assert.equal(fleet?.region, 'eu-west-1');
  });

  test("admits the game and admin ports only from the NLB's subnets", () => {
    const [nlb] = Object.values(euWest.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const nlbSubnets = (nlb.Properties.Subnets as { Ref: string }[]).map((s) => subnetCidr(euWest, s.Ref)).sort();
    const groups = Object.values(euWest.findResources('AWS::EC2::SecurityGroup')).filter((g) => /Passage routers/.test(g.Properties.GroupDescription));
    assert.equal(groups.length, 1);
    const ingress = groups[0]!.Properties.SecurityGroupIngress as { CidrIp: string; FromPort: number }[];
    for (const port of [25565, 9565]) {
      assert.deepEqual(ingress.filter((r) => r.FromPort === port).map((r) => r.CidrIp).sort(), nlbSubnets, `port ${port}`);
    }
    assert.equal(ingress.length, 4);
  });

  test('renders no table.min_version without one, and the min_table_version context value as table.min_version', () => {
    assert.doesNotMatch(renderedConfig(euWest), /min_version/);
    const floorApp = new App({ context: { min_table_version: '17' } });
    const floored = definePassage(floorApp, {
      regions,
      image: ContainerImage.fromRegistry('public.ecr.aws/example/passage:test'),
      publicKeys: [{ name: 'prod.pub', pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAtest\n-----END PUBLIC KEY-----\n' }],
    });
    const config = renderedConfig(Template.fromStack(floored.regions.get('ap-southeast-1')!));
    assert.equal((parseToml(config) as { table: { min_version: number } }).table.min_version, 17);
    assert.throws(() => minTableVersionFromContext('v5'), /min_table_version: expected a non-negative integer/);
  });

  test('runs the router as the container command with a SIGTERM grace period', () => {
    euWest.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'router',
          Command: ['/bin/sh', '-c', Match.stringLikeRegexp('exec node dist/router/main\\.js --config /etc/passage/passage\\.toml$')],
          StopTimeout: 60,
          Secrets: [Match.objectLike({ Name: 'PASSAGE_COOKIE_SECRET' })],
        }),
      ],
    });
  });

  test('scales on CPU and on new NLB connections per healthy task', () => {
    euWest.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
    euWest.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: {
          Metrics: Match.arrayWith([
            Match.objectLike({ Id: 'flows', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'NewFlowCount', Namespace: 'AWS/NetworkELB' }) }) }),
            Match.objectLike({ Expression: 'flows / 60 / healthy', ReturnData: true }),
          ]),
        },
      }),
    });
  });

  test("lets the task role read only TABLE#<id> items and write only its own region's FLEET#<id>#<region> heartbeats", () => {
    const role = euWest.getResourceId('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })] }), Description: Match.stringLikeRegexp('read its routing table') },
    });
    const policies = Object.values(euWest.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    assert.deepEqual(actions, ['dynamodb:GetItem', 'dynamodb:PutItem']);
    for (const statement of statements) {
      const leadingKeys = statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys'];
      assert.ok(leadingKeys, `statement ${statement.Sid} has no LeadingKeys condition`);
      const expected = [statement.Action].flat().includes('dynamodb:PutItem') ? ['FLEET#prod#eu-west-1'] : ['TABLE#prod'];
      assert.deepEqual(leadingKeys, expected);
      assert.equal(JSON.stringify(statement.Resource).includes('*'), false, 'no wildcard resources');
      assert.match(JSON.stringify(statement.Resource), /:dynamodb:eu-west-1:.*:table\/passage-test"/);
    }
  });

  test('depends on the control plane so the replica exists first', () => {
    const deps = stacks.regions.get('eu-west-1')!.dependencies.map((s) => s.stackName);
    assert.deepEqual(deps, [stacks.controlPlane.stackName]);
  });
});
