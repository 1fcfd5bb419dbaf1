/**
 * The Presence table behind the PresenceStore port: a set of open
 * connection ids per user; its stream turns 0 → 1 and 1 → 0 into presence
 * events.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PresenceStore } from '../../domain/ports';

export interface PresenceStoreDeps {
  documentClient: DynamoDBDocumentClient;
  presenceTable: string;
}

export function createPresenceStore(deps: PresenceStoreDeps): PresenceStore {
  const { documentClient, presenceTable } = deps;
  return {
    async addConnection(userId, connectionId, nowMs) {
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
    },

    async removeConnection(userId, connectionId, nowMs) {
      await documentClient.send(
        new UpdateCommand({
          TableName: presenceTable,
          Key: { userId },
          UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
          ExpressionAttributeValues: { ':ids': new Set([connectionId]), ':now': nowMs },
        }),
      );
    },
  };
}
