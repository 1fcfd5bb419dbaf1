/**
 * `LetteraRealtime`: the whole service as one construct, for this
 * repository's stack and for a team's own CDK app (`lettera-realtime/cdk`).
 * It composes the constructs from the shared topology; grants are methods,
 * outputs are properties.
 */
import { DEFAULT_LIMITS, limitsToEnv, parseLimit, type LimitKey, type Limits } from '../lambdas/system/limits';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { HEARTBEAT_ENV } from '../lambdas/system/heartbeat';
import { ENV } from '../lambdas/commons/env';
import { allTables } from '../lambdas/system/schema';
import {
  functions,
  heartbeatConfig,
  heartbeatFunctions,
  httpCors,
  httpRoutes,
  managesConnections,
  publishRoutes,
  ROUTE_SELECTION_EXPRESSION,
  routesReturningResponse,
  scheduledFunctions,
  sliceWorkers,
  streamMappings,
  tableAccess,
  verifiesTokens,
  webSocketRoutes,
  type FunctionName,
} from '../lambdas/system/topology';
import { ApiGatewayAccountLogging } from './constructs/api-gateway-account';
import { ChatFunction, type ChatFunctionProps } from './constructs/chat-function';
import { ChatHttpApi } from './constructs/http-api';
import { JwtVerification } from './constructs/jwt-secret';
import { Monitoring, type MonitoringThresholds } from './constructs/monitoring';
import { RealtimeApi, type RealtimeRoute } from './constructs/realtime-api';
import { StreamFanOut } from './constructs/stream-fan-out';
import { ChatTables } from './constructs/tables';

/** The package root: the handler entries (lambdas/) are bundled from here. */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LetteraRealtimeProps {
  /** Exact browser origin of the Lettera frontend: CORS of the HTTP API and the Origin check at `$connect`. */
  readonly frontendUrl: string;
  /**
   * Existing Secrets Manager secret (name) with the HS256 token secret.
   * @default - a generated secret
   */
  readonly jwtSecretName?: string;
  /**
   * ARN of the customer-managed KMS key that encrypts `jwtSecretName`; the
   * token-verifying functions get kms:Decrypt on it (through Secrets Manager only).
   * @default - the secret uses the AWS managed key `aws/secretsmanager`
   */
  readonly jwtSecretKmsKeyArn?: string;
  /**
   * JWKS URL for RS256/ES256 tokens instead of a shared secret.
   * @default - HS256 with a Secrets Manager secret
   */
  readonly jwksUrl?: string;
  /** @default - `iss` not checked */
  readonly jwtIssuer?: string;
  /** @default - `aud` not checked */
  readonly jwtAudience?: string;
  /**
   * WebSocket stage name (the last path segment of the URL).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * X-Ray tracing (Powertools Tracer) on every function.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * SNS topic every alarm notifies.
   * @default - a topic is created when `alarmEmail` is given, else alarms have no action
   */
  readonly alarmTopic?: ITopic;
  /**
   * Email address subscribed to a new alarm topic (ignored when `alarmTopic` is given).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /** @default - the defaults of MonitoringThresholds */
  readonly alarmThresholds?: MonitoringThresholds;
  /**
   * Set API Gateway's account-level CloudWatch Logs role, which the WebSocket
   * stage's access logs need. One setting per account and region: turn this
   * off where another stack or the console already manages it.
   * @default true
   */
  readonly apiGatewayAccountRole?: boolean;
  /**
   * Limit settings (participants per chat, flood limits, connections and chats per user, ...), passed to every function.
   * @default - each setting's default (lambdas/system/limits.ts)
   */
  readonly limits?: Partial<Limits>;
}

/**
 * Lambda's memory at which a function gets one full vCPU (one vCPU-second of
 * credit per second); CPU scales in proportion below and above it (AWS
 * Lambda Developer Guide, "Configure Lambda function memory"; docs/fan-out-sizing.md).
 */
const ONE_VCPU_MEMORY_MB = 1_769;

/**
 * Sizing per function. The fan-out's broadcasts are CPU-bound on one thread:
 * about 178 µs of CPU per recipient over HTTPS (`npm run bench`, "hot post"),
 * more than the 78 µs per post that 128 posts in flight need to keep up with
 * an assumed 10 ms API Gateway round trip. So it gets exactly one vCPU:
 * below it a broadcast is stretched in proportion for the same GB-seconds
 * (1,024 MB: 0.58 vCPU, a 1,000-member room 0.31 s instead of 0.18 s), above
 * it the extra CPU would sit idle (one JavaScript thread). README "Fan-out
 * sizing and latency" and docs/fan-out-sizing.md have the figures.
 */
