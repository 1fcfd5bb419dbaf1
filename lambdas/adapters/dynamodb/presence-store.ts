/**
 * The Presence table behind the PresenceStore port: a set of open
 * connection ids per user; its stream turns 0 → 1 and 1 → 0 into presence
 * events. One export per operation (see connection-store.ts).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PresenceRow, PresenceStore } from '../../domain/ports';
import { batchGetAll, BATCH_GET_LIMIT } from './commands';

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
      { projection: 'userId, connectionIds, updatedAt' },
    );
    return items.flatMap((item): PresenceRow[] => {
      if (typeof item.userId !== 'string') return [];
      const ids = item.connectionIds;
      return [
        {
          userId: item.userId,
          connections: ids instanceof Set ? ids.size : 0,
          ...(typeof item.updatedAt === 'number' && { updatedAt: item.updatedAt }),
        },
      ];
    });
  };

export function createPresenceStore(deps: PresenceStoreDeps): PresenceStore {
  return { addConnection: joinPresence(deps), removeConnection: leavePresence(deps), statusOf: presenceOfUsers(deps) };
}
