/**
 * The store operations that removing a connection performs (its row, its
 * room rows, its presence entry), wired from the DynamoDB stores. Functions
 * that only remove connections ($disconnect, the heartbeat) take exactly
 * these, so their bundles carry no other store code.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { createConnectionRemover } from '../../domain/connections';
import { deleteConnection, deleteConnectionReturningOld, getConnection } from './connection-store';
import { leavePresence } from './presence-store';
import { deleteRoomRows } from './room-store';

export type ConnectionRemoverStores = Parameters<typeof createConnectionRemover>[0];

/**
 * @example
 * const removeConnection = createConnectionRemover(connectionRemoverStores(documentClient, tables));
 */
export function connectionRemoverStores(
  documentClient: DynamoDBDocumentClient,
  tables: { connectionsTable: string; roomsTable: string; presenceTable: string },
): ConnectionRemoverStores {
  const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
  return {
    connections: {
      get: getConnection(connectionRows),
      delete: deleteConnection(connectionRows),
      deleteReturningOld: deleteConnectionReturningOld(connectionRows),
    },
    rooms: { deleteAll: deleteRoomRows({ documentClient, roomsTable: tables.roomsTable }) },
    presence: { removeConnection: leavePresence({ documentClient, presenceTable: tables.presenceTable }) },
  };
}