const sizing: Partial<Record<FunctionName, Pick<ChatFunctionProps, 'memorySize' | 'timeout'>>> = {
  fanOut: { memorySize: ONE_VCPU_MEMORY_MB, timeout: Duration.seconds(60) },
};

/** The slice workers post as the fan-out does, so the same argument gives them one vCPU; at most their declared time. */
const sliceWorkerSizing: Pick<ChatFunctionProps, 'memorySize' | 'timeout'> = { memorySize: ONE_VCPU_MEMORY_MB, timeout: Duration.seconds(sliceWorkers.timeoutSeconds) };

/** Functions that check a browser's Origin against FRONTEND_URL (the HTTP API's CORS is the gateway's). */
const checksOrigin: readonly FunctionName[] = ['connect'];

/**
 * lettera-realtime: the WebSocket API, the HTTP API (with the publisher's
 * IAM-authorized `POST /publish`), the tables, the stream fan-out, the
 * heartbeat schedule and the alarms.
 *
 * @example
 * const realtime = new LetteraRealtime(this, 'Realtime', { frontendUrl: 'https://app.example.com' });
 * realtime.grantPublish(myBackendFunction);
 * myBackendFunction.addEnvironment('LETTERA_HTTP_API_URL', realtime.httpApiUrl);
 */
export class LetteraRealtime extends Construct {
  /** Every function, by topology name. */
  public readonly functions: Readonly<Record<FunctionName, ChatFunction>>;
  public readonly tables: ChatTables;
  /** The WebSocket API and its stage. */
  public readonly realtime: RealtimeApi;
  /** The HTTP API: chats and messages (bearer token), `POST /publish` (IAM). */
  public readonly httpApi: ChatHttpApi;
  public readonly fanOut: StreamFanOut;
  public readonly jwt: JwtVerification;
  public readonly monitoring: Monitoring;
  /** API Gateway's account-level logging role, unless `apiGatewayAccountRole` is false. */
  public readonly apiGatewayAccount?: ApiGatewayAccountLogging;

