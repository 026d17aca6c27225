// A CLOUDFRONT-scoped WAFv2 web ACL whose rules are the regions file's rate rules, rendered by the same
// function `passagectl waf apply` uses, so a CDK deploy and a CLI apply agree on every field. With a
// router token, rule 0 blocks every request that does not carry it: the table (backend addresses,
// adapter URLs, maintenance plans) is for the routers only. The rate rules follow, so they count
// only requests that got past it; `waf apply` keeps a rule that is not rate-based where it is, and
// gives new rate rules the next free priority, which is after rule 0.

import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { RateRuleSpec } from '../../router/contracts/regions-file.ts';
import { toWafRule } from '../../router/contracts/waf-rule.ts';
import { TABLE_TOKEN_QUERY_PARAMETER } from '../../router/contracts/stacks.ts';

export const ROUTER_TOKEN_RULE_NAME = 'passage-router-token-required';

export interface RateLimitedWebAclProps {
  readonly name: string;
  readonly rateRules: readonly RateRuleSpec[];
  /** The value routers send as `?passage_token=`; usually a Secrets Manager dynamic reference. */
  readonly routerToken?: string;
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
    const tokenRules = props.routerToken === undefined ? [] : [routerTokenRule(props.routerToken, props.name)];
    this.webAcl.addPropertyOverride('Rules', [
      ...tokenRules,
      ...props.rateRules.map((spec, i) => toWafRule(spec, tokenRules.length + i)),
    ]);
  }
}

/** Priority 0, Block: anything whose `passage_token` query argument is not exactly the token. */
function routerTokenRule(token: string, aclName: string): Record<string, unknown> {
  return {
    Name: ROUTER_TOKEN_RULE_NAME,
    Priority: 0,
    Action: { Block: {} },
    Statement: {
      NotStatement: {
        Statement: {
          ByteMatchStatement: {
            FieldToMatch: { SingleQueryArgument: { Name: TABLE_TOKEN_QUERY_PARAMETER } },
            PositionalConstraint: 'EXACTLY',
            SearchString: token,
            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
          },
        },
      },
    },
    VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false, MetricName: `${aclName}-token` },
  };
}
