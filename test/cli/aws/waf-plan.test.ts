import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Rule } from '@aws-sdk/client-wafv2';
import type { RateRuleSpec } from '../../../router/contracts/regions-file.ts';
import { planWafRules, readRateRule, renderWafPlan, toWafRule } from '../../../cli/aws/waf-plan.ts';

const perIp: RateRuleSpec = { name: 'per-ip', limit: 600, windowSeconds: 300, aggregation: 'IP' };
const proxied: RateRuleSpec = { name: 'proxied', limit: 100, windowSeconds: 60, aggregation: 'FORWARDED_IP', forwardedHeader: 'X-Forwarded-For' };
const managedGroup: Rule = {
  Name: 'aws-common',
  Priority: 10,
  Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
  OverrideAction: { None: {} },
  VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'aws-common' },
};

describe('toWafRule / readRateRule', () => {
  test('round-trip a rate rule through the WAF shape', () => {
    for (const spec of [perIp, proxied]) assert.deepEqual(readRateRule(toWafRule(spec, 3)), spec);
    assert.equal(readRateRule(managedGroup), undefined);
  });

  test('use the forwarded header only for FORWARDED_IP and never count requests without it', () => {
    assert.equal(toWafRule(perIp, 0).Statement?.RateBasedStatement?.ForwardedIPConfig, undefined);
    assert.deepEqual(toWafRule(proxied, 0).Statement?.RateBasedStatement?.ForwardedIPConfig, {
      HeaderName: 'X-Forwarded-For',
      FallbackBehavior: 'NO_MATCH',
    });
  });
});

describe('planWafRules', () => {
  const cases: {
    name: string;
    desired: RateRuleSpec[];
    current: Rule[];
    changes: [string, string][];
    rules: [string, number][];
  }[] = [
    {
      name: 'adds rules to an empty web ACL',
      desired: [perIp, proxied],
      current: [],
      changes: [['add', 'per-ip'], ['add', 'proxied']],
      rules: [['per-ip', 0], ['proxied', 1]],
    },
    {
      name: 'is a no-op when the rules already match',
      desired: [perIp, proxied],
      current: [toWafRule(perIp, 0), toWafRule(proxied, 1)],
      changes: [['no-op', 'per-ip'], ['no-op', 'proxied']],
      rules: [['per-ip', 0], ['proxied', 1]],
    },
    {
      name: 'changes a rule whose limit differs, keeping its priority',
      desired: [{ ...perIp, limit: 1200 }],
      current: [toWafRule(perIp, 4)],
      changes: [['change', 'per-ip']],
      rules: [['per-ip', 4]],
    },
    {
      name: 'changes a rule whose window or aggregation differs',
      desired: [{ ...perIp, windowSeconds: 60 }, { ...proxied, aggregation: 'IP', forwardedHeader: undefined } as RateRuleSpec],
      current: [toWafRule(perIp, 0), toWafRule(proxied, 1)],
      changes: [['change', 'per-ip'], ['change', 'proxied']],
      rules: [['per-ip', 0], ['proxied', 1]],
    },
    {
      name: 'changes a rule someone switched to Count',
      desired: [perIp],
      current: [{ ...toWafRule(perIp, 0), Action: { Count: {} } }],
      changes: [['change', 'per-ip']],
      rules: [['per-ip', 0]],
    },
    {
      name: 'removes rate rules that left the file and keeps rules that are not rate-based',
      desired: [perIp],
      current: [toWafRule(perIp, 0), toWafRule(proxied, 1), managedGroup],
      changes: [['no-op', 'per-ip'], ['remove', 'proxied']],
      rules: [['per-ip', 0], ['aws-common', 10]],
    },
    {
      name: 'adds new rules after the highest priority in use',
      desired: [proxied],
      current: [managedGroup],
      changes: [['add', 'proxied']],
      rules: [['aws-common', 10], ['proxied', 11]],
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const plan = planWafRules(c.desired, c.current);
      assert.deepEqual(plan.changes.map((ch) => [ch.action, ch.name]), c.changes);
      assert.deepEqual(plan.rules.map((r) => [r.Name, r.Priority]), c.rules);
      assert.equal(plan.hasChanges, c.changes.some(([action]) => action !== 'no-op'));
    });
  }

  test('treats echoed empty optional fields and Long values as unchanged', () => {
    const echoed = { ...toWafRule(perIp, 0), RuleLabels: [] } as Rule;
    (echoed.Statement!.RateBasedStatement as { Limit: unknown }).Limit = 600n;
    assert.equal(planWafRules([perIp], [echoed]).hasChanges, false);
  });
});

describe('renderWafPlan', () => {
  test('shows add, change, remove and unchanged rules', () => {
    const plan = planWafRules([{ ...perIp, limit: 1200 }, { name: 'burst', limit: 50, windowSeconds: 60, aggregation: 'IP' }], [toWafRule(perIp, 0), toWafRule(proxied, 1)]);
    assert.equal(
      renderWafPlan(plan, 'passage-prod-table-endpoint'),
      [
        'passage-prod-table-endpoint: 1 to add, 1 to change, 1 to remove',
        '  ~ per-ip: 600 per 300s per IP, block → 1200 per 300s per IP, block',
        '  - proxied: 100 per 60s per FORWARDED_IP(X-Forwarded-For), block',
        '  + burst: 50 per 60s per IP, block',
      ].join('\n'),
    );
    assert.match(renderWafPlan(planWafRules([perIp], [toWafRule(perIp, 0)])), /no changes\n  = per-ip/);
  });
});
