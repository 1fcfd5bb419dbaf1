/**
 * Memberships stream → live connections join or leave the chat's room, so a
 * participant added or removed while connected starts or stops receiving the
 * chat's events without reconnecting; and the chat's room hears of it:
 * `chat:member-added` (after the new participant's connections joined, so
 * they hear it too; not for the rows a chat is created with),
 * `chat:member-removed` (before the participant's connections leave, so
 * they hear it too), `chat:role-changed`.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomId } from '../../commons/ids';
import type { ChatRole, EventEnvelope, WireProtocol } from '../../../protocol';
import { roomOf } from '../../system/schema';
import { hasExpired, roomRowOf } from '../connections';
import type { BroadcastResult, ConnectionStore, RoomBroadcaster, RoomStore } from '../ports';
import { imageOf, isServiceChange, MalformedRecordError, optionalString, requireString, type Image } from './records';

export interface MembershipFanOutDeps {
  connections: Pick<ConnectionStore, 'get' | 'ofUser' | 'addRoom' | 'removeRoom'>;
  rooms: Pick<RoomStore, 'put' | 'delete'>;
  broadcaster: RoomBroadcaster;
}

interface LiveConnection {
  connectionId: string;
  protocol: WireProtocol;
  expiresAt: number;
}

/**
 * What a membership change does: to the user's live connections (join,
 * leave) and what the chat's room hears (`announce`: false for the rows a
 * chat is created with, which every participant learns from the chat itself).
 */
export type MembershipChange =
  | { kind: 'join'; chatId: string; userId: string; role: ChatRole; addedBy: string; announce: boolean }
  | { kind: 'leave'; chatId: string; userId: string }
  | { kind: 'role'; chatId: string; userId: string; role: ChatRole };

/** The role a row carries; rows from before roles existed count as owners (see chats.ts). */
const roleIn = (image: Image): ChatRole => (optionalString(image, 'role') === 'member' ? 'member' : 'owner');

/**
 * The change a Memberships record means: INSERT joins, REMOVE leaves, a
 * MODIFY that changes the role is a role change; other MODIFYs
 * (typing-throttle and flood-limit updates) mean nothing.
 */
export function membershipChangeOf(record: DynamoDBRecord): MembershipChange | undefined {
  if (isServiceChange(record)) return undefined;
  if (record.eventName === 'INSERT' || record.eventName === 'REMOVE') {
    const image = imageOf(record.eventName === 'INSERT' ? record.dynamodb?.NewImage : record.dynamodb?.OldImage) ?? imageOf(record.dynamodb?.Keys);
    if (image === undefined) throw new MalformedRecordError(`${record.eventName} membership record without image or keys`);
    const chatId = requireString(image, 'chatId');
    const userId = requireString(image, 'userId');
    if (record.eventName === 'REMOVE') return { kind: 'leave', chatId, userId };
    return { kind: 'join', chatId, userId, role: roleIn(image), addedBy: optionalString(image, 'addedBy') ?? userId, announce: image.addedWithChat !== true };
  }
  if (record.eventName === 'MODIFY') {
    const before = imageOf(record.dynamodb?.OldImage);
    const after = imageOf(record.dynamodb?.NewImage);
    if (before === undefined || after === undefined || roleIn(before) === roleIn(after)) return undefined;
    return { kind: 'role', chatId: requireString(after, 'chatId'), userId: requireString(after, 'userId'), role: roleIn(after) };
  }
  return undefined;
}

/** The event the chat's room hears for a change, if any. */
function announcementOf(change: MembershipChange, ts: number): EventEnvelope | undefined {
  const base = { id: randomId(), ts };
  switch (change.kind) {
    case 'join':
      if (!change.announce) return undefined;
      return { ...base, event: 'chat:member-added', data: { chatId: change.chatId, userId: change.userId, role: change.role, addedBy: change.addedBy } };
    case 'leave':
      return { ...base, event: 'chat:member-removed', data: { chatId: change.chatId, userId: change.userId } };
    case 'role':
      return { ...base, event: 'chat:role-changed', data: { chatId: change.chatId, userId: change.userId, role: change.role } };
  }
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
 * Applies a Memberships record to the user's live connections and tells the
 * chat's room: INSERT puts a `chat:{chatId}` room row per connection
 * (userId, protocol and expiresAt copied from the connection), adds the
 * room to its `rooms` set, then announces `chat:member-added`; REMOVE
 * announces `chat:member-removed`, then deletes them; a role change
 * announces `chat:role-changed`. Room changes are idempotent; a redelivered
 * record announces again (clients apply these events idempotently).
 */
export async function fanOutMembership(deps: MembershipFanOutDeps, record: DynamoDBRecord): Promise<BroadcastResult | undefined> {
  const change = membershipChangeOf(record);
  if (change === undefined) return undefined;
  const room = roomOf.chat(change.chatId);
  const approximate = record.dynamodb?.ApproximateCreationDateTime;
  const announcement = announcementOf(change, approximate === undefined ? Date.now() : approximate * 1000);
  if (change.kind === 'role') return announcement === undefined ? undefined : deps.broadcaster.toRoom(room, announcement);

  const connections = await liveConnectionsOf(deps, change.userId);
  if (change.kind === 'join') {
    await Promise.all(connections.map((connection) => join(deps, room, change.userId, connection)));
    return announcement === undefined ? undefined : deps.broadcaster.toRoom(room, announcement);
  }
  const result = announcement === undefined ? undefined : await deps.broadcaster.toRoom(room, announcement);
  await Promise.all(connections.map((connection) => leave(deps, room, connection)));
  return result;
}
