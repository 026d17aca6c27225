// CloudWatch alarms shipped with each region stack, all notifying one SNS topic (subscribe to its
// `AlarmTopicArn` output). Every alarm reads a metric that exists:
//   * rollout failures: ECS's "ECS Deployment State Change" event SERVICE_DEPLOYMENT_FAILED for this
//     service (the circuit breaker fired) matched by an EventBridge rule; the rule's AWS/Events
//     TriggeredRules metric is the alarm, and the event itself goes to the topic too;
//   * unhealthy targets: the NLB target group's UnHealthyHostCount and HealthyHostCount (AWS/NetworkELB);
//   * table expiry, an expired table in use, a router behind on the table version, failing heartbeats:
//     the routers' own EMF lines ([fleet] cloudwatch_metrics, router/fleet/cloudwatch.ts), with the
//     thresholds of deploy/prometheus/passage-alerts.yml (ALARM_RULES; a test keeps the two in step).

import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import type { FargateService } from 'aws-cdk-lib/aws-ecs';
import type { NetworkLoadBalancer, NetworkTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CLOUDWATCH_METRICS, CLOUDWATCH_NAMESPACE } from '../../router/fleet/cloudwatch.ts';

const PERIOD = Duration.minutes(1);

/**
 * Each alarm, with the Prometheus alert it mirrors (`prometheus`; undefined for the AWS-only ones), its
 * threshold and how many 1-minute periods it must hold (the alert's `for:`).
 */
export const ALARM_RULES = {
  rolloutFailed: { prometheus: undefined, threshold: 1, minutes: 1 },
  unhealthyTargets: { prometheus: undefined, threshold: 1, minutes: 5 },
  noHealthyTargets: { prometheus: undefined, threshold: 1, minutes: 2 },
  tableExpiresSoon: { prometheus: 'PassageTableExpiresSoon', threshold: 6 * 3600, minutes: 5 },
  tableExpiryImminent: { prometheus: 'PassageTableExpiryImminent', threshold: 3600, minutes: 1 },
  tableExpiredInUse: { prometheus: 'PassageTableExpiredInUse', threshold: 1, minutes: 1 },
  instanceOnOldTable: { prometheus: 'PassageInstanceOnOldTable', threshold: 0, minutes: 10 },
  heartbeatFailing: { prometheus: 'PassageFleetHeartbeatFailing', threshold: 0, minutes: 15 },
} as const;
export type AlarmName = keyof typeof ALARM_RULES;

export interface FleetAlarmsProps {
  readonly service: FargateService;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly targetGroup: NetworkTargetGroup;
  readonly tableId: string;
  readonly region: string;
}

export class FleetAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: ReadonlyMap<AlarmName, Alarm>;

  constructor(scope: Construct, id: string, props: FleetAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: `Passage alarms (${props.region})`, enforceSSL: true });
    const alarms = new Map<AlarmName, Alarm>();
    const add = (name: AlarmName, description: string, metric: IMetric, comparison: ComparisonOperator, missing: TreatMissingData): void => {
      const rule = ALARM_RULES[name];
      const alarm = new Alarm(this, name[0]!.toUpperCase() + name.slice(1), {
        alarmDescription: `Passage ${props.region}: ${description}`,
        metric,
        threshold: rule.threshold,
        evaluationPeriods: rule.minutes,
        datapointsToAlarm: rule.minutes,
        comparisonOperator: comparison,
        treatMissingData: missing,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarms.set(name, alarm);
    };

    // The circuit breaker turned a deployment FAILED (and rolled back).
    const failedRollouts = new Rule(this, 'FailedDeployments', {
      description: 'Passage: an ECS deployment of the routers failed (circuit breaker)',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [props.service.serviceArn],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
      targets: [new SnsTopic(this.topic)],
    });
    add('rolloutFailed', 'a router deployment failed and was rolled back (ECS circuit breaker)',
      new Metric({ namespace: 'AWS/Events', metricName: 'TriggeredRules', dimensionsMap: { RuleName: failedRollouts.ruleName }, statistic: 'Sum', period: PERIOD }),
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, TreatMissingData.NOT_BREACHING);

    const nlb = { LoadBalancer: props.loadBalancer.loadBalancerFullName, TargetGroup: props.targetGroup.targetGroupFullName };
    // A task that stays unhealthy past the grace period of a roll (60 s) and the NLB's 2 × 10 s checks.
    add('unhealthyTargets', 'a router target has failed the NLB /readyz check for 5 minutes',
      new Metric({ namespace: 'AWS/NetworkELB', metricName: 'UnHealthyHostCount', dimensionsMap: nlb, statistic: 'Maximum', period: PERIOD }),
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, TreatMissingData.NOT_BREACHING);
    // No data from the NLB is no healthy target either.
    add('noHealthyTargets', 'no router behind the NLB passes /readyz: players of this region fall to GeoDNS failover',
      new Metric({ namespace: 'AWS/NetworkELB', metricName: 'HealthyHostCount', dimensionsMap: nlb, statistic: 'Minimum', period: PERIOD }),
      ComparisonOperator.LESS_THAN_THRESHOLD, TreatMissingData.BREACHING);

    const fleet = (metricName: string, statistic: string): Metric =>
      new Metric({ namespace: CLOUDWATCH_NAMESPACE, metricName, dimensionsMap: { TableId: props.tableId, Region: props.region }, statistic, period: PERIOD });
    add('tableExpiresSoon', 'the routing table expires in less than 6 h: re-sign and publish (passagectl table publish)',
      fleet(CLOUDWATCH_METRICS.tableExpirySeconds, 'Minimum'), ComparisonOperator.LESS_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
    add('tableExpiryImminent', 'the routing table expires within the hour (negative: expired, served as the last good table)',
      fleet(CLOUDWATCH_METRICS.tableExpirySeconds, 'Minimum'), ComparisonOperator.LESS_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
    add('tableExpiredInUse', 'a router serves an expired routing table and its source offers nothing newer',
      fleet(CLOUDWATCH_METRICS.tableExpired, 'Maximum'), ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, TreatMissingData.NOT_BREACHING);
    add('instanceOnOldTable', 'a router has served an older table version than the rest of the region for 10 minutes',
      new MathExpression({
        expression: 'newest - oldest',
        usingMetrics: { newest: fleet(CLOUDWATCH_METRICS.tableVersion, 'Maximum'), oldest: fleet(CLOUDWATCH_METRICS.tableVersion, 'Minimum') },
        label: 'Table versions between the newest and the oldest router',
        period: PERIOD,
      }),
      ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
    add('heartbeatFailing', 'routers cannot write fleet heartbeats (passagectl status shows them stale): check the task role',
      fleet(CLOUDWATCH_METRICS.heartbeatFailures, 'Sum'), ComparisonOperator.GREATER_THAN_THRESHOLD, TreatMissingData.NOT_BREACHING);
    this.alarms = alarms;
  }
}
