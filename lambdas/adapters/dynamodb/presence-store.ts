/**
 * The Presence table behind the PresenceStore port: a set of open
 * connection ids per user; its stream turns 0 → 1 and 1 → 0 into presence
 * events. One export per operation (see connection-store.ts).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PresenceState } from '../../../protocol';
import type { PresenceRow, PresenceStore } from '../../domain/ports';
import { batchGetAll, BATCH_GET_LIMIT, isConditionFailure, itemOfConditionFailure } from './commands';

const STATES: ReadonlySet<string> = new Set<PresenceState>(['online', 'away', 'busy']);

export interface PresenceStoreDeps {
  documentClient: DynamoDBDocumentClient;
  presenceTable: string;
}

export const joinPresence = ({ documentClient, presenceTable }: PresenceStoreDeps): PresenceStore['addConnection'] =>
  async (userId, connectionId, nowMs) => {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: presenceTable,
        Key: { userId },
        UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now',
        ExpressionAttributeValues: { ':ids': new Set([connectionId]), ':now': nowMs },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return (Attributes?.connectionIds as Set<string> | undefined)?.size ?? 1;
  };

export const leavePresence = ({ documentClient, presenceTable }: PresenceStoreDeps): PresenceStore['removeConnection'] =>
  async (userId, connectionId, nowMs) => {
    await documentClient.send(
      new UpdateCommand({
        TableName: presenceTable,
        Key: { userId },
        UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
        ExpressionAttributeValues: { ':ids': new Set([connectionId]), ':now': nowMs },
      }),
    );
  };

/**
 * Up to 100 users' rows in one BatchGetItem, eventually consistent: presence
 * is a hint, and any change after the read is broadcast (or asked) anyway.
 */
export const presenceOfUsers = ({ documentClient, presenceTable }: PresenceStoreDeps): PresenceStore['statusOf'] =>
  async (userIds) => {
    const unique = [...new Set(userIds)];
    if (unique.length > BATCH_GET_LIMIT) throw new RangeError(`At most ${BATCH_GET_LIMIT} users per presence read, got ${unique.length}`);
    const items = await batchGetAll<Record<string, unknown>>(
      documentClient,
      presenceTable,
      unique.map((userId) => ({ userId })),
      // Names go through placeholders (`state` is a DynamoDB reserved word).
      { attributes: ['userId', 'connectionIds', 'updatedAt', 'state', 'statusText'] },
    );
    return items.flatMap((item): PresenceRow[] => {
      if (typeof item.userId !== 'string') return [];
      const ids = item.connectionIds;
      return [
        {
          userId: item.userId,
          connections: ids instanceof Set ? ids.size : 0,
          ...(typeof item.updatedAt === 'number' && { updatedAt: item.updatedAt }),
          ...(typeof item.state === 'string' && STATES.has(item.state) && { state: item.state as PresenceState }),
          ...(typeof item.statusText === 'string' && item.statusText !== '' && { text: item.statusText }),
        },
      ];
    });
  };

/**
 * Sets the state and status text in one conditional UpdateItem: the
 * condition on `statusAt` is the throttle, so two changes racing within it
 * cannot both pass. The stream then carries the change to the fan-out.
 */
export const setPresenceStatus = ({ documentClient, presenceTable }: PresenceStoreDeps): PresenceStore['setStatus'] =>
  async (userId, { state, text }, nowMs, throttleMs) => {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: presenceTable,
          Key: { userId },
          UpdateExpression: `SET #state = :state, statusAt = :now${text === undefined ? ' REMOVE statusText' : ', statusText = :text'}`,
          ConditionExpression: 'attribute_not_exists(statusAt) OR statusAt <= :threshold',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': state, ':now': nowMs, ':threshold': nowMs - throttleMs, ...(text !== undefined && { ':text': text }) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'written' };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const last = itemOfConditionFailure(err)?.statusAt;
      return { outcome: 'refused', retryAfterMs: typeof last === 'number' ? Math.max(1, last + throttleMs - nowMs) : throttleMs };
    }
  };

export function createPresenceStore(deps: PresenceStoreDeps): PresenceStore {
  return { addConnection: joinPresence(deps), removeConnection: leavePresence(deps), statusOf: presenceOfUsers(deps), setStatus: setPresenceStatus(deps) };
}
