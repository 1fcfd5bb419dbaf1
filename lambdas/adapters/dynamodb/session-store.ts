/**
 * The Socket.IO recovery sessions behind the SessionStore port: rows of the
 * Connections table under `session#{pid}`, so they expire with the same TTL.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SessionRow, SessionStore } from '../../domain/ports';

export interface SessionStoreDeps {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
}

export function createSessionStore(deps: SessionStoreDeps): SessionStore {
  const { documentClient, connectionsTable } = deps;
  return {
    async put(row) {
      await documentClient.send(new PutCommand({ TableName: connectionsTable, Item: row }));
    },

    async get(key) {
      const { Item } = await documentClient.send(new GetCommand({ TableName: connectionsTable, Key: { connectionId: key } }));
      return Item as Partial<SessionRow> | undefined;
    },
  };
}
