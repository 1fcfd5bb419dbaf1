/**
 * Chat rooms follow memberships before the call that changed them returns:
 * creating a chat or adding a participant puts every open connection of
 * those participants in the `chat:{chatId}` room, so a message sent right
 * after reaches them all; removing a participant takes theirs out, so
 * nothing more reaches them. The Memberships stream applies the same change
 * again later through this module (fan-out/memberships.ts): it catches a
 * connection opened meanwhile, and every step is idempotent.
 *
 * A 1,000-participant chat is one step, not 1,000 joins one after another:
 * the byUser Queries run concurrently (bounded), the connections' rows are
 * read in batches of 100, the room rows written in batches of 25.
 */
import { mapWithConcurrency } from '../commons/concurrency';
import { roomOf } from '../system/schema';
import { hasExpired, roomRowOf } from './connections';
import type { ConnectionRow, ConnectionStore, MembershipStore, RoomStore } from './ports';

export interface RoomJoinDeps {
  connections: Pick<ConnectionStore, 'ofUser' | 'getMany' | 'addRoom' | 'removeRoom'>;
  rooms: Pick<RoomStore, 'putAll' | 'delete'>;
  memberships: Pick<MembershipStore, 'membersAmong'>;
}

/**
 * Requests in flight at once per join (byUser Queries, then per-connection
 * updates). DynamoDB serves far more, and 1,000 users at 8 at a time is
 * still well under a second at its single-digit-ms latency; DynamoDB Local
 * (one process, one database file) got slower with more: joining 300
 * users through the stream took 60 s at 8 and 87 s at 32 on the same loaded
 * machine.
 */
export const ROOM_JOIN_CONCURRENCY = 8;

/** What a join or leave did. */
export interface RoomJoinResult {
  /** Connections now in the room (join) or taken out of it (leave). */
  connections: number;
}

/** Joins and leaves of chat rooms, as the chat service and the Memberships stream use them. */
export interface RoomJoiner {
  /** Puts every open connection of `userIds` in the chat's room (those still participants once it is done). */
  join(chatId: string, userIds: readonly string[]): Promise<RoomJoinResult>;
  /** Takes every connection of `userIds` out of the chat's room. */
  leave(chatId: string, userIds: readonly string[]): Promise<RoomJoinResult>;
}

/**
 * The open connections of `userIds`: their ids from the Connections byUser
 * index (concurrent Queries; rows past their TTL left out), then their rows
 * in batches, strongly consistent, for what the index does not project (the
 * token's expiry). A row that is gone, still pending (Socket.IO before its
 * CONNECT) or someone else's is left out.
 */
export async function openConnectionsOf(deps: Pick<RoomJoinDeps, 'connections'>, userIds: readonly string[], nowMs = Date.now()): Promise<ConnectionRow[]> {
  const nowSeconds = Math.floor(nowMs / 1000);
  const owner = new Map<string, string>();
  await mapWithConcurrency([...new Set(userIds)], ROOM_JOIN_CONCURRENCY, async (userId) => {
    for (const row of await deps.connections.ofUser(userId)) {
      if (typeof row.connectionId === 'string' && typeof row.expiresAt === 'number' && row.expiresAt > nowSeconds) owner.set(row.connectionId, userId);
    }
  });
  if (owner.size === 0) return [];
  const rows = await deps.connections.getMany([...owner.keys()]);
  return rows.filter((row): row is ConnectionRow => 'userId' in row && row.userId === owner.get(row.connectionId) && row.state !== 'pending');
}

/** Takes connections out of a room: the room row and the room in the connection's `rooms` set (a connection gone meanwhile is fine). */
async function leaveRoom(deps: Pick<RoomJoinDeps, 'connections' | 'rooms'>, room: string, connectionIds: readonly string[]): Promise<void> {
  await mapWithConcurrency(connectionIds, ROOM_JOIN_CONCURRENCY, (connectionId) =>
    Promise.all([deps.rooms.delete(room, connectionId), deps.connections.removeRoom(connectionId, room)]),
  );
}

/**
 * Puts every open connection of `userIds` whose token has not expired in
 * the chat's room: the room rows first, in batches (built by roomRowOf, as
 * `$connect` writes them), then the room added to each connection's `rooms`
 * set on the condition that the connection still exists. That order never
 * resurrects a connection being removed: the remover deletes the
 * Connections row last and cleans up the rooms it finds there, so either it
 * sees the new room, or the condition fails here and the room row goes again.
 *
 * Then, after the rows are written, the users' memberships are read again
 * (strongly consistent): a user removed meanwhile (a removal racing this
 * add, or a stream replaying an add that a removal already undid) is taken
 * out again. A removal deletes the membership before its connections leave,
 * so either that read sees it gone, or the removal's leave runs after these
 * writes and deletes them: no removed user stays in the room.
 */
export async function joinChatRoom(deps: RoomJoinDeps, chatId: string, userIds: readonly string[], nowMs = Date.now()): Promise<RoomJoinResult> {
  const room = roomOf.chat(chatId);
  const joining = (await openConnectionsOf(deps, userIds, nowMs)).filter((row) => !hasExpired(row.tokenExpiresAt, nowMs));
  if (joining.length === 0) return { connections: 0 };
  await deps.rooms.putAll(joining.map((row) => roomRowOf(row, room)));
  const [kept, members] = await Promise.all([
    mapWithConcurrency(joining, ROOM_JOIN_CONCURRENCY, async ({ connectionId }) => {
      if (await deps.connections.addRoom(connectionId, room)) return true;
      await deps.rooms.delete(room, connectionId);
      return false;
    }),
    deps.memberships.membersAmong(chatId, userIds),
  ]);
  const removedMeanwhile = joining.filter((row, i) => kept[i] === true && !members.has(row.userId)).map((row) => row.connectionId);
  await leaveRoom(deps, room, removedMeanwhile);
  return { connections: kept.filter(Boolean).length - removedMeanwhile.length };
}

/**
 * Takes every connection of `userIds` out of the chat's room, their token
 * expired or not. `known`: the users' connections when the caller has
 * already read them (openConnectionsOf), to spare a second read.
 */
export async function leaveChatRoom(
  deps: Pick<RoomJoinDeps, 'connections' | 'rooms'>,
  chatId: string,
  userIds: readonly string[],
  known?: readonly ConnectionRow[],
): Promise<RoomJoinResult> {
  const leaving = known ?? (await openConnectionsOf(deps, userIds));
  await leaveRoom(deps, roomOf.chat(chatId), leaving.map((row) => row.connectionId));
  return { connections: leaving.length };
}

/**
 * The joiner the chat service uses (the HTTP API wires it over the stores).
 *
 * @example
 * const joiner = createRoomJoiner({ connections, rooms, memberships });
 * await joiner.join(chatId, ['alice', 'bob']); // their open connections are in chat:{chatId}
 */
export function createRoomJoiner(deps: RoomJoinDeps): RoomJoiner {
  return {
    join: (chatId, userIds) => joinChatRoom(deps, chatId, userIds),
    leave: (chatId, userIds) => leaveChatRoom(deps, chatId, userIds),
  };
}
