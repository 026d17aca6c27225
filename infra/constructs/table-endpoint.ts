// The HTTP source for signed tables: a private S3 bucket behind CloudFront (Origin Access Control, so
// only the distribution can read it) with the rate-limiting web ACL in front. Routers poll it with
// If-None-Match; a short edge TTL keeps a fresh publish visible within one poll interval. Every request
// is logged (CloudFront standard logs into a private bucket). With a custom domain and an ACM certificate
// the distribution refuses anything older than TLS 1.2; on the default *.cloudfront.net certificate
// CloudFront does not let a distribution choose its minimum (docs/AWS.md, "Known limits").

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  PriceClass,
  SecurityPolicyProtocol,
  SSLMethod,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Routers poll every 10 s by default; an edge copy older than this would delay a publish. */
export const TABLE_EDGE_TTL = Duration.seconds(5);

/** How long S3 keeps a replaced or deleted object version (the history objects are never replaced). */
export const NONCURRENT_VERSION_RETENTION = Duration.days(30);

/** How long the access logs are kept. */
export const ACCESS_LOG_RETENTION = Duration.days(90);
/** With a custom domain: the oldest protocol and ciphers a viewer may use. */
export const MINIMUM_VIEWER_TLS = SecurityPolicyProtocol.TLS_V1_2_2021;
export const ACCESS_LOG_PREFIX = 'table-endpoint/';

export interface TableEndpointProps {
  /** ARN of a CLOUDFRONT-scoped web ACL (it lives in us-east-1). */
  readonly webAclArn?: string;
  /** An alternate domain name with its us-east-1 ACM certificate (regions file `[table_endpoint]`). */
  readonly customDomain?: { readonly domain: string; readonly certificateArn: string };
}

export class TableEndpoint extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  /** The name routers use in `[table] url`: the custom domain, else the cloudfront.net name. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: TableEndpointProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Every published version stays as its own immutable history object (`<key>.history/v…`), so an
      // overwritten copy of the latest is redundant once a rollback window has passed.
      lifecycleRules: [{ id: 'expire-overwritten-copies', noncurrentVersionExpiration: NONCURRENT_VERSION_RETENTION, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    // CloudFront standard logs are written with object ACLs, so this bucket (alone) keeps ACLs enabled
    // for the log-delivery account; nothing in it is public.
    this.logBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: ACCESS_LOG_RETENTION }],
    });
    const cachePolicy = new CachePolicy(this, 'CachePolicy', {
      comment: 'Passage signed tables: short edge TTL, no cookies or query strings',
      defaultTtl: TABLE_EDGE_TTL,
      maxTtl: TABLE_EDGE_TTL,
      minTtl: Duration.seconds(0),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Passage signed routing tables',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy,
        compress: true,
      },
      priceClass: PriceClass.PRICE_CLASS_ALL,
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: ACCESS_LOG_PREFIX,
      ...(props.customDomain
        ? {
            domainNames: [props.customDomain.domain],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
            minimumProtocolVersion: MINIMUM_VIEWER_TLS,
            sslSupportMethod: SSLMethod.SNI,
          }
        : {}),
    });
    this.domainName = props.customDomain?.domain ?? this.distribution.distributionDomainName;
  }
}
