// A CLOUDFRONT-scoped WAFv2 web ACL whose rules are the regions file's rate rules, rendered by the same
// function `passagectl waf apply` uses, so a CDK deploy and a CLI apply agree on every field.

import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { RateRuleSpec } from '../../cli/aws/regions.ts';
import { toWafRule } from '../../cli/aws/waf-plan.ts';

export interface RateLimitedWebAclProps {
  readonly name: string;
  readonly rateRules: readonly RateRuleSpec[];
}

export class RateLimitedWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: RateLimitedWebAclProps) {
    super(scope, id);
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: props.name },
      description: 'Passage table endpoint - rate-based rules from passage.regions.toml',
    });
    // CloudFormation's WAFv2 property names are the API's, so the SDK-shaped rules go in verbatim.
    this.webAcl.addPropertyOverride(
      'Rules',
      props.rateRules.map((spec, priority) => toWafRule(spec, priority)),
    );
  }
}
