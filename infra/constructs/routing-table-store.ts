// The DynamoDB global table that holds signed routing tables (`pk = TABLE#<id>`) and fleet heartbeats
// (`pk = FLEET#<id>`, expired by TTL). The home region writes; each router reads its local replica.

import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../../router/contracts/dynamodb-keys.ts';

export interface RoutingTableStoreProps {
  readonly tableName: string;
  /** Every region that runs routers; the stack's own region is the primary, the rest become replicas. */
  readonly regions: readonly string[];
}

export class RoutingTableStore extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: RoutingTableStoreProps) {
    super(scope, id);
    const home = Stack.of(this).region;
    this.table = new TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // History items are the audit trail of what was published: never delete them with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: props.regions.filter((region) => region !== home).map((region) => ({ region })),
    });
  }
}
