// The home region's stateful side: the DynamoDB global table (replicas in every router region) and the
// HTTP table endpoint (S3 + CloudFront behind the edge stack's web ACL).

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OUTPUTS } from '../../router/contracts/stacks.ts';
import { RoutingTableStore } from '../constructs/routing-table-store.ts';
import { TableEndpoint } from '../constructs/table-endpoint.ts';
import { DEFAULT_S3_KEY } from '../../router/contracts/stacks.ts';

export interface ControlPlaneStackProps extends StackProps {
  readonly tableName: string;
  readonly regions: readonly string[];
  /** The CLOUDFRONT web ACL's ARN (from the us-east-1 edge stack). */
  readonly webAclArn: string;
  /** `[table_endpoint]` of the regions file: a custom domain with TLS 1.2 minimum. */
  readonly tableEndpoint?: { readonly domain: string; readonly certificateArn: string };
}

export class ControlPlaneStack extends Stack {
  readonly store: RoutingTableStore;
  readonly endpoint: TableEndpoint;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    this.store = new RoutingTableStore(this, 'RoutingTables', { tableName: props.tableName, regions: props.regions });
    this.endpoint = new TableEndpoint(this, 'TableEndpoint', { webAclArn: props.webAclArn, ...(props.tableEndpoint ? { customDomain: props.tableEndpoint } : {}) });

    new CfnOutput(this, OUTPUTS.tableName, { value: this.store.table.tableName });
    new CfnOutput(this, OUTPUTS.tableArn, { value: this.store.table.tableArn });
    new CfnOutput(this, OUTPUTS.tableBucket, { value: this.endpoint.bucket.bucketName });
    // Where `passagectl table publish --to s3://<bucket>` puts the latest envelope: a router's `[table] url`.
    new CfnOutput(this, OUTPUTS.tableUrl, { value: `https://${this.endpoint.domainName}/${DEFAULT_S3_KEY}` });
    new CfnOutput(this, OUTPUTS.distributionId, { value: this.endpoint.distribution.distributionId });
    // A custom domain needs a DNS record (CNAME, or a Route53 alias) pointing at this name.
    new CfnOutput(this, OUTPUTS.distributionDomainName, { value: this.endpoint.distribution.distributionDomainName });
    new CfnOutput(this, OUTPUTS.accessLogBucket, { value: this.endpoint.logBucket.bucketName });
  }
}
