/**
 * Small DynamoDB helpers every part of the domain needs: batch writes that
 * never drop unprocessed items, and queries that read every page.
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

/** DynamoDB accepts at most this many requests in one BatchWriteItem. */
export const BATCH_WRITE_LIMIT = 25;

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
}

/** Raised when unprocessed items remain after every retry: nothing is dropped silently. */
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
  const { maxAttempts = 8, baseDelayMs = 20, sleep = defaultSleep } = options;
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
    chunks.push(requests.slice(i, i + BATCH_WRITE_LIMIT));
  }
  for (const chunk of chunks) {
    let pending: WriteRequest[] = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= maxAttempts) throw new UnprocessedItemsError(table, pending.length);
      if (attempt > 0) await sleep(backoffDelay(attempt, baseDelayMs));
      const result = await documentClient.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (result.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  }
}

/** DynamoDB accepts at most this many keys in one BatchGetItem. */
export const BATCH_GET_LIMIT = 100;

/**
 * Reads the items of every key of one table, in chunks of 100, retrying the
 * keys DynamoDB returns unprocessed (under throttling, or past 16 MB) with
 * backoff. Eventually consistent; keys without an item are left out, and
 * the items come in no particular order.
 *
 * @example
 * const rows = await batchGetAll(documentClient, 'Presence', [{ userId: 'alice' }, { userId: 'bob' }], { projection: 'userId, connectionIds' });
 */
export async function batchGetAll<T = Record<string, unknown>>(
  documentClient: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: RetryOptions & { projection?: string; names?: Record<string, string> } = {},
): Promise<T[]> {
  const { maxAttempts = 8, baseDelayMs = 20, sleep = defaultSleep, projection, names } = options;
  const items: T[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= maxAttempts) throw new UnprocessedItemsError(table, pending.length, 'BatchGet');
      if (attempt > 0) await sleep(backoffDelay(attempt, baseDelayMs));
      const result = await documentClient.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ...(projection !== undefined && { ProjectionExpression: projection }),
              ...(names !== undefined && { ExpressionAttributeNames: names }),
            },
          },
        }),
      );
      items.push(...((result.Responses?.[table] ?? []) as T[]));
      pending = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return items;
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
