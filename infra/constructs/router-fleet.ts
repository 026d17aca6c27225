// One region's router fleet: Fargate tasks behind an internet-facing NLB on TCP 25565. The NLB sends
// PROXY v2 so routers see player addresses; the routers believe PROXY headers only from the NLB's subnets.
// Rollouts never drop below the running count (100/200) and roll back on their own when tasks fail.

import { Duration, Stack, Token } from 'aws-cdk-lib';
import {
  CfnScalingPolicy,
  PredefinedMetric,
  ScalableTarget,
  ServiceNamespace,
} from 'aws-cdk-lib/aws-applicationautoscaling';
import { Peer, Port, SecurityGroup, SubnetType, type ISubnet, type IVpc } from 'aws-cdk-lib/aws-ec2';
import {
  Capability,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargatePlatformVersion,
  FargateService,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
  OperatingSystemFamily,
  Secret as EcsSecret,
} from 'aws-cdk-lib/aws-ecs';
import {
  NetworkLoadBalancer,
  NetworkTargetGroup,
  Protocol,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnScalableTarget } from 'aws-cdk-lib/aws-applicationautoscaling';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { fleetPartitionKey, tablePartitionKey } from '../../router/contracts/dynamodb-keys.ts';
import { ADMIN_PORT, CACHE_FILE, CONFIG_DIR, CONFIG_PATH, GAME_PORT, KEY_DIR, renderRouterConfig } from './router-config.ts';
import { dirname } from 'node:path';
import { checkRouterConfig } from './router-config-check.ts';
import { SCALING_TARGETS } from './scaling-targets.ts';

/** Long enough for a login in flight (Mojang auth, resource packs) to finish on a draining task. */
export const DEREGISTRATION_DELAY = Duration.seconds(30);
/** After the NLB has drained a task, SIGTERM gives the router this long to close what is left. */
export const STOP_TIMEOUT = Duration.seconds(60);
export const CPU_TARGET_PERCENT = SCALING_TARGETS.cpuPercent;
/** New TCP connections per second per task that the connection-based scaling policy aims for. */
export const CONNECTIONS_PER_TASK_PER_SECOND = SCALING_TARGETS.newConnectionsPerSecond;

/** Writable task-local volumes under the read-only root: rendered config and keys, the table cache, tmp. */
export const WRITABLE_PATHS: readonly (readonly [string, string])[] = [
  ['config', CONFIG_DIR],
  ['table-cache', dirname(CACHE_FILE)],
  ['tmp', '/tmp'],
];

/** ECS tasks of this account and region only (the confused-deputy guard of the trust policy). */
function ecsTasksPrincipal(stack: Stack): ServicePrincipal {
  return new ServicePrincipal('ecs-tasks.amazonaws.com', {
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ecs', resource: '*' }) },
    },
  });
}

export interface PublicKeyFile {
  /** File name inside the key directory, e.g. `prod.pub`. */
  readonly name: string;
  readonly pem: string;
}

export interface RouterFleetProps {
  readonly vpc: IVpc;
  /**
   * The subnets the NLB lives in, with literal CIDRs (nothing else may run there): the only peers the
   * routers believe PROXY headers from and the only sources the security group admits.
   */
  readonly loadBalancerSubnets: readonly ISubnet[];
  /** `[table] min_version` for the routers: the table version published at deploy time. */
  readonly minTableVersion?: number;
  readonly image: ContainerImage;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly desiredCount: number;
  readonly maxCount: number;
  readonly tableName: string;
  readonly tableId: string;
  readonly publicKeys: readonly PublicKeyFile[];
}

