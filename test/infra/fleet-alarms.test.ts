// The alarms each region stack ships: every one notifies the stack's SNS topic, reads a metric that
// exists (ECS deployment events through EventBridge, the NLB's host counts, the routers' own EMF
// metrics), and uses the threshold and duration of the Prometheus alert it mirrors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { parse as parseToml } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import { parseRegionsFile } from '../../router/contracts/regions-file.ts';
import { ALARM_RULES } from '../../infra/constructs/fleet-alarms.ts';
import { definePassage } from '../../infra/stacks/passage.ts';
import { CLOUDWATCH_METRICS, CLOUDWATCH_NAMESPACE } from '../../router/fleet/cloudwatch.ts';

const regions = parseRegionsFile(`
home_region = "eu-west-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "alarmed"

[regions.eu-west-1]
continents = ["EU"]
`);
const stacks = definePassage(new App(), {
  regions,
  image: ContainerImage.fromRegistry('public.ecr.aws/example/passage:test'),
  publicKeys: [{ name: 'k.pub', pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAtest\n-----END PUBLIC KEY-----\n' }],
});
const region = Template.fromStack(stacks.regions.get('eu-west-1')!);
type Resource = { Properties: Record<string, any> };
const alarms = Object.values(region.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const alarmNamed = (text: string): Resource => {
  const found = alarms.filter((a) => String(a.Properties.AlarmDescription).includes(text));
  assert.equal(found.length, 1, `one alarm says "${text}"`);
  return found[0]!;
};
const [topicId] = Object.keys(region.findResources('AWS::SNS::Topic'));

describe('the alarms a region stack ships', () => {
  test('there is one per condition, and every one notifies the stack topic, which is an output', () => {
    assert.equal(alarms.length, Object.keys(ALARM_RULES).length);
    for (const alarm of alarms) assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }], alarm.Properties.AlarmDescription);
    region.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  test('a failed rollout (ECS circuit breaker) is an EventBridge match on this service, sent to the topic and alarmed on', () => {
    const [[ruleId, rule]] = Object.entries(region.findResources('AWS::Events::Rule')) as [string, Resource][];
    const pattern = rule!.Properties.EventPattern;
    assert.deepEqual([pattern.source, pattern['detail-type'], pattern.detail], [['aws.ecs'], ['ECS Deployment State Change'], { eventName: ['SERVICE_DEPLOYMENT_FAILED'] }]);
    const [serviceId] = Object.keys(region.findResources('AWS::ECS::Service'));
    assert.deepEqual(pattern.resources, [{ Ref: serviceId }]);
    assert.deepEqual(rule!.Properties.Targets.map((t: { Arn: unknown }) => t.Arn), [{ Ref: topicId }]);
    const alarm = alarmNamed('deployment failed').Properties;
    assert.deepEqual([alarm.Namespace, alarm.MetricName, alarm.Dimensions], ['AWS/Events', 'TriggeredRules', [{ Name: 'RuleName', Value: { Ref: ruleId } }]]);
  });

  test('unhealthy and missing targets come from the NLB target group', () => {
    const unhealthy = alarmNamed('failed the NLB /readyz check').Properties;
    assert.deepEqual([unhealthy.Namespace, unhealthy.MetricName, unhealthy.Statistic, unhealthy.EvaluationPeriods], ['AWS/NetworkELB', 'UnHealthyHostCount', 'Maximum', 5]);
    assert.deepEqual(unhealthy.Dimensions.map((d: { Name: string }) => d.Name).sort(), ['LoadBalancer', 'TargetGroup']);
    const none = alarmNamed('no router behind the NLB').Properties;
    assert.deepEqual([none.MetricName, none.ComparisonOperator, none.Threshold, none.TreatMissingData], ['HealthyHostCount', 'LessThanThreshold', 1, 'breaching']);
  });

  test("table and heartbeat alarms read the routers' EMF metrics, which the rendered config turns on", () => {
    const emf = alarms.filter((a) => a.Properties.Namespace === CLOUDWATCH_NAMESPACE || a.Properties.Metrics !== undefined);
    const names = new Set<string>();
    for (const a of emf) {
      const stats = a.Properties.Metrics?.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric) ?? [a.Properties];
      for (const m of stats) {
        assert.equal(m.Namespace, CLOUDWATCH_NAMESPACE);
        const dims = [...m.Dimensions].sort((a: { Name: string }, b: { Name: string }) => a.Name.localeCompare(b.Name));
        assert.deepEqual(dims, [{ Name: 'Region', Value: 'eu-west-1' }, { Name: 'TableId', Value: 'alarmed' }]);
        names.add(m.MetricName);
      }
    }
    assert.deepEqual([...names].sort(), Object.values(CLOUDWATCH_METRICS).sort());
    const [taskDef] = Object.values(region.findResources('AWS::ECS::TaskDefinition')) as Resource[];
    const env = Object.fromEntries(taskDef!.Properties.ContainerDefinitions[0].Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
    const config = parseToml(JSON.parse(env.PASSAGE_FILES)['/etc/passage/passage.toml']) as { fleet: { cloudwatch_metrics: boolean } };
    assert.equal(config.fleet.cloudwatch_metrics, true);
  });

  test('each alarm that mirrors a Prometheus alert has its threshold and its `for:` duration', () => {
    const file = parseAllDocuments(readFileSync(new URL('../../deploy/prometheus/passage-alerts.yml', import.meta.url), 'utf8'))[0]!.toJS() as {
      groups: { rules: { alert: string; expr: string; for: string }[] }[];
    };
    const rules = new Map(file.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
    let mirrored = 0;
    for (const [name, spec] of Object.entries(ALARM_RULES)) {
      if (spec.prometheus === undefined) continue;
      const rule = rules.get(spec.prometheus);
      assert.ok(rule, `${name}: ${spec.prometheus} is in passage-alerts.yml`);
      assert.equal(Number(/^(\d+)m$/.exec(rule.for)?.[1]), spec.minutes, `${name}: for: ${rule.for}`);
      // `… < 6 * 3600`, `… == 1`, `… > 0`: the number the expression compares against.
      const rhs = /(?:<|>|==)\s*([\d\s*]+)\s*$/.exec(rule.expr.trim())?.[1];
      if (rhs !== undefined) assert.equal(rhs.split('*').reduce((p, n) => p * Number(n), 1), spec.threshold, `${name}: ${rule.expr.trim()}`);
      mirrored++;
    }
    assert.equal(mirrored, 5);
  });
});
