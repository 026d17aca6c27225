// A regions-file rate rule in its WAFv2 form (CloudFormation uses the same names), and back. The CDK
// stack creates the web ACL's rules with toWafRule; `passagectl waf` compares the live rules with the
// same function's output and reads them back with readRateRule.

import type { Rule } from '@aws-sdk/client-wafv2';
import type { RateAggregation, RateRuleSpec, RateWindowSeconds } from './regions-file.ts';

export const DEFAULT_FORWARDED_HEADER = 'X-Forwarded-For';

/** The WAFv2 (and CloudFormation: same names) form of a rate rule; used by the CDK stack too. */
export function toWafRule(spec: RateRuleSpec, priority: number): Rule {
  return {
    Name: spec.name,
    Priority: priority,
    Statement: {
      RateBasedStatement: {
        Limit: spec.limit,
        EvaluationWindowSec: spec.windowSeconds,
        AggregateKeyType: spec.aggregation,
        ...(spec.aggregation === 'FORWARDED_IP'
          ? {
              // A request without the header is not counted against anyone's limit.
              ForwardedIPConfig: { HeaderName: spec.forwardedHeader ?? DEFAULT_FORWARDED_HEADER, FallbackBehavior: 'NO_MATCH' },
            }
          : {}),
      },
    },
    Action: { Block: {} },
    VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: spec.name },
  };
}

/** Reads a WAF rule back into a spec when it is a rate-based rule, else `undefined`. */
export function readRateRule(rule: Rule): RateRuleSpec | undefined {
  const rate = rule.Statement?.RateBasedStatement;
  if (!rate || rule.Name === undefined || rate.Limit === undefined) return undefined;
  const aggregation = (rate.AggregateKeyType ?? 'IP') as RateAggregation;
  return {
    name: rule.Name,
    limit: Number(rate.Limit),
    windowSeconds: Number(rate.EvaluationWindowSec ?? 300) as RateWindowSeconds,
    aggregation,
    ...(rate.ForwardedIPConfig?.HeaderName ? { forwardedHeader: rate.ForwardedIPConfig.HeaderName } : {}),
  };
}
