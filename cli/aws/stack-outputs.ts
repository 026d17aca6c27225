// Turns deployed stack outputs into the inputs of the DNS and WAF planners. The outputs come in the
// shape `cdk deploy --outputs-file` writes (stack name → output key → value), which is also what a
// CloudFormation DescribeStacks call reduces to, so commands can get them either way.

import { StackOutputMissingError } from './errors.ts';
import type { DesiredDns } from './dns-plan.ts';
import type { RegionsFile } from '../../router/contracts/regions-file.ts';
import { edgeStackName, OUTPUTS, regionStackName } from '../../router/contracts/stacks.ts';
import type { WebAclRef } from './wafv2.ts';

export type StackOutputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

function output(outputs: StackOutputs, stackName: string, key: string): string {
  const value = outputs[stackName]?.[key];
  if (!value) throw new StackOutputMissingError(stackName, key);
  return value;
}

/** The GeoDNS the regions file asks for, pointed at each region's deployed NLB. */
export function desiredDnsFromOutputs(file: RegionsFile, outputs: StackOutputs): DesiredDns {
  return {
    recordName: file.domain,
    defaultRegion: file.defaultRegion,
    regions: file.regions.map((region) => {
      const stack = regionStackName(file.tableId, region.name);
      return {
        region: region.name,
        nlbDnsName: output(outputs, stack, OUTPUTS.nlbDnsName),
        nlbHostedZoneId: output(outputs, stack, OUTPUTS.nlbHostedZoneId),
        locations: region.locations,
      };
    }),
  };
}

/** The table endpoint's web ACL (CLOUDFRONT scope, so its API calls go to us-east-1). */
export function webAclRefFromOutputs(file: RegionsFile, outputs: StackOutputs): WebAclRef {
  const stack = edgeStackName(file.tableId);
  return { name: output(outputs, stack, OUTPUTS.webAclName), id: output(outputs, stack, OUTPUTS.webAclId), scope: 'CLOUDFRONT' };
}
