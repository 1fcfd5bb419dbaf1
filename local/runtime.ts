/**
 * The whole local system in one process: DynamoDB Local with the schema's
 * tables, the WebSocket gateway with its @connections API, the HTTP API with
 * the demo page, and a stream poller per topology mapping, all running the
 * handler modules CDK bundles. `npm start` and the integration tests both
 * start it through here.
 */
import { appendFileSync } from 'node:fs';
import type { DynamoDBRecord } from 'aws-lambda';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, optionalEnv } from '../lambdas/commons/env';
import { ROUTE_SELECTION_EXPRESSION, httpCors, httpRoutes, publishRoutes, routesReturningResponse, scheduledFunctions, sliceWorkers, streamMappings, webSocketRoutes, type FunctionName } from '../lambdas/system/topology';
import { InvalidSettingError, LIMIT_SETTINGS, parseLimit, type LimitKey, type Limits } from '../lambdas/system/limits';
import { serveClientBundle } from './client-bundle';
import { createDevEndpoints } from './dev-endpoints';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startGateway, type Gateway } from './gateway/server';
import { buildHandlerEnv } from './handler-env';
import { startHandlerHost, type HandlerHost } from './handler-host';
import { createHandlerPool } from './handler-pool';
import { startLambdaApi, type LambdaApi } from './lambda-api';
import { REPO_ROOT, type FunctionHandlers } from './handlers';
import { invokeHandler, type LambdaHandler } from './lambda';
import { startHttpApi, type HttpApi } from './http-api';
import { createMetricsCollector, createMetricsEndpoint, type MetricsCollector } from './metrics';
import { ownOrigins, parseOrigins } from './origins';
import { resolvePublisherCredentials, verifySignature } from './publish-auth';
import type { AwsCredentials } from '../publisher/src/sigv4';
import { parsePostFaults, type PostFaults } from './gateway/faults';
import { seedDemoData } from './seed';
import { FileCheckpointStore, MemoryCheckpointStore } from './streams/checkpoints';
import { StreamPoller, type DiscardedBatch } from './streams/poller';
import { withRecordFaults } from './streams/record-faults';
import { createTables, latestStreamArn } from './tables';
import { resolveJwtSecret, signDevToken } from './tokens';

/** Local-only settings read from the environment (never by the handlers). */
export const LOCAL_ENV = {
  /** JSON: connection id (or `*`) → "429" | "500" | "slow:<ms>". */
  postFaults: 'LOCAL_POST_FAULTS',
  /** A shorter idle timeout than API Gateway's 10 minutes, in ms. */
  idleTimeoutMs: 'LOCAL_IDLE_TIMEOUT_MS',
  /** Worker threads running the slice poster (its concurrency). */
  sliceWorkers: 'LOCAL_SLICE_WORKERS',
  /** How the fan-out's posts reach the gateway: `channel` (in-process) or `http` (loopback requests). */
  postTransport: 'LOCAL_POST_TRANSPORT',
} as const;

/** How the fan-out's hot posts reach the local gateway (LOCAL_POST_TRANSPORT). */
export type PostTransportKind = 'channel' | 'http';
const POST_TRANSPORTS: readonly PostTransportKind[] = ['channel', 'http'];

