/**
 * The Connections table behind the ConnectionStore port: one row per
 * connection, pending (Socket.IO, until its CONNECT packet) then open.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRow, ConnectionStore, PendingConnectionRow } from '../../domain/ports';
import { isConditionFailure, queryAll } from './commands';

export interface ConnectionStoreDeps {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
}

export function createConnectionStore(deps: ConnectionStoreDeps): ConnectionStore {
  const { documentClient, connectionsTable } = deps;

  /** ADD or DELETE one room in a connection's `rooms` set, only while the row exists; false when it does not. */
  const changeRooms = async (connectionId: string, action: 'ADD' | 'DELETE', room: string): Promise<boolean> => {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: connectionsTable,
          Key: { connectionId },
          UpdateExpression: `${action} #rooms :room`,
          ConditionExpression: 'attribute_exists(connectionId)',
          ExpressionAttributeNames: { '#rooms': 'rooms' },
          ExpressionAttributeValues: { ':room': new Set([room]) },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  };

  return {
    async get(connectionId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: connectionsTable, Key: { connectionId }, ConsistentRead: true }),
      );
      return Item as ConnectionRow | PendingConnectionRow | undefined;
    },

    async putPending(row) {
      await documentClient.send(new PutCommand({ TableName: connectionsTable, Item: row }));
    },

    async put(row, { ifPending }) {
      try {
        await documentClient.send(
          new PutCommand({
            TableName: connectionsTable,
            Item: row,
            ...(ifPending && {
              ConditionExpression: '#state = :pending',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':pending': 'pending' },
            }),
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async delete(connectionId) {
      await documentClient.send(new DeleteCommand({ TableName: connectionsTable, Key: { connectionId } }));
    },

    async deleteReturningOld(connectionId) {
      const { Attributes } = await documentClient.send(
        new DeleteCommand({ TableName: connectionsTable, Key: { connectionId }, ReturnValues: 'ALL_OLD' }),
      );
      return Attributes as ConnectionRow | undefined;
    },

    addRoom: (connectionId, room) => changeRooms(connectionId, 'ADD', room),

    async removeRoom(connectionId, room) {
      await changeRooms(connectionId, 'DELETE', room);
    },

    ofUser: (userId) =>
      queryAll(documentClient, {
        TableName: connectionsTable,
        IndexName: 'byUser',
        KeyConditionExpression: 'userId = :userId',
        ProjectionExpression: 'connectionId, protocol, expiresAt',
        ExpressionAttributeValues: { ':userId': userId },
      }),
  };
}
