/**
 * The Connections table behind the ConnectionStore port: one row per
 * connection, pending (Socket.IO, until its CONNECT packet) then open.
 *
 * Each operation is its own export, so a handler that wires only some of
 * them (`$disconnect` needs three) bundles only those: esbuild drops unused
 * functions, never the unused members of an object.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionRow, ConnectionStore, PendingConnectionRow } from '../../domain/ports';
import { BATCH_CONCURRENCY, batchGetAll, isConditionFailure, queryAll } from './commands';

export interface ConnectionStoreDeps {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
}

export const getConnection = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['get'] =>
  async (connectionId) => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: connectionsTable, Key: { connectionId }, ConsistentRead: true }),
    );
    return Item as ConnectionRow | PendingConnectionRow | undefined;
  };

export const getConnections = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['getMany'] =>
  (connectionIds) =>
    batchGetAll<ConnectionRow | PendingConnectionRow>(documentClient, connectionsTable, [...new Set(connectionIds)].map((connectionId) => ({ connectionId })), {
      consistentRead: true,
      concurrency: BATCH_CONCURRENCY,
    });

export const putPendingConnection = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['putPending'] =>
  async (row) => {
    await documentClient.send(new PutCommand({ TableName: connectionsTable, Item: row }));
  };

export const putConnection = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['put'] =>
  async (row, { ifPending }) => {
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
  };

export const deleteConnection = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['delete'] =>
  async (connectionId) => {
    await documentClient.send(new DeleteCommand({ TableName: connectionsTable, Key: { connectionId } }));
  };

export const deleteConnectionReturningOld = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['deleteReturningOld'] =>
  async (connectionId) => {
    const { Attributes } = await documentClient.send(
      new DeleteCommand({ TableName: connectionsTable, Key: { connectionId }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes as ConnectionRow | undefined;
  };

/** ADD or DELETE one room in a connection's `rooms` set, only while the row exists; false when it does not. */
async function changeRooms(deps: ConnectionStoreDeps, connectionId: string, action: 'ADD' | 'DELETE', room: string): Promise<boolean> {
  try {
    await deps.documentClient.send(
      new UpdateCommand({
        TableName: deps.connectionsTable,
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
}

export const addRoomToConnection = (deps: ConnectionStoreDeps): ConnectionStore['addRoom'] =>
  (connectionId, room) => changeRooms(deps, connectionId, 'ADD', room);

export const removeRoomFromConnection = (deps: ConnectionStoreDeps): ConnectionStore['removeRoom'] =>
  async (connectionId, room) => {
    await changeRooms(deps, connectionId, 'DELETE', room);
  };

/** SET one attribute on a connection's row, only while the row exists; a row gone meanwhile is fine. */
async function updateIfExists(deps: ConnectionStoreDeps, connectionId: string, update: Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ConditionExpression'>): Promise<void> {
  try {
    await deps.documentClient.send(
      new UpdateCommand({ TableName: deps.connectionsTable, Key: { connectionId }, ConditionExpression: 'attribute_exists(connectionId)', ...update }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** One UpdateItem per pong: 1 WRU while the row is under 1 KB (see docs/socketio-heartbeat.md). */
export const recordConnectionPong = (deps: ConnectionStoreDeps): ConnectionStore['recordPong'] =>
  (connectionId, nowMs) =>
    updateIfExists(deps, connectionId, {
      UpdateExpression: 'SET #lastPongAt = :now',
      ExpressionAttributeNames: { '#lastPongAt': 'lastPongAt' },
      ExpressionAttributeValues: { ':now': nowMs },
    });

/**
 * Replaces an open row with a pending one, only while the row exists: a
 * connection removed meanwhile ($disconnect) is not resurrected. A Put over
 * an existing row is a MODIFY on the stream, so no second open packet goes out.
 */
export const putPendingOverConnection = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['putPendingOver'] =>
  async (row) => {
    try {
      await documentClient.send(new PutCommand({ TableName: connectionsTable, Item: row, ConditionExpression: 'attribute_exists(connectionId)' }));
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  };

export const connectionsOfUser = ({ documentClient, connectionsTable }: ConnectionStoreDeps): ConnectionStore['ofUser'] =>
  (userId) =>
    queryAll(documentClient, {
      TableName: connectionsTable,
      IndexName: 'byUser',
      KeyConditionExpression: 'userId = :userId',
      ProjectionExpression: 'connectionId, protocol, expiresAt',
      ExpressionAttributeValues: { ':userId': userId },
    });

/** Every operation, for the functions that use most of them (and tests). */
export function createConnectionStore(deps: ConnectionStoreDeps): ConnectionStore {
  return {
    get: getConnection(deps),
    getMany: getConnections(deps),
    putPending: putPendingConnection(deps),
    put: putConnection(deps),
    delete: deleteConnection(deps),
    deleteReturningOld: deleteConnectionReturningOld(deps),
    addRoom: addRoomToConnection(deps),
    removeRoom: removeRoomFromConnection(deps),
    recordPong: recordConnectionPong(deps),
    putPendingOver: putPendingOverConnection(deps),
    ofUser: connectionsOfUser(deps),
  };
}
