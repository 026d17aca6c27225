// The HTTP table endpoint's CloudFront side in the synthesized template: every request logged to a
// private bucket, TLS 1.2 minimum with a custom domain (the default cloudfront.net certificate cannot
// have one), and the table URL on the name routers will use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ControlPlaneStack } from '../../infra/stacks/control-plane-stack.ts';
import { ACCESS_LOG_RETENTION } from '../../infra/constructs/table-endpoint.ts';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab';
function controlPlane(tableEndpoint?: { domain: string; certificateArn: string }): Template {
  const stack = new ControlPlaneStack(new App(), 'Passage-t-ControlPlane', {
    env: { region: 'eu-west-1' },
    tableName: 'passage-t',
    regions: ['eu-west-1'],
    webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/t/1',
    ...(tableEndpoint ? { tableEndpoint } : {}),
  });
  return Template.fromStack(stack);
}
const distribution = (t: Template): Record<string, any> => Object.values(t.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;

describe('the table endpoint (CloudFront)', () => {
  const plain = controlPlane();
  const custom = controlPlane({ domain: 'tables.example.com', certificateArn: CERT });

  test('logs every request to a private, encrypted bucket that expires the logs', () => {
    const logging = distribution(plain).Logging;
    assert.equal(logging.Prefix, 'table-endpoint/');
    const [logBucketId] = Object.entries(plain.findResources('AWS::S3::Bucket')).find(([, b]) => b.Properties.OwnershipControls?.Rules?.[0]?.ObjectOwnership === 'BucketOwnerPreferred')!;
    assert.deepEqual(logging.Bucket, { 'Fn::GetAtt': [logBucketId, 'RegionalDomainName'] });
    plain.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: Match.objectLike({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] }),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: ACCESS_LOG_RETENTION.toDays(), Status: 'Enabled' })] },
    });
  });

  test('with a custom domain and certificate, refuses viewers older than TLS 1.2 and serves the table URL on that name', () => {
    const config = distribution(custom);
    assert.deepEqual(config.Aliases, ['tables.example.com']);
    assert.deepEqual(config.ViewerCertificate, { AcmCertificateArn: CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    custom.hasOutput('TableUrl', { Value: 'https://tables.example.com/table.json' });
    custom.hasOutput('DistributionDomainName', Match.anyValue());
  });

  test('without one, stays on the default cloudfront.net certificate, whose minimum CloudFront does not let us set', () => {
    const config = distribution(plain);
    assert.equal(config.Aliases, undefined);
    assert.equal(config.ViewerCertificate, undefined);
  });
});