  constructor(scope: Construct, id: string, props: LetteraRealtimeProps) {
    super(scope, id);

    this.tables = new ChatTables(this, 'Tables', { definitions: allTables });
    this.jwt = new JwtVerification(this, 'Jwt', {
      existingSecretName: props.jwtSecretName,
      existingSecretKmsKeyArn: props.jwtSecretKmsKeyArn,
      jwksUrl: props.jwksUrl,
      issuer: props.jwtIssuer,
      audience: props.jwtAudience,
    });

    // Checked here too: a construct user's value never reaches a function unchecked.
    const limits = { ...DEFAULT_LIMITS };
    for (const [key, value] of Object.entries(props.limits ?? {}) as [LimitKey, number][]) limits[key] = parseLimit(key, `limits.${key}`, value);
    const limitEnv = limitsToEnv(limits);
    const fns = {} as Record<FunctionName, ChatFunction>;
    for (const [name, { entry }] of Object.entries(functions) as [FunctionName, { entry: string }][]) {
      const fn = new ChatFunction(this, `${pascal(name)}Function`, {
        entry: resolve(packageRoot, entry),
        projectRoot: packageRoot,
        tracing: props.tracing,
        environment: limitEnv,
        ...(name === sliceWorkers.function ? sliceWorkerSizing : sizing[name]),
      });
      for (const { table, access } of tableAccess[name]) {
        fn.bindTable(this.tables.get(table), access);
      }
      if (verifiesTokens.includes(name)) this.jwt.bind(fn);
      if (checksOrigin.includes(name)) fn.addEnvironment(ENV.frontendUrl, props.frontendUrl);
      if (heartbeatFunctions.includes(name)) {
        // The values resolved at synth, so the open packet and the sweep always agree.
        fn.addEnvironment(HEARTBEAT_ENV.mode, heartbeatConfig.mode);
        fn.addEnvironment(HEARTBEAT_ENV.pingInterval, String(heartbeatConfig.pingInterval));
        fn.addEnvironment(HEARTBEAT_ENV.pingTimeout, String(heartbeatConfig.pingTimeout));
      }
      fns[name] = fn;
    }
    this.functions = fns;

    const routes: Record<string, RealtimeRoute> = {};
    for (const [routeKey, name] of Object.entries(webSocketRoutes) as [keyof typeof webSocketRoutes, FunctionName][]) {
      routes[routeKey] = { handler: fns[name], returnResponse: routesReturningResponse.includes(routeKey) };
    }
    this.realtime = new RealtimeApi(this, 'RealtimeApi', {
      routes,
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      stageName: props.stageName,
    });
    if (props.apiGatewayAccountRole ?? true) {
      this.apiGatewayAccount = new ApiGatewayAccountLogging(this, 'ApiGatewayAccount');
      // The stage's access logging is refused until the account setting exists.
      this.realtime.stage.node.addDependency(this.apiGatewayAccount);
    }
    for (const name of managesConnections) {
      fns[name].addEnvironment(ENV.callbackUrl, this.realtime.callbackUrl);
      this.realtime.grantPostToConnections(fns[name]);
    }

    // The fan-out invokes the slice poster for big rooms, knowing it by name.
    fns[sliceWorkers.invokedBy].addEnvironment(sliceWorkers.functionNameEnv, fns[sliceWorkers.function].functionName);
    this.grantSlicePosting(fns[sliceWorkers.invokedBy]);

    this.httpApi = new ChatHttpApi(this, 'HttpApi', {
      handler: fns.httpApi,
      routes: httpRoutes,
      cors: httpCors,
      allowedOrigins: [props.frontendUrl],
      iamRoutes: { routes: publishRoutes, handler: fns.publish },
    });

    const fanOutFunctions = new Set(streamMappings.map((mapping) => mapping.function));
    if (fanOutFunctions.size !== 1) {
      throw new Error(`All stream mappings must target one fan-out function, got ${[...fanOutFunctions].join(', ')}`);
    }
    this.fanOut = new StreamFanOut(this, 'FanOut', {
      handler: fns[[...fanOutFunctions][0]!],
      sources: streamMappings.map(({ table, function: _fn, ...settings }) => ({ table: this.tables.get(table).table, settings })),
    });

    for (const scheduled of scheduledFunctions) {
      new Rule(this, `${pascal(scheduled.function)}Schedule`, {
        description: `Runs the ${scheduled.function} function (Socket.IO heartbeat sweep)`,
        schedule: Schedule.expression(scheduled.scheduleExpression),
        targets: [new LambdaFunction(fns[scheduled.function], { retryAttempts: 0 })],
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: fns,
      fanOutFunction: fns.fanOut,
      onFailureQueue: this.fanOut.onFailureQueue,
      webSocketApi: this.realtime.api,
      webSocketStageName: this.realtime.stage.stageName,
      httpApi: this.httpApi.api,
      tables: allTables.map((definition) => this.tables.get(definition).table),
      alarmTopic: props.alarmTopic ?? (props.alarmEmail === undefined ? undefined : this.createAlarmTopic(props.alarmEmail)),
      thresholds: props.alarmThresholds,
    });
  }

  /** `wss://…/{stage}`: what browsers connect to. */
  public get webSocketUrl(): string {
    return this.realtime.url;
  }

  /** The HTTP API's base URL: chats and messages, and the publisher's `endpoint`. */
  public get httpApiUrl(): string {
    return this.httpApi.url;
  }

  /** The `@connections` endpoint of the WebSocket stage (`https://…/{stage}`). */
  public get callbackUrl(): string {
    return this.realtime.callbackUrl;
  }

  /**
   * Lets `grantee` publish (`lettera-realtime/publisher`): execute-api:Invoke
   * on `POST /publish` only.
   *
   * @example
   * realtime.grantPublish(backendFunction);
   */
  public grantPublish(grantee: IGrantable): Grant {
    const [grant, ...others] = this.httpApi.grantInvokeIamRoutes(grantee);
    return others.reduce((all, next) => all.combine(next), grant!);
  }

  /**
   * Lets `grantee` post to, read and delete connections of the WebSocket
   * stage (the `@connections` API at `callbackUrl`).
   *
   * @example
   * realtime.grantPostToConnections(myFunction);
   */
  public grantPostToConnections(grantee: IGrantable): Grant {
    return this.realtime.grantPostToConnections(grantee);
  }

  /**
   * Lets `grantee` invoke the slice poster (lambda:InvokeFunction on that
   * function alone, no versions or aliases): the fan-out gets this to post
   * big rooms in parallel slices.
   *
   * @example
   * realtime.grantSlicePosting(myFanOutFunction);
   */
  public grantSlicePosting(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.functions[sliceWorkers.function].functionArn],
    });
  }

  private createAlarmTopic(email: string): ITopic {
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'lettera-realtime alarms', enforceSSL: true });
    topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

function pascal(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}
