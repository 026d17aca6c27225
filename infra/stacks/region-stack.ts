// One region's data plane: a VPC and the router fleet behind its NLB. Stateless: deleting the stack
// loses nothing but running connections.

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { GatewayVpcEndpointAwsService, IpAddresses, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { RegionSpec } from '../../router/contracts/regions-file.ts';
import { OUTPUTS } from '../../router/contracts/stacks.ts';
import { FleetAlarms } from '../constructs/fleet-alarms.ts';
import { RouterFleet, type PublicKeyFile } from '../constructs/router-fleet.ts';

export const DEFAULT_VPC_CIDR = '10.80.0.0/16';

export interface RegionStackProps extends StackProps {
  readonly spec: RegionSpec;
  readonly tableName: string;
  readonly tableId: string;
  readonly image: ContainerImage;
  readonly publicKeys: readonly PublicKeyFile[];
  readonly vpcCidr?: string;
  /** Availability zones (and NAT gateways, one per zone for outbound Mojang calls). */
  readonly maxAzs?: number;
  /** `[table] min_version` rendered into the routers' config (the version published at deploy time). */
  readonly minTableVersion?: number;
}

export class RegionStack extends Stack {
  readonly fleet: RouterFleet;
  readonly alarms: FleetAlarms;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    super(scope, id, props);
    const vpcCidr = props.vpcCidr ?? DEFAULT_VPC_CIDR;
    const maxAzs = props.maxAzs ?? 2;
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(vpcCidr),
      maxAzs,
      natGateways: maxAzs,
      subnetConfiguration: [
        { name: 'edge', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'routers', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // Table reads and image layers stay off the NAT gateways.
      gatewayEndpoints: {
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: GatewayVpcEndpointAwsService.S3 },
      },
    });

    this.fleet = new RouterFleet(this, 'Routers', {
      vpc,
      // The NLB's subnets: it and the NAT gateways are all that run there, so no task can claim a client address.
      loadBalancerSubnets: vpc.publicSubnets,
      ...(props.minTableVersion === undefined ? {} : { minTableVersion: props.minTableVersion }),
      image: props.image,
      cpu: props.spec.cpu,
      memoryMiB: props.spec.memory,
      desiredCount: props.spec.desiredCount,
      maxCount: props.spec.maxCount,
      tableName: props.tableName,
      tableId: props.tableId,
      publicKeys: props.publicKeys,
    });

    this.alarms = new FleetAlarms(this, 'Alarms', {
      service: this.fleet.service,
      loadBalancer: this.fleet.loadBalancer,
      targetGroup: this.fleet.targetGroup,
      tableId: props.tableId,
      region: this.region,
    });

    new CfnOutput(this, OUTPUTS.nlbDnsName, { value: this.fleet.loadBalancer.loadBalancerDnsName });
    new CfnOutput(this, OUTPUTS.nlbHostedZoneId, { value: this.fleet.loadBalancer.loadBalancerCanonicalHostedZoneId });
    new CfnOutput(this, OUTPUTS.clusterName, { value: this.fleet.cluster.clusterName });
    new CfnOutput(this, OUTPUTS.serviceName, { value: this.fleet.service.serviceName });
    new CfnOutput(this, OUTPUTS.vpcCidr, { value: vpcCidr });
    new CfnOutput(this, OUTPUTS.alarmTopicArn, { value: this.alarms.topic.topicArn });
  }
}
