// us-east-1 only: a CLOUDFRONT-scoped web ACL must be created there, whatever the home region is.
// The control-plane stack reads its ARN through a cross-region reference (see docs/AWS.md).

import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OUTPUTS } from '../../cli/aws/stacks.ts';
import type { RateRuleSpec } from '../../cli/aws/regions.ts';
import { RateLimitedWebAcl } from '../constructs/rate-limited-web-acl.ts';

export interface EdgeStackProps extends StackProps {
  readonly webAclName: string;
  readonly rateRules: readonly RateRuleSpec[];
}

export class EdgeStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const acl = new RateLimitedWebAcl(this, 'TableEndpointAcl', { name: props.webAclName, rateRules: props.rateRules });
    // The distribution (home region) reads this ARN with Fn::GetStackOutput: a weak cross-region
    // reference needs no export/import custom resources and cannot deadlock the two stacks.
    CrossStackReferences.of(acl.webAcl).produce(ReferenceStrength.WEAK);
    this.webAclArn = acl.webAcl.attrArn;
    new CfnOutput(this, OUTPUTS.webAclName, { value: props.webAclName });
    new CfnOutput(this, OUTPUTS.webAclId, { value: acl.webAcl.attrId });
    new CfnOutput(this, OUTPUTS.webAclArn, { value: acl.webAcl.attrArn });
  }
}
