/**
 * The store operations that moving connections in and out of a chat's room
 * performs (room-joins.ts), wired from the DynamoDB stores, for the
 * functions that do it before answering (the HTTP API, the publisher).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RoomJoinDeps } from '../../domain/room-joins';
import { addRoomToConnection, connectionsOfUser, getConnections, removeRoomFromConnection } from './connection-store';
import { membersAmong } from './membership-store';
import { deleteRoomRow, putRoomRows } from './room-store';

/**
 * @example
 * const joiner = createRoomJoiner(roomJoinStores(documentClient, tables));
 */
export function roomJoinStores(
  documentClient: DynamoDBDocumentClient,
  tables: { connectionsTable: string; roomsTable: string; membershipsTable: string },
): RoomJoinDeps {
  const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
  const roomRows = { documentClient, roomsTable: tables.roomsTable };
  return {
    connections: {
      ofUser: connectionsOfUser(connectionRows),
      getMany: getConnections(connectionRows),
      addRoom: addRoomToConnection(connectionRows),
      removeRoom: removeRoomFromConnection(connectionRows),
    },
    rooms: { putAll: putRoomRows(roomRows), delete: deleteRoomRow(roomRows) },
    memberships: { membersAmong: membersAmong({ documentClient, membershipsTable: tables.membershipsTable }) },
  };
}