export class RouterFleet extends Construct {
  readonly service: FargateService;
  readonly cluster: Cluster;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly targetGroup: NetworkTargetGroup;
  readonly taskRole: Role;
  readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: RouterFleetProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.cluster = new Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ContainerInsights.ENABLED });
    this.taskRole = this.createTaskRole(props);
    // Image pull, logs and the cookie secret are granted to it by the container definition below.
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: ecsTasksPrincipal(stack),
      description: 'Passage router tasks: pull the image, write logs, read the cookie secret',
    });

    const taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    const cookieSecret = new Secret(this, 'CookieSecret', {
      description: 'HMAC key of the Passage auth cookie (shared by the routers of this region)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    const keyPaths = props.publicKeys.map((key) => `${KEY_DIR}/${key.name}`);
    const proxyCidrs = props.loadBalancerSubnets.map((subnet) => subnet.ipv4CidrBlock);
    if (proxyCidrs.length === 0 || proxyCidrs.some((cidr) => Token.isUnresolved(cidr))) {
      throw new Error('RouterFleet: loadBalancerSubnets must be subnets with literal CIDRs (the router config needs them at synth)');
    }
    const files: Record<string, string> = {
      [CONFIG_PATH]: renderRouterConfig({
        trustedProxyCidrs: proxyCidrs,
        ...(props.minTableVersion === undefined ? {} : { minTableVersion: props.minTableVersion }),
        tableName: props.tableName,
        tableId: props.tableId,
        region: stack.region,
        publicKeyPaths: keyPaths,
      }),
    };
    props.publicKeys.forEach((key, i) => (files[keyPaths[i]] = key.pem));
    // What the task runs with must load in the router's own loader, or synth (and deploy) stop here.
    checkRouterConfig(files[CONFIG_PATH]!, stack.region);

    // The root filesystem is read-only; these task-local volumes are the only writable paths (the image
    // declares them as VOLUMEs owned by the `node` user, so Fargate copies that ownership).
    for (const [name] of WRITABLE_PATHS) taskDefinition.addVolume({ name });
    const linuxParameters = new LinuxParameters(this, 'Linux');
    // Nothing the router does needs a capability: it binds ports above 1024 as the `node` user.
    linuxParameters.dropCapabilities(Capability.ALL);
    const container = taskDefinition.addContainer('Router', {
      containerName: 'router',
      image: props.image,
      // The image's ENTRYPOINT is tini; this writes the rendered files, then execs Node as tini's child.
      command: ['/bin/sh', '-c', `node dist/infra/docker/write-files.js && exec node dist/router/main.js --config ${CONFIG_PATH}`],
      environment: { PASSAGE_FILES: JSON.stringify(files), NODE_ENV: 'production' },
      secrets: { PASSAGE_COOKIE_SECRET: EcsSecret.fromSecretsManager(cookieSecret) },
      portMappings: [
        { containerPort: GAME_PORT, name: 'minecraft' },
        { containerPort: ADMIN_PORT, name: 'admin' },
      ],
      // No container health check: one would start a second Node process every interval. The NLB's
      // /readyz check (below) is the health ECS acts on, with the grace period and circuit breaker.
      readonlyRootFilesystem: true,
      linuxParameters,
      stopTimeout: STOP_TIMEOUT,
      logging: LogDrivers.awsLogs({
        streamPrefix: 'router',
        logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH }),
      }),
    });

    container.addMountPoints(...WRITABLE_PATHS.map(([name, path]) => ({ sourceVolume: name, containerPath: path, readOnly: false })));

    const securityGroup = new SecurityGroup(this, 'RouterSecurityGroup', {
      vpc: props.vpc,
      description: 'Passage routers: game and admin ports from the NLB subnets only',
    });
    for (const cidr of proxyCidrs) {
      securityGroup.addIngressRule(Peer.ipv4(cidr), Port.tcp(GAME_PORT), 'Minecraft via the NLB');
      securityGroup.addIngressRule(Peer.ipv4(cidr), Port.tcp(ADMIN_PORT), 'NLB health checks on /readyz');
    }

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      // No DesiredCount in the template: a deploy would reset what autoscaling chose. The scalable
      // target's floor (desired_count) raises a new service to its size.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
      platformVersion: FargatePlatformVersion.LATEST,
      securityGroups: [securityGroup],
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
    });

    this.loadBalancer = new NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      crossZoneEnabled: true,
      vpcSubnets: { subnets: [...props.loadBalancerSubnets] },
    });
    const listener = this.loadBalancer.addListener('Minecraft', { port: GAME_PORT, protocol: Protocol.TCP });
    this.targetGroup = listener.addTargets('Routers', {
      port: GAME_PORT,
      protocol: Protocol.TCP,
      targets: [this.service.loadBalancerTarget({ containerName: 'router', containerPort: GAME_PORT })],
      proxyProtocolV2: true,
      // The player's address reaches the router in the PROXY header; the TCP source is the NLB.
      preserveClientIp: false,
      deregistrationDelay: DEREGISTRATION_DELAY,
      healthCheck: {
        protocol: Protocol.HTTP,
        port: String(ADMIN_PORT),
        path: '/readyz',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });

    this.addAutoscaling(props);
  }

  /** Reads only `TABLE#<id>` items of this region's replica; writes only this region's `FLEET#<id>#<region>` heartbeats. */
  private createTaskRole(props: RouterFleetProps): Role {
    const role = new Role(this, 'TaskRole', {
      assumedBy: ecsTasksPrincipal(Stack.of(this)),
      description: 'Passage router: read its routing table, write its heartbeat',
    });
    const tableArn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: props.tableName });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadOwnRoutingTable',
        effect: Effect.ALLOW,
        // GetItem of LATEST is the router's only read (router/routing/sources/dynamodb.ts); no Query, no Scan.
        actions: ['dynamodb:GetItem'],
        resources: [tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tablePartitionKey(props.tableId)] } },
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnHeartbeat',
        effect: Effect.ALLOW,
        actions: ['dynamodb:PutItem'],
        resources: [tableArn],
        // The region is in the partition key, so a task cannot overwrite another region's heartbeats.
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [fleetPartitionKey(props.tableId, Stack.of(this).region)] } },
      }),
    );
    return role;
  }

  private addAutoscaling(props: RouterFleetProps): void {
    const target = new ScalableTarget(this, 'Scaling', {
      serviceNamespace: ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${this.cluster.clusterName}/${this.service.serviceName}`,
      minCapacity: props.desiredCount,
      maxCapacity: props.maxCount,
      // Application Auto Scaling's service-linked role, not a role of our own (it would only duplicate it).
      role: Role.fromRoleArn(this, 'ScalingServiceLinkedRole', Stack.of(this).formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: 'aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
      }), { mutable: false }),
    });
    // Without RoleARN the service uses (and creates, once per account) its service-linked role.
    (target.node.defaultChild as CfnScalableTarget).addPropertyDeletionOverride('RoleARN');
    target.node.addDependency(this.service);
    target.scaleToTrackMetric('Cpu', {
      predefinedMetric: PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
      targetValue: CPU_TARGET_PERCENT,
    });

    // NLBs publish no per-target request metric (ALBRequestCountPerTarget is ALB-only), so divide the
    // balancer's new flows by the healthy targets with metric math. The L2 policy accepts only direct
    // metrics, hence the L1.
    const lb = [{ name: 'LoadBalancer', value: this.loadBalancer.loadBalancerFullName }];
    const tg = [...lb, { name: 'TargetGroup', value: this.targetGroup.targetGroupFullName }];
    new CfnScalingPolicy(this, 'ConnectionScaling', {
      policyName: `${Stack.of(this).stackName}-new-connections-per-task`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: CONNECTIONS_PER_TASK_PER_SECOND,
        scaleOutCooldown: 60,
        scaleInCooldown: SCALING_TARGETS.scaleInCooldownSeconds,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'flows',
              metricStat: { metric: { namespace: 'AWS/NetworkELB', metricName: 'NewFlowCount', dimensions: lb }, stat: 'Sum' },
              returnData: false,
            },
            {
              id: 'healthy',
              metricStat: { metric: { namespace: 'AWS/NetworkELB', metricName: 'HealthyHostCount', dimensions: tg }, stat: 'Minimum' },
              returnData: false,
            },
            {
              id: 'perTask',
              expression: 'flows / 60 / healthy',
              label: 'New connections per second per router task',
              returnData: true,
            },
          ],
        },
      },
    });
  }
}