function postTransportEnv(): PostTransportKind | undefined {
  const value = optionalEnv(LOCAL_ENV.postTransport);
  if (value === undefined) return undefined;
  if (!(POST_TRANSPORTS as readonly string[]).includes(value)) {
    throw new InvalidSettingError(LOCAL_ENV.postTransport, `${LOCAL_ENV.postTransport} must be one of ${POST_TRANSPORTS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as PostTransportKind;
}

/** Slice poster workers when LOCAL_SLICE_WORKERS is unset: one per core of this 2-core class of machine. */
const DEFAULT_SLICE_WORKERS = 2;
const MAX_SLICE_WORKERS = 16;

function sliceWorkersEnv(): number | undefined {
  const value = optionalEnv(LOCAL_ENV.sliceWorkers);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_SLICE_WORKERS) {
    throw new InvalidSettingError(LOCAL_ENV.sliceWorkers, `${LOCAL_ENV.sliceWorkers} must be a whole number from 1 to ${MAX_SLICE_WORKERS} (worker threads), got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function positiveIntegerEnv(name: string): number | undefined {
  const value = optionalEnv(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`${name} must be a positive integer (milliseconds), got ${JSON.stringify(value)}`);
  return Number(value);
}

export interface LocalRuntimeOptions {
  /** @default 3001 (0 picks a free port) */
  readonly wsPort?: number;
  /** @default 3000 (0 picks a free port) */
  readonly httpPort?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** @default AWS_REGION or 'eu-west-1' */
  readonly region?: string;
  /** Persist DynamoDB Local, stream checkpoints and the failure log here; in memory when absent. */
  readonly dataDir?: string;
  /** Create the demo chat. @default true */
  readonly seed?: boolean;
  /** Only errors are logged. @default false */
  readonly quiet?: boolean;
  /** @default JWT_ACCESS_SECRET, else the development secret */
  readonly jwtSecret?: string;
  /** Handlers to use instead of the modules in topology.ts (fakes in tests). */
  readonly handlers?: Partial<FunctionHandlers>;
  /** @default LOCAL_IDLE_TIMEOUT_MS, else 600000 (API Gateway's 10 minutes) */
  readonly idleTimeoutMs?: number;
  /**
   * PostToConnection faults to inject (tests, demos; see gateway/faults.ts).
   * @default LOCAL_POST_FAULTS, else none
   */
  readonly postFaults?: PostFaults;
  /**
   * Stream records to fail on (tests, demos): an invocation of a stream
   * function whose batch holds a record this returns true for fails, as a
   * function that crashes on that record would. The poller then retries,
   * bisects and finally discards it to the failure log, like the
   * event-source mapping and its on-failure queue. @default none
   */
  readonly failStreamRecord?: (functionName: FunctionName, record: DynamoDBRecord) => boolean;
  /** @default 7200000 */
  readonly maxLifetimeMs?: number;
  /**
   * Limit settings for the handlers, on top of this process's environment
   * (e.g. a small `fanOutSliceSize` in tests). @default the environment's, else the defaults
   */
  readonly limits?: Partial<Limits>;
  /** Worker threads running the slice poster in parallel. @default LOCAL_SLICE_WORKERS, else 2 */
  readonly sliceWorkers?: number;
  /**
   * How the fan-out and slice posters' PostToConnection reach the gateway:
   * over an in-process channel (the signed request, answered by the same
   * code as the HTTP endpoint, without the loopback TCP round trip) or as
   * HTTP requests to the callback URL, as in AWS. Every other `@connections`
   * call is HTTP either way. @default LOCAL_POST_TRANSPORT, else 'channel'
   */
  readonly postTransport?: PostTransportKind;
  /** @default 200 */
  readonly pollIntervalMs?: number;
  /** First stream retry delay. @default 250 */
  readonly retryDelayMs?: number;
  /** @default <repo>/web */
  readonly webRoot?: string;
  /**
   * Browser origins allowed besides the runtime's own page (a frontend's dev
   * server): the WebSocket's Origin check and the HTTP API's CORS let them in.
   * @default the comma-separated origins of FRONTEND_URL, else none
   */
  readonly origins?: readonly string[];
  /**
   * Run the scheduled functions (topology `scheduledFunctions`, e.g. the
   * Socket.IO heartbeat) on their timers. Tests turn this off and call
   * `runScheduled` instead. @default true
   */
  readonly schedules?: boolean;
  /** The handlers' POWERTOOLS_LOG_LEVEL. @default POWERTOOLS_LOG_LEVEL of this process, else Powertools' INFO */
  readonly handlerLogLevel?: string;
  /**
   * Receives every line the handlers write that is not a metric (their JSON
   * logs); tests read the logs this way.
   * @default stdout lines to this process's stdout, stderr lines to its stderr
   */
  readonly onHandlerLog?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Print a one-line metrics summary every this many ms while traffic flows (not when quiet). @default 10000 */
  readonly metricsSummaryIntervalMs?: number;
  /**
   * The credential the publish routes accept (SigV4, region `region`).
   * @default LOCAL_PUBLISHER_ACCESS_KEY_ID/_SECRET_ACCESS_KEY, else the development credential
   */
  readonly publisherCredentials?: AwsCredentials;
}

export interface LocalRuntime {
  /** `ws://host:port/{stage}` */
  readonly wsUrl: string;
  /** The @connections endpoint (WS_CALLBACK_URL). */
  readonly callbackUrl: string;
  readonly httpUrl: string;
  /** Every origin a browser page may use it from: the runtime's own, then `origins`. */
  readonly allowedOrigins: readonly string[];
  readonly dynamoEndpoint: string;
  readonly region: string;
  readonly stage: string;
  /** Physical table name by env var (CONNECTIONS_TABLE → 'Connections'). */
  readonly tableNames: Readonly<Record<string, string>>;
  /** What the handlers were given (their worker's process.env on top of this process's). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly jwtSecret: string;
  readonly usesDevelopmentSecret: boolean;
  /** What a publisher signs with locally (`lettera-realtime/publisher`'s `credentials`). */
  readonly publisherCredentials: AwsCredentials;
  readonly gateway: Gateway;
  readonly httpApi: HttpApi;
  readonly pollers: readonly StreamPoller[];
  /** The handlers' metrics (their EMF lines), as `GET /_local/metrics` serves them. */
  readonly metrics: MetricsCollector;
  /** The Invoke API of the slice poster (its invocation counts, fault injection). */
  readonly lambdaApi: LambdaApi;
  /** A document client on DynamoDB Local, for seeding and assertions. */
  readonly documentClient: DynamoDBDocumentClient;
  /** Signs a development token for a user. */
  token(userId: string): Promise<string>;
  /** Resolves once every stream has delivered everything written before the call. */
  settle(timeoutMs?: number): Promise<void>;
  /** Batches the pollers gave up on. */
  failures(): DiscardedBatch[];
  /** Invokes a scheduled function once, as its schedule would, and resolves with its result. */
  runScheduled(name: FunctionName): Promise<unknown>;
  /** Stops everything, DynamoDB Local last. */
  stop(): Promise<void>;
}

/**
 * Starts the local runtime.
 *
 * @example
 * const runtime = await startLocalRuntime({ dataDir: '.local-data' });
 * console.log(runtime.wsUrl, runtime.httpUrl);
 * process.on('SIGINT', () => void runtime.stop());
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const region = options.region ?? optionalEnv('AWS_REGION') ?? 'eu-west-1';
  const quiet = options.quiet ?? false;
  const debug = quiet && optionalEnv('LOCAL_RUNTIME_DEBUG') === undefined;
  const log = (scope: string) => (message: string, error?: unknown) => {
    if (!debug) console.error(`[${scope}] ${message}`, error ?? '');
  };
  // Configuration errors surface before anything starts.
  const postFaults = options.postFaults ?? parsePostFaults(optionalEnv(LOCAL_ENV.postFaults));
  const idleTimeoutMs = options.idleTimeoutMs ?? positiveIntegerEnv(LOCAL_ENV.idleTimeoutMs);
  const sliceWorkerCount = options.sliceWorkers ?? sliceWorkersEnv() ?? DEFAULT_SLICE_WORKERS;
  const postTransport = options.postTransport ?? postTransportEnv() ?? 'channel';
  const limitEnv = Object.fromEntries(
    (Object.entries(options.limits ?? {}) as [LimitKey, number][]).map(([key, value]) => [LIMIT_SETTINGS[key].env, String(parseLimit(key, `limits.${key}`, value))]),
  );
  const extraOrigins = parseOrigins(options.origins ?? [optionalEnv(ENV.frontendUrl) ?? '']);
  const publisherCredentials = options.publisherCredentials ?? resolvePublisherCredentials();
  const { secret, isDevelopmentDefault } = options.jwtSecret !== undefined ? { secret: options.jwtSecret, isDevelopmentDefault: false } : resolveJwtSecret();

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        log('runtime')('stop failed', err);
      }
    }
  };
  try {
    const dynamo: DynamoDbLocal = await startDynamoDbLocal(options.dataDir !== undefined ? { dataDir: options.dataDir } : {});
    stops.push(() => dynamo.stop());
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials });
    const streamsClient = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region, credentials });
    stops.push(async () => {
      dynamoClient.destroy();
      streamsClient.destroy();
    });
    const documentClient = DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } });
    const tableNames = await createTables(dynamoClient);
    // The handlers stop after the gateway, whose closing $disconnects still run them.
    let handlerHost: HandlerHost | undefined;
    stops.push(async () => handlerHost?.close());

    // Listen first: the callback URL and the page origin need the real ports.
    const gateway = await startGateway({
      port: options.wsPort ?? 3001,
      host,
      stage,
      returnResponseRoutes: routesReturningResponse,
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
      postFaults,
      ...(options.maxLifetimeMs !== undefined ? { maxLifetimeMs: options.maxLifetimeMs } : {}),
      // Listening gives the ports the handlers' env needs; clients wait until everything behind runs.
      paused: true,
      log: log('gateway'),
    });
    stops.push(() => gateway.close());
    const issueDevToken = (userId: string): Promise<string> => signDevToken(userId, { secret });
    const metrics = createMetricsCollector();
    const httpApi = await startHttpApi({
      routes: httpRoutes,
      webRoot: options.webRoot ?? join(REPO_ROOT, 'web'),
      extraHandlers: [createDevEndpoints({ secret, wsUrl: gateway.url }), createMetricsEndpoint(metrics), serveClientBundle],
      // The page's own origin needs no CORS; a dev server's does, as from an API Gateway configured for it.
      cors: { allowOrigins: extraOrigins, settings: httpCors },
      signedRoutes: { routes: publishRoutes, verify: (req, body) => verifySignature(req, body, { credentials: publisherCredentials, region }) },
      host,
      port: options.httpPort ?? 3000,
      paused: true,
      log: log('http'),
    });
    stops.push(() => httpApi.close());

    // The slice poster's Invoke API; it runs the pool's handler once the handlers are up.
    let slicePoster: LambdaHandler | undefined;
    const lambdaApi = await startLambdaApi({
      host,
      functions: {
        [sliceWorkers.function]: {
          handler: (event, context) => {
            if (slicePoster === undefined) throw new Error(`${sliceWorkers.function} is not running yet`);
            return slicePoster(event, context);
          },
          timeoutMs: sliceWorkers.timeoutSeconds * 1000,
        },
      },
    });
    stops.push(() => lambdaApi.close());

    const allowedOrigins = [...new Set([...ownOrigins(httpApi.url), ...extraOrigins])];
    const env = {
      ...buildHandlerEnv({
        region,
        dynamoEndpoint: dynamo.endpoint,
        tableNames,
        callbackUrl: gateway.callbackUrl,
        jwtSecret: secret,
        frontendUrl: allowedOrigins.join(','),
        lambdaEndpoint: lambdaApi.endpoint,
      }),
      // Locally a function's name is its topology name.
      [sliceWorkers.functionNameEnv]: sliceWorkers.function,
      ...limitEnv,
      // The metrics are EMF lines this runtime reads, so they are always written.
      POWERTOOLS_METRICS_DISABLED: 'false',
      ...(options.handlerLogLevel !== undefined && { POWERTOOLS_LOG_LEVEL: options.handlerLogLevel }),
    };
    const handlerLog =
      options.onHandlerLog ?? ((line: string, stream: 'stdout' | 'stderr') => (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`));
    const onOutput = (line: string, stream: 'stdout' | 'stderr'): void => {
      if (stream === 'stdout' && metrics.ingest(line)) return;
      handlerLog(line, stream);
    };
    // The handler modules run in a worker with this env as its process.env: this process's env is left alone.
    // The slice poster runs in a pool of workers of its own: slices are posted truly in parallel, as by Lambda's concurrency.
    const postChannel = postTransport === 'channel' ? { origin: new URL(gateway.callbackUrl).origin, open: () => gateway.openPostChannel() } : undefined;
    const slicePool = createHandlerPool({
      env,
      function: sliceWorkers.function,
      size: sliceWorkerCount,
      log: log('slice-workers'),
      onOutput,
      ...(postChannel !== undefined && { postChannel }),
    });
    stops.push(() => slicePool.close());
    handlerHost = await startHandlerHost({
      env,
      ...(postChannel !== undefined && { postChannel }),
      overrides: { [sliceWorkers.function]: slicePool.handler, ...options.handlers },
      log: log('handlers'),
      onOutput,
    });
    const { handlers } = handlerHost;
    slicePoster = handlers[sliceWorkers.function];
    gateway.setRoutes(Object.fromEntries(Object.entries(webSocketRoutes).map(([routeKey, fn]) => [routeKey, handlers[fn]])));
    httpApi.setHandler(handlers.httpApi);
    httpApi.setSignedHandler(handlers.publish);

    if (options.seed ?? true) await seedDemoData(documentClient, tableNames[ENV.membershipsTable] as string);

    const checkpoints = options.dataDir !== undefined ? new FileCheckpointStore(join(options.dataDir, 'stream-checkpoints.json')) : new MemoryCheckpointStore();
    const failureLog = options.dataDir !== undefined ? join(options.dataDir, 'stream-failures.jsonl') : undefined;
    const pollers: StreamPoller[] = [];
    for (const mapping of streamMappings) {
      const tableName = tableNames[mapping.table.envVar] as string;
      const streamArn = await latestStreamArn(dynamoClient, tableName);
      if (streamArn === undefined) throw new Error(`Table ${tableName} is mapped to ${mapping.function} but has no stream`);
      const poller = new StreamPoller({
        client: streamsClient,
        endpoint: dynamo.endpoint,
        streamArn,
        settings: mapping,
        handler: withRecordFaults(handlers[mapping.function], mapping.function, options.failStreamRecord),
        functionName: mapping.function,
        region,
        checkpoints,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        log: log(`streams:${tableName}`),
        onFailure: (batch) => {
          // Always visible: this is the on-failure destination of the local runtime.
          console.error(`[streams:${tableName}] DISCARDED ${batch.records.length} record(s) ${batch.firstSequenceNumber}..${batch.lastSequenceNumber}: ${batch.reason}`);
          if (failureLog !== undefined) appendFileSync(failureLog, `${JSON.stringify(batch)}\n`);
        },
      });
      await poller.start();
      stops.push(() => poller.stop());
      pollers.push(poller);
    }
    // Stops run in reverse: pollers, HTTP, the gateway (its $disconnects
    // still reach DynamoDB), the SDK clients, and Java last.

    // Scheduled functions, as EventBridge rules would invoke them (one run at a time per function).
    const runScheduled = (name: FunctionName): Promise<unknown> =>
      invokeHandler(handlers[name], { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, { functionName: name, timeoutMs: 60_000 });
    if (options.schedules ?? true) {
      for (const schedule of scheduledFunctions) {
        let running = false;
        const timer = setInterval(() => {
          if (running) return;
          running = true;
          runScheduled(schedule.function)
            .catch((err: unknown) => log(`schedule:${schedule.function}`)('run failed', err))
            .finally(() => {
              running = false;
            });
        }, schedule.intervalMs);
        timer.unref();
        stops.push(async () => clearInterval(timer));
      }
    }

    // What a dashboard would show, while there is traffic to show.
    if (!quiet) {
      const summary = setInterval(() => {
        const line = metrics.summarize();
        if (line !== undefined) console.log(`[metrics] ${line}`);
      }, options.metricsSummaryIntervalMs ?? 10_000);
      summary.unref();
      stops.push(async () => clearInterval(summary));
    }

    // Only now: a socket accepted before the pollers ran never got its Socket.IO open packet.
    gateway.open();
    httpApi.open();

    return {
      wsUrl: gateway.url,
      callbackUrl: gateway.callbackUrl,
      httpUrl: httpApi.url,
      allowedOrigins,
      dynamoEndpoint: dynamo.endpoint,
      region,
      stage,
      tableNames,
      env,
      jwtSecret: secret,
      usesDevelopmentSecret: isDevelopmentDefault,
      publisherCredentials,
      gateway,
      httpApi,
      pollers,
      metrics,
      lambdaApi,
      documentClient,
      token: issueDevToken,
      async settle(timeoutMs) {
        await Promise.all(pollers.map((p) => p.settle(timeoutMs)));
      },
      failures: () => pollers.flatMap((p) => p.failures),
      runScheduled,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
