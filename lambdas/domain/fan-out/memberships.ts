/**
 * Memberships stream → live connections join or leave the chat's room, so a
 * participant added or removed while connected starts or stops receiving the
 * chat's events without reconnecting.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { WireProtocol } from '../../../protocol';
import { roomOf } from '../../system/schema';
import { hasExpired, roomRowOf } from '../connections';
import type { ConnectionStore, RoomStore } from '../ports';
import { imageOf, isServiceChange, MalformedRecordError, requireString } from './records';

export interface MembershipFanOutDeps {
  connections: Pick<ConnectionStore, 'get' | 'ofUser' | 'addRoom' | 'removeRoom'>;
  rooms: Pick<RoomStore, 'put' | 'delete'>;
}

interface LiveConnection {
  connectionId: string;
  protocol: WireProtocol;
  expiresAt: number;
}

/** What a membership change does to the user's live connections. */
export type MembershipChange = { kind: 'join' | 'leave'; chatId: string; userId: string };


/**
 * The room change a Memberships record means: INSERT joins, REMOVE leaves,
 * MODIFY (typing-throttle and flood-limit updates) means nothing.
 */
export function membershipChangeOf(record: DynamoDBRecord): MembershipChange | undefined {
  if (isServiceChange(record)) return undefined;
  if (record.eventName === 'INSERT' || record.eventName === 'REMOVE') {
    const image = imageOf(record.eventName === 'INSERT' ? record.dynamodb?.NewImage : record.dynamodb?.OldImage) ?? imageOf(record.dynamodb?.Keys);
    if (image === undefined) throw new MalformedRecordError(`${record.eventName} membership record without image or keys`);
    return {
      kind: record.eventName === 'INSERT' ? 'join' : 'leave',
      chatId: requireString(image, 'chatId'),
      userId: requireString(image, 'userId'),
    };
  }
  return undefined;
}

/** The user's connections that have not expired (Connections GSI byUser, every page). */
async function liveConnectionsOf(deps: MembershipFanOutDeps, userId: string): Promise<LiveConnection[]> {
  const rows = await deps.connections.ofUser(userId);
  const nowSeconds = Math.floor(Date.now() / 1000);
  return rows.flatMap((row) =>
    typeof row.connectionId === 'string' && typeof row.expiresAt === 'number' && row.expiresAt > nowSeconds
      ? [{ connectionId: row.connectionId, protocol: row.protocol === 'socket.io' ? 'socket.io' : 'lettera.v1', expiresAt: row.expiresAt }]
      : [],
  );
}

/**
 * Joins one connection to a room without resurrecting a connection that is
 * being removed: the room row is written first, then the room is added to
 * the connection's `rooms` set on the condition that the connection still
 * exists. The remover deletes the Connections row last and cleans up rooms
 * it finds in that row, so either it sees the new room, or the condition
 * fails here and the room row is deleted again.
 *
 * The room row carries the token's expiry, which the byUser index does not
 * project: the connection's row is read first (one read per connection per
 * join; joins are rare, broadcasts are not). A connection without a row, or
 * whose token has expired, joins nothing.
 */
async function join(deps: MembershipFanOutDeps, room: string, userId: string, connection: LiveConnection): Promise<void> {
  const { connectionId } = connection;
  const row = await deps.connections.get(connectionId);
  if (row === undefined || !('userId' in row) || row.userId !== userId) return;
  if (hasExpired(row.tokenExpiresAt, Date.now())) return;
  await deps.rooms.put(roomRowOf({ ...row, protocol: connection.protocol, expiresAt: connection.expiresAt }, room));
  if (!(await deps.connections.addRoom(connectionId, room))) await deps.rooms.delete(room, connectionId);
}

/** Removes one connection from a room; a connection already gone is fine. */
async function leave(deps: MembershipFanOutDeps, room: string, connection: LiveConnection): Promise<void> {
  await Promise.all([deps.rooms.delete(room, connection.connectionId), deps.connections.removeRoom(connection.connectionId, room)]);
}

/**
 * Applies a Memberships record to the user's live connections: INSERT puts
 * a `chat:{chatId}` room row per connection (userId, protocol and expiresAt
 * copied from the connection) and adds the room to its `rooms` set; REMOVE
 * deletes them. Idempotent, so a redelivered record is harmless.
 */
export async function fanOutMembership(deps: MembershipFanOutDeps, record: DynamoDBRecord): Promise<void> {
  const change = membershipChangeOf(record);
  if (change === undefined) return;
  const room = roomOf.chat(change.chatId);
  const connections = await liveConnectionsOf(deps, change.userId);
  await Promise.all(
    connections.map((connection) =>
      change.kind === 'join' ? join(deps, room, change.userId, connection) : leave(deps, room, connection),
    ),
  );
}
