// us-east-1 only: a CLOUDFRONT-scoped web ACL must be created there, whatever the home region is.
// The control-plane stack reads its ARN through a cross-region reference (see docs/AWS.md). The ACL
// also holds the table endpoint's router token: a generated secret here, resolved into the rule at
// deploy time, so the value never appears in the template or in an output (only the secret's ARN).

import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OUTPUTS } from '../../router/contracts/stacks.ts';
import type { RateRuleSpec } from '../../router/contracts/regions-file.ts';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { RateLimitedWebAcl } from '../constructs/rate-limited-web-acl.ts';

/** Long enough to be unguessable, short of WAF's 200-byte SearchString limit, URL-safe (no punctuation). */
export const ROUTER_TOKEN_LENGTH = 48;

export interface EdgeStackProps extends StackProps {
  readonly webAclName: string;
  readonly rateRules: readonly RateRuleSpec[];
}

export class EdgeStack extends Stack {
  readonly webAclArn: string;
  readonly routerToken: Secret;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.routerToken = new Secret(this, 'TableEndpointToken', {
      description: 'Passage: the passage_token routers send to the table endpoint (CloudFront); the web ACL blocks requests without it',
      generateSecretString: { passwordLength: ROUTER_TOKEN_LENGTH, excludePunctuation: true, includeSpace: false },
    });
    const acl = new RateLimitedWebAcl(this, 'TableEndpointAcl', {
      name: props.webAclName,
      rateRules: props.rateRules,
      // A {{resolve:secretsmanager:…}} dynamic reference: CloudFormation fills it in at deploy time.
      routerToken: this.routerToken.secretValue.unsafeUnwrap(),
    });
    // The distribution (home region) reads this ARN with Fn::GetStackOutput: a weak cross-region
    // reference needs no export/import custom resources and cannot deadlock the two stacks.
    CrossStackReferences.of(acl.webAcl).produce(ReferenceStrength.WEAK);
    this.webAclArn = acl.webAcl.attrArn;
    new CfnOutput(this, OUTPUTS.webAclName, { value: props.webAclName });
    new CfnOutput(this, OUTPUTS.webAclId, { value: acl.webAcl.attrId });
    new CfnOutput(this, OUTPUTS.webAclArn, { value: acl.webAcl.attrArn });
    new CfnOutput(this, OUTPUTS.tableTokenSecretArn, { value: this.routerToken.secretArn });
  }
}
