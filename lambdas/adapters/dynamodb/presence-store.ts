/**
 * The Presence table behind the PresenceStore port: a set of open
 * connection ids per user; its stream turns 0 → 1 and 1 → 0 into presence
 * events. One export per operation (see connection-store.ts).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PresenceStore } from '../../domain/ports';

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

export function createPresenceStore(deps: PresenceStoreDeps): PresenceStore {
  return { addConnection: joinPresence(deps), removeConnection: leavePresence(deps) };
}
