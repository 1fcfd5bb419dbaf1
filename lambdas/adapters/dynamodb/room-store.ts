/**
 * The Rooms table behind the RoomStore port: one row per (room, connection),
 * written at connect and on joins, read by every broadcast. One export per
 * operation, so a handler bundles only those it wires (see connection-store.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WireProtocol } from '../../../protocol';
import { CHAT_HEAD_ID } from '../../system/schema';
import type { RoomMember, RoomStore } from '../../domain/ports';
import { BATCH_CONCURRENCY, batchWriteAll, queryAll } from './commands';

export interface RoomStoreDeps {
  documentClient: DynamoDBDocumentClient;
  roomsTable: string;
  /** Where the chats' heads are (joinAt's condition). */
  messagesTable?: string;
}

/** A Rooms row as members() reads it (projection below), unvalidated. */
interface ProjectedRoomRow {
  connectionId?: unknown;
  userId?: unknown;
  protocol?: unknown;
  expiresAt?: unknown;
  tokenExpiresAt?: unknown;
  afterSeq?: unknown;
}

function toMember(row: ProjectedRoomRow, nowSeconds: number): RoomMember | undefined {
  if (typeof row.connectionId !== 'string' || row.connectionId === '') return undefined;
  // TTL deletes lag (up to days); a row past its expiresAt is a dead connection.
  if (typeof row.expiresAt === 'number' && row.expiresAt <= nowSeconds) return undefined;
  const protocol: WireProtocol = row.protocol === 'socket.io' ? 'socket.io' : 'lettera.v1';
  return {
    connectionId: row.connectionId,
    userId: typeof row.userId === 'string' ? row.userId : '',
    protocol,
    // Kept past the token's exp (unlike the TTL): the broadcaster skips the member and closes it.
    ...(typeof row.tokenExpiresAt === 'number' && { tokenExpiresAt: row.tokenExpiresAt }),
    ...(typeof row.afterSeq === 'number' && { afterSeq: row.afterSeq }),
  };
}

/**
 * Lists the live connections of a room: every page of its Rooms rows
 * (about 100 B per row, so ~10k rows per 1 MB page), dropping rows whose
 * TTL has passed. Only the attributes a post needs are read, and the
 * token's expiry, so the broadcaster can tell an expired member without
 * another read. Strongly consistent: a connection that joined a chat at
 * position n (joinAt) must be seen by the broadcast of position n + 1,
 * which can run milliseconds after the join (twice the read units of an
 * eventually consistent page).
 */
async function listRoomMembers(
  documentClient: DynamoDBDocumentClient,
  roomsTable: string,
  room: string,
  nowMs: number = Date.now(),
): Promise<RoomMember[]> {
  const rows = await queryAll<ProjectedRoomRow>(documentClient, {
    TableName: roomsTable,
    KeyConditionExpression: '#room = :room',
    ProjectionExpression: '#connectionId, #userId, #protocol, #expiresAt, #tokenExpiresAt, #afterSeq',
    ExpressionAttributeNames: {
      '#room': 'room',
      '#connectionId': 'connectionId',
      '#userId': 'userId',
      '#protocol': 'protocol',
      '#expiresAt': 'expiresAt',
      '#tokenExpiresAt': 'tokenExpiresAt',
      '#afterSeq': 'afterSeq',
    },
    ExpressionAttributeValues: { ':room': room },
    ConsistentRead: true,
  });
  const nowSeconds = Math.floor(nowMs / 1000);
  const members: RoomMember[] = [];
  for (const row of rows) {
    const member = toMember(row, nowSeconds);
    if (member !== undefined) members.push(member);
  }
  return members;
}

export const roomMembers = ({ documentClient, roomsTable }: RoomStoreDeps): RoomStore['members'] =>
  (room, nowMs) => listRoomMembers(documentClient, roomsTable, room, nowMs);

export const hasRoomRow = ({ documentClient, roomsTable }: RoomStoreDeps): RoomStore['has'] =>
  async (room, connectionId) => {
    const { Item } = await documentClient.send(new GetCommand({ TableName: roomsTable, Key: { room, connectionId } }));
    return Item !== undefined;
  };

export const putRoomRow = ({ documentClient, roomsTable }: RoomStoreDeps): RoomStore['put'] =>
  async (row) => {
    await documentClient.send(new PutCommand({ TableName: roomsTable, Item: { ...row } }));
  };

export const putRoomRows = ({ documentClient, roomsTable }: RoomStoreDeps): RoomStore['putAll'] =>
  (rows) => batchWriteAll(documentClient, roomsTable, rows.map((row) => ({ PutRequest: { Item: { ...row } } })), { concurrency: BATCH_CONCURRENCY });

export const joinRoomAt = ({ documentClient, roomsTable, messagesTable }: RoomStoreDeps): RoomStore['joinAt'] =>
  async (row, chatId) => {
    if (messagesTable === undefined) throw new Error('joinRoomAt needs messagesTable');
    try {
      await documentClient.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: messagesTable,
                Key: { chatId, messageId: CHAT_HEAD_ID },
                ConditionExpression: row.afterSeq === 0 ? 'attribute_not_exists(lastSeq)' : 'lastSeq = :seq',
                ...(row.afterSeq !== 0 && { ExpressionAttributeValues: { ':seq': row.afterSeq } }),
              },
            },
            { Put: { TableName: roomsTable, Item: { ...row } } },
          ],
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'TransactionCanceledException') return false;
      throw err;
    }
  };

export const deleteRoomRow = ({ documentClient, roomsTable }: RoomStoreDeps): RoomStore['delete'] =>
  async (room, connectionId) => {
    await documentClient.send(new DeleteCommand({ TableName: roomsTable, Key: { room, connectionId } }));
  };

export const deleteRoomRows = ({ documentClient, roomsTable }: RoomStoreDeps): RoomStore['deleteAll'] =>
  (connectionId, rooms) =>
    batchWriteAll(documentClient, roomsTable, [...rooms].map((room) => ({ DeleteRequest: { Key: { room, connectionId } } })));

/** Every operation, for the functions that use most of them (and tests). */
export function createRoomStore(deps: RoomStoreDeps): RoomStore {
  return {
    members: roomMembers(deps),
    has: hasRoomRow(deps),
    put: putRoomRow(deps),
    putAll: putRoomRows(deps),
    joinAt: joinRoomAt(deps),
    delete: deleteRoomRow(deps),
    deleteAll: deleteRoomRows(deps),
  };
}
