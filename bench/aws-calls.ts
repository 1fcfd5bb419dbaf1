/**
 * Counts every AWS request the handlers send, at the HTTP layer, without
 * touching their code: the SDK v3 clients (DynamoDB, DynamoDB Streams and
 * the @connections management API) all send through
 * `NodeHttpHandler.prototype.handle`, which is wrapped here once. Counting
 * requests rather than commands includes SDK retries, which is what AWS
 * bills. Each request is attributed to the function whose invocation sent
 * it (an AsyncLocalStorage set around every handler call, see
 * {@link countInvocations}); requests outside any invocation come from the
 * local runtime itself (the stream pollers standing in for Lambda's event
 * source mapping). The fan-out's hot posts bypass the SDK (the signed
 * poster): countPosts counts them at the transport they go through. The
 * pollers' GetRecords bypass it too (local/streams/get-records.ts) and are
 * counted at their reader.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { PostTransport } from '../lambdas/adapters/api-gateway/poster';
import type { LambdaHandler } from '../local/lambda';
import { StreamRecordsReader } from '../local/streams/get-records';

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];
type HandleResult = Awaited<ReturnType<NodeHttpHandler['handle']>>;

/** Who sent a request: a function name, or 'runtime' outside any invocation. */
export type Caller = string;

/** One operation, e.g. dynamodb Query or execute-api PostToConnection. */
export interface OperationKey {
  readonly service: 'dynamodb' | 'dynamodbstreams' | 'execute-api' | 'other';
  readonly operation: string;
}

export interface OperationCount extends OperationKey {
  readonly caller: Caller;
  requests: number;
  /** Responses with status ≥ 400 (or no response at all). */
  errors: number;
}

export interface InvocationStats {
  count: number;
  totalMs: number;
}

/** One handler invocation, in epoch ms (performance.timeOrigin + now(): comparable across worker threads). */
export interface InvocationSpan {
  readonly functionName: string;
  readonly start: number;
  readonly end: number;
}

export interface AwsCallSnapshot {
  readonly operations: OperationCount[];
  readonly invocations: Record<string, InvocationStats>;
  readonly spans: InvocationSpan[];
}

/** Sub-millisecond epoch time shared by the main thread and the load worker. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const callerStore = new AsyncLocalStorage<Caller>();

/** What one request is, from its headers (JSON protocols carry X-Amz-Target) or its path. */
export function operationOf(request: Pick<HttpRequest, 'headers' | 'method' | 'path'>): OperationKey {
  const target = Object.entries(request.headers).find(([name]) => name.toLowerCase() === 'x-amz-target')?.[1];
  if (target !== undefined) {
    const [prefix = '', operation = target] = target.split('.');
    if (prefix.startsWith('DynamoDBStreams')) return { service: 'dynamodbstreams', operation };
    if (prefix.startsWith('DynamoDB')) return { service: 'dynamodb', operation };
    return { service: 'other', operation: target };
  }
  if (/\/(?:@|%40)connections\//i.test(request.path)) {
    const operation = { POST: 'PostToConnection', GET: 'GetConnection', DELETE: 'DeleteConnection' }[request.method];
    return { service: 'execute-api', operation: operation ?? `${request.method} @connections` };
  }
  return { service: 'other', operation: `${request.method} ${request.path}` };
}

/**
 * Counters of AWS requests by (caller, service, operation) and of handler
 * invocations by function. `reset()` starts a measurement window.
 *
 * @example
 * const calls = installAwsCallCounter();
 * calls.reset();
 * // ... measured work ...
 * const { operations } = calls.snapshot();
 */
export interface AwsCallCounter {
  reset(): void;
  snapshot(): AwsCallSnapshot;
}

let installed: AwsCallCounter | undefined;
const operations = new Map<string, OperationCount>();
const invocations: Record<string, InvocationStats> = {};
const spans: InvocationSpan[] = [];

/** Counts one request of the current caller; call the result with whether it failed. */
function countRequest(key: OperationKey): (failed: boolean) => void {
  const caller = callerStore.getStore() ?? 'runtime';
  const mapKey = `${caller}|${key.service}|${key.operation}`;
  let entry = operations.get(mapKey);
  if (entry === undefined) {
    entry = { ...key, caller, requests: 0, errors: 0 };
    operations.set(mapKey, entry);
  }
  const counted = entry;
  counted.requests += 1;
  return (failed) => {
    if (failed) counted.errors += 1;
  };
}

/**
 * The same transport, each post counted as an execute-api PostToConnection
 * of the function that sent it (register it with routePostsThrough).
 *
 * @example
 * routePostsThrough(origin, countPosts(channelTransport(runtime.gateway.openPostChannel())));
 */
export function countPosts(transport: PostTransport): PostTransport {
  return {
    send(request) {
      const settled = countRequest({ service: 'execute-api', operation: 'PostToConnection' });
      return transport.send(request).then(
        (answer) => {
          settled(answer.status >= 400);
          return answer;
        },
        (err: unknown) => {
          settled(true);
          throw err;
        },
      );
    },
  };
}

/** Wraps NodeHttpHandler.prototype.handle and the pollers' StreamRecordsReader.prototype.getRecords (once per process) and returns the counters. */
export function installAwsCallCounter(): AwsCallCounter {
  if (installed !== undefined) return installed;
  const original = NodeHttpHandler.prototype.handle;
  NodeHttpHandler.prototype.handle = function countedHandle(this: NodeHttpHandler, request: HttpRequest, options?: Parameters<NodeHttpHandler['handle']>[1]) {
    const settled = countRequest(operationOf(request));
    return original.call(this, request, options).then(
      (result: HandleResult) => {
        settled(result.response.statusCode >= 400);
        return result;
      },
      (err: unknown) => {
        settled(true);
        throw err;
      },
    );
  };
  const getRecords = StreamRecordsReader.prototype.getRecords;
  StreamRecordsReader.prototype.getRecords = function countedGetRecords(this: StreamRecordsReader, shardIterator: string, limit: number) {
    const settled = countRequest({ service: 'dynamodbstreams', operation: 'GetRecords' });
    return getRecords.call(this, shardIterator, limit).then(
      (page) => {
        settled(false);
        return page;
      },
      (err: unknown) => {
        settled(true);
        throw err;
      },
    );
  };
  installed = {
    reset() {
      operations.clear();
      for (const key of Object.keys(invocations)) delete invocations[key];
      spans.length = 0;
    },
    snapshot() {
      return {
        operations: [...operations.values()].map((entry) => ({ ...entry })),
        invocations: Object.fromEntries(Object.entries(invocations).map(([name, stats]) => [name, { ...stats }])),
        spans: [...spans],
      };
    },
  };
  return installed;
}

/**
 * Wraps a handler so its invocations are counted and timed, and every AWS
 * request it sends is attributed to `functionName`. `load` resolves the real
 * handler lazily: the modules read their environment at import, so the
 * caller applies the runtime's env before the first invocation.
 *
 * @example
 * const handler = countInvocations('fanOut', async () => (await loadHandlers()).fanOut);
 */
export function countInvocations(functionName: string, load: () => Promise<LambdaHandler>): LambdaHandler {
  return async (event, context) => {
    const handler = await load();
    const stats = (invocations[functionName] ??= { count: 0, totalMs: 0 });
    stats.count += 1;
    const start = epochNow();
    try {
      return await callerStore.run(functionName, () => handler(event, context));
    } finally {
      const end = epochNow();
      stats.totalMs += end - start;
      spans.push({ functionName, start, end });
    }
  };
}
