import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StackOutputMissingError } from '../../../cli/aws/errors.ts';
import { parseRegionsFile } from '../../../router/contracts/regions-file.ts';
import { desiredDnsFromOutputs, webAclRefFromOutputs } from '../../../cli/aws/stack-outputs.ts';

const file = parseRegionsFile(`
home_region = "eu-west-1"
default_region = "us-east-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "prod"
[regions.eu-west-1]
continents = ["EU"]
[regions.us-east-1]
continents = ["NA"]
`);

const outputs = {
  'Passage-prod-eu-west-1': { LoadBalancerDnsName: 'eu.elb.amazonaws.com', LoadBalancerHostedZoneId: 'Z2IFOLAFXWLO4F' },
  'Passage-prod-us-east-1': { LoadBalancerDnsName: 'us.elb.amazonaws.com', LoadBalancerHostedZoneId: 'Z26RNL4JYFTOTI' },
  'Passage-prod-Edge': { WebAclName: 'passage-prod-table-endpoint', WebAclId: 'acl-1', WebAclArn: 'arn:…' },
};

test('points each region of the regions file at its deployed NLB', () => {
  const desired = desiredDnsFromOutputs(file, outputs);
  assert.equal(desired.recordName, 'play.example.com');
  assert.equal(desired.defaultRegion, 'us-east-1');
  assert.deepEqual(
    desired.regions.map((r) => [r.region, r.nlbDnsName, r.nlbHostedZoneId, r.locations]),
    [
      ['eu-west-1', 'eu.elb.amazonaws.com', 'Z2IFOLAFXWLO4F', [{ kind: 'continent', code: 'EU' }]],
      ['us-east-1', 'us.elb.amazonaws.com', 'Z26RNL4JYFTOTI', [{ kind: 'continent', code: 'NA' }]],
    ],
  );
});

test('finds the CLOUDFRONT web ACL in the edge stack outputs', () => {
  assert.deepEqual(webAclRefFromOutputs(file, outputs), { name: 'passage-prod-table-endpoint', id: 'acl-1', scope: 'CLOUDFRONT' });
});

test('names the stack and output that are missing', () => {
  const { ['Passage-prod-us-east-1']: _, ...partial } = outputs;
  assert.throws(() => desiredDnsFromOutputs(file, partial), (error: unknown) => {
    assert.ok(error instanceof StackOutputMissingError);
    assert.equal(error.stackName, 'Passage-prod-us-east-1');
    assert.equal(error.outputKey, 'LoadBalancerDnsName');
    return true;
  });
});
