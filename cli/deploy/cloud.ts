// The AWS calls a deploy makes besides CDK: read a stack's status and outputs (CloudFormation), roll the
// router service and watch it (ECS), and read the fleet heartbeats for the table version (DynamoDB).
// Each is a thin call; decisions live in rollout.ts and aws.ts. Clients are built per region.

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { decodeHeartbeat, isStaleBeat } from '../../router/contracts/heartbeat.ts';
import { CliError } from '../context.ts';
import { fleetPartitionKey, SORT_KEY, TABLE_ITEM, tablePartitionKey } from '../../router/contracts/dynamodb-keys.ts';

export interface StackState {
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** When the last update (or the creation) began, on AWS's clock. */
  readonly updatedAt?: Date;
}

export interface ServiceRef {
  readonly region: string;
  readonly cluster: string;
  readonly service: string;
}

export interface DeployCloud {
  /** undefined when the stack does not exist. */
  describeStack(stackName: string, region: string): Promise<StackState | undefined>;
  /** UpdateService forceNewDeployment; returns the id of the deployment it started. */
  rollService(ref: ServiceRef): Promise<string>;
  describeService(ref: ServiceRef): Promise<Service>;
  /**
   * Table versions in the heartbeats (`pk = FLEET#<tableId>#<region>`, router/fleet/heartbeat.ts) of the routers
   * in `region` that started after `startedAfterMs`, are ready, and beat recently; empty when none do.
   */
  heartbeatTableVersions(q: { region: string; tableName: string; tableId: string; startedAfterMs: number; nowMs: number }): Promise<number[]>;
  /**
   * Resolves the AWS credentials once, before the slow synth: without them CDK would synth for seconds
   * and then fail once per stack. Throws the SDK's error (cli/errors.ts turns it into one line).
   */
  checkCredentials?(region: string): Promise<void>;
  /**
   * The version of the published table (`sk = LATEST`, read strongly consistent in the home region), or
   * undefined before the first publish (no item, or no table yet). It becomes the routers' table.min_version.
   */
  publishedTableVersion?(q: { region: string; tableName: string; tableId: string }): Promise<number | undefined>;
}

export interface AwsClientFactory {
  cloudFormation(region: string): CloudFormationClient;
  ecs(region: string): ECSClient;
  dynamodb(region: string): DynamoDBClient;
}

export class ServiceNotFoundError extends CliError {
  constructor(ref: ServiceRef) {
    super('PASSAGE_SERVICE_NOT_FOUND', `ECS service ${ref.service} not found in cluster ${ref.cluster} (${ref.region})`);
    this.name = 'ServiceNotFoundError';
  }
}

/** At most this many heartbeat pages are read (a fleet is tens of tasks, a page is 1 MB). */
const MAX_HEARTBEAT_PAGES = 10;

export function awsDeployCloud(clients: AwsClientFactory): DeployCloud {
  return {
    async checkCredentials(region) {
      await clients.cloudFormation(region).config.credentials();
    },
    async publishedTableVersion(q) {
      let out;
      try {
        out = await clients.dynamodb(q.region).send(new GetItemCommand({
          TableName: q.tableName,
          Key: { pk: { S: tablePartitionKey(q.tableId) }, sk: { S: SORT_KEY.latest } },
          ConsistentRead: true,
          ProjectionExpression: '#v',
          ExpressionAttributeNames: { '#v': TABLE_ITEM.version },
        }));
      } catch (error) {
        // The first deploy creates the table: nothing is published yet, so there is no floor.
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
      const version = Number(out?.Item?.[TABLE_ITEM.version]?.N ?? Number.NaN);
      return Number.isSafeInteger(version) && version > 0 ? version : undefined;
    },
    async describeStack(stackName, region) {
      try {
        const out = await clients.cloudFormation(region).send(new DescribeStacksCommand({ StackName: stackName }));
        const stack = out?.Stacks?.[0];
        if (!stack) return undefined;
        const outputs: Record<string, string> = {};
        for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
        const updatedAt = stack.LastUpdatedTime ?? stack.CreationTime;
        return { status: stack.StackStatus ?? 'UNKNOWN', outputs, ...(updatedAt ? { updatedAt } : {}) };
      } catch (err) {
        // DescribeStacks answers a missing stack with a ValidationError "Stack with id X does not exist".
        if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return undefined;
        throw err;
      }
    },
    async rollService(ref) {
      const out = await clients.ecs(ref.region).send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, forceNewDeployment: true }));
      const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
      if (!primary?.id) throw new ServiceNotFoundError(ref);
      return primary.id;
    },
    async describeService(ref) {
      const out = await clients.ecs(ref.region).send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }));
      const service = out?.services?.[0];
      if (!service) throw new ServiceNotFoundError(ref);
      return service;
    },
    async heartbeatTableVersions(q) {
      const versions: number[] = [];
      let start: Record<string, never> | undefined;
      for (let page = 0; page < MAX_HEARTBEAT_PAGES; page++) {
        const out = await clients.dynamodb(q.region).send(
          new QueryCommand({
            TableName: q.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: fleetPartitionKey(q.tableId, q.region) } },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) {
          const beat = decodeHeartbeat(item);
          if (beat === undefined || beat.region !== q.region) continue;
          if (beat.startedAt === null || beat.startedAt < q.startedAfterMs) continue; // an old task, still draining
          if (!beat.ready || beat.draining) continue;
          // DynamoDB deletes expired items days late: a beat older than three intervals is stale.
          if (beat.intervalMs === null || isStaleBeat(beat.at, beat.intervalMs, q.nowMs)) continue;
          const version = beat.table?.version;
          if (version !== undefined && Number.isInteger(version)) versions.push(version);
        }
        if (!out.LastEvaluatedKey) break;
        start = out.LastEvaluatedKey as Record<string, never>;
      }
      return versions;
    },
  };
}
