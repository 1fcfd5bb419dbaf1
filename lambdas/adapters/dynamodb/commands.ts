/**
 * Small DynamoDB helpers every part of the domain needs: batch writes and
 * reads that never drop unprocessed items, and queries that read every page.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backoffDelay } from '../../commons/backoff';
import { mapWithConcurrency } from '../../commons/concurrency';

/** DynamoDB accepts at most this many requests in one BatchWriteItem. */
export const BATCH_WRITE_LIMIT = 25;

/**
 * Chunks in flight at once for the big batches (a 1,000-participant chat:
 * 40 writes of memberships, 40 of room rows, 10 reads each of connections
 * and memberships): a few at a time, not one after another, nor all 40.
 */
export const BATCH_CONCURRENCY = 4;

/** One request of a BatchWriteItem, in the document client's shape. */
export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

export interface RetryOptions {
  /** Attempts per chunk, the first included. @default 8 */
  maxAttempts?: number;
  /** First backoff delay in ms; doubles each attempt, with full jitter. @default 20 */
  baseDelayMs?: number;
  /** Injected for tests. @default setTimeout-based sleep */
  sleep?: (ms: number) => Promise<void>;
  /** Chunks in flight at once (a 1,000-row write is 40 chunks). @default 1 */
  concurrency?: number;
}

/** Raised when unprocessed items (or keys) remain after every retry: nothing is dropped silently. */
export class UnprocessedItemsError extends Error {
  readonly unprocessed: number;

  constructor(table: string, unprocessed: number, operation: 'BatchWrite' | 'BatchGet' = 'BatchWrite') {
    super(`${operation} to ${table} left ${unprocessed} unprocessed item(s) after retries`);
    this.name = 'UnprocessedItemsError';
    this.unprocessed = unprocessed;
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes every request to one table, in chunks of 25, retrying unprocessed
 * items with backoff (BatchWriteItem returns them under throttling instead
 * of failing).
 *
 * @example
 * await batchWriteAll(documentClient, 'Rooms', rooms.map((room) => ({ PutRequest: { Item: { room, connectionId } } })));
 */
export async function batchWriteAll(
  documentClient: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  options: RetryOptions = {},
): Promise<void> {
  await inChunks(requests, BATCH_WRITE_LIMIT, options.concurrency ?? 1, async (chunk) => {
    await untilProcessed(table, chunk, options, async (pending) => {
      const result = await documentClient.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      return { left: (result.UnprocessedItems?.[table] ?? []) as WriteRequest[] };
    });
  });
}

/** DynamoDB accepts at most this many keys in one BatchGetItem. */
export const BATCH_GET_LIMIT = 100;

export interface BatchGetOptions extends RetryOptions {
  /** Strongly consistent reads (twice the read units). @default false */
  consistentRead?: boolean;
  /** Attributes to read (names, no expressions). @default every attribute */
  attributes?: readonly string[];
}

/**
 * Reads the items of `keys` from one table, in chunks of 100, retrying
 * unprocessed keys with backoff (BatchGetItem returns them under
 * throttling or past 16 MB). Items that do not exist are simply absent from
 * the result, which is in no particular order.
 *
 * @example
 * const rows = await batchGetAll(documentClient, 'Connections', ids.map((connectionId) => ({ connectionId })), { consistentRead: true });
 */
export async function batchGetAll<T = Record<string, unknown>>(
  documentClient: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: BatchGetOptions = {},
): Promise<T[]> {
  const { consistentRead = false, attributes } = options;
  const projection =
    attributes === undefined
      ? {}
      : { ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])) };
  const pages = await inChunks(keys, BATCH_GET_LIMIT, options.concurrency ?? 1, async (chunk) => {
    const items: T[] = [];
    await untilProcessed(table, chunk, options, async (pending) => {
      const result = await documentClient.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistentRead, ...projection } } }));
      items.push(...((result.Responses?.[table] ?? []) as T[]));
      return { left: (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[] };
    }, 'BatchGet');
    return items;
  });
  return pages.flat();
}

/** Runs `fn` over `items` in chunks of `size`, at most `concurrency` chunks at once; results in chunk order. */
async function inChunks<T, R>(items: readonly T[], size: number, concurrency: number, fn: (chunk: T[]) => Promise<R>): Promise<R[]> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return mapWithConcurrency(chunks, Math.max(1, concurrency), fn);
}

/** Sends a batch request until nothing is left unprocessed, with backoff; throws UnprocessedItemsError after the last attempt. */
async function untilProcessed<T>(
  table: string,
  chunk: T[],
  options: RetryOptions,
  send: (pending: T[]) => Promise<{ left: T[] }>,
  operation: 'BatchWrite' | 'BatchGet' = 'BatchWrite',
): Promise<void> {
  const { maxAttempts = 8, baseDelayMs = 20, sleep = defaultSleep } = options;
  let pending = chunk;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= maxAttempts) throw new UnprocessedItemsError(table, pending.length, operation);
    if (attempt > 0) await sleep(backoffDelay(attempt, baseDelayMs));
    pending = (await send(pending)).left;
  }
}


/**
 * Runs a Query over every page and returns all items.
 *
 * @example
 * const rows = await queryAll(documentClient, { TableName: 'Memberships', IndexName: 'byUser', KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': 'alice' } });
 */
export async function queryAll<T = Record<string, unknown>>(
  documentClient: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...((page.Items ?? []) as T[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/** True for a failed ConditionExpression (matched by name: SDK copies may differ). */
export function isConditionFailure(err: unknown): err is Error & { Item?: Record<string, AttributeValue> } {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/**
 * The item as it was when a condition failed (ReturnValuesOnConditionCheckFailure
 * ALL_OLD). The document client does not unmarshall errors, so this does.
 */
export function itemOfConditionFailure(err: Error & { Item?: Record<string, AttributeValue> }): Record<string, unknown> | undefined {
  return err.Item === undefined ? undefined : unmarshall(err.Item);
}

