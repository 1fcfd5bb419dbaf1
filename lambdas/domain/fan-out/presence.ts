/**
 * Presence stream → `user:online` / `user:offline` (and `user:status` when
 * an online user changes state or status text) for the users who share a
 * chat with the user, and only them, through chats of at most
 * `presenceBroadcastMaxMembers` participants (members of bigger chats ask
 * with `presence:query` instead: a login burst in a chat of N is N × N posts).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomId } from '../../commons/ids';
import type { EventEnvelope, PresenceState } from '../../../protocol';
import { roomOf } from '../../system/schema';
import type { BroadcastResult, MembershipStore, RoomBroadcaster, RoomMember, RoomStore, UserStore } from '../ports';
import { mapWithConcurrency } from '../../commons/concurrency';
import { DEFAULT_LIMITS } from '../../system/limits';
import { imageOf, requireString, toIsoTime, type Image } from './records';

export interface PresenceFanOutDeps {
  memberships: Pick<MembershipStore, 'chatIdsOfUser' | 'countParticipants'>;
  users: Pick<UserStore, 'relationsOf'>;
  rooms: Pick<RoomStore, 'members'>;
  broadcaster: RoomBroadcaster;
  /**
   * Chats with more participants broadcast no presence; 0 turns presence
   * broadcasts off.
   * @default the presenceBroadcastMaxMembers setting's default (100)
   */
  presenceBroadcastMaxMembers?: number;
}

/**
 * The same deps with each chat's participant count and room read at most
 * once (per call of this function: once per stream batch). A login burst
 * puts many users of one chat in a batch; without this each of them would
 * re-read the same room (N records × a Query of N rows), which made a
 * presence delivery cost several message deliveries. The reads are as old
 * as the batch (milliseconds): a connection that joins meanwhile misses an
 * event it could as well have missed a moment earlier, and its client asks
 * presence:query on connect anyway. A failed read is forgotten, so the
 * record's retry reads again.
 *
 * @example
 * const batchDeps = withBatchReads(deps);
 * for (const record of records) await fanOutPresence(batchDeps, record);
 */
export function withBatchReads<D extends PresenceFanOutDeps>(deps: D): D {
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let value = cache.get(key);
    if (value === undefined) {
      value = read();
      cache.set(key, value);
      value.catch(() => cache.delete(key));
    }
    return value;
  };
  const counts = new Map<string, Promise<number>>();
  const rooms = new Map<string, Promise<RoomMember[]>>();
  return {
    ...deps,
    memberships: {
      ...deps.memberships,
      countParticipants: (chatId: string) => once(counts, chatId, () => deps.memberships.countParticipants(chatId)),
    },
    rooms: { ...deps.rooms, members: (room: string, nowMs?: number) => once(rooms, room, () => deps.rooms.members(room, nowMs)) },
  };
}

/** Room Queries in flight at once while collecting a user's co-members. */
const ROOM_QUERY_CONCURRENCY = 8;

export type PresenceTransition = 'user:online' | 'user:offline';

function connectionCount(image: Image | undefined): number {
  const ids = image?.connectionIds;
  return ids instanceof Set ? ids.size : 0;
}

/**
 * The transition a Presence record means: the set of connection ids going
 * from empty (or absent) to non-empty is `user:online`, from non-empty to
 * empty (or the row removed) is `user:offline`; anything else (a second tab
 * opening, 1→2) is no transition.
 */
export function presenceTransitionOf(record: DynamoDBRecord): PresenceTransition | undefined {
  const before = connectionCount(imageOf(record.dynamodb?.OldImage));
  const after = connectionCount(imageOf(record.dynamodb?.NewImage));
  if (before === 0 && after > 0) return 'user:online';
  if (before > 0 && after === 0) return 'user:offline';
  return undefined;
}

/**
 * Every live connection of every user who shares at least one chat of at
 * most `presenceBroadcastMaxMembers` participants with `userId`, once each
 * (a connection in several shared chats gets one post), without the user's
 * own connections and without the users `userId` blocked or was blocked by.
 *
 * Costs one Memberships byUser Query (all pages), one Users Query (the
 * user's block rows, usually empty) plus, per chat of the user, one COUNT
 * Query and (for a chat small enough) one Rooms Query (all pages); with
 * withBatchReads, those two once per chat per batch.
 */
export async function coMemberConnections(deps: PresenceFanOutDeps, userId: string): Promise<RoomMember[]> {
  const maxMembers = deps.presenceBroadcastMaxMembers ?? DEFAULT_LIMITS.presenceBroadcastMaxMembers;
  if (maxMembers === 0) return [];
  const [chatIds, hidden] = await Promise.all([deps.memberships.chatIdsOfUser(userId), deps.users.relationsOf(userId)]);
  const rooms = await mapWithConcurrency([...new Set(chatIds)], ROOM_QUERY_CONCURRENCY, async (chatId) =>
    (await deps.memberships.countParticipants(chatId)) > maxMembers ? [] : deps.rooms.members(roomOf.chat(chatId)),
  );
  const recipients = new Map<string, RoomMember>();
  for (const member of rooms.flat()) {
    if (member.userId !== userId && !hidden.has(member.userId)) recipients.set(member.connectionId, member);
  }
  return [...recipients.values()];
}

/** A row's state as stored (absent or unknown: online, the default). */
function stateIn(image: Image | undefined): PresenceState {
  const state = image?.state;
  return state === 'away' || state === 'busy' ? state : 'online';
}

function textIn(image: Image | undefined): string | undefined {
  const text = image?.statusText;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

/**
 * The event a Presence record means, if any: a transition (see
 * presenceTransitionOf; `user:online` carries the state and text the user
 * had set, `user:offline` carries `lastSeenAt`), else `user:status` when a
 * user online before and after changed state or text. A change made while
 * offline (over HTTP) is no event: the next `user:online` carries it.
 *
 * @throws {MalformedRecordError} an event without a user id
 */
export function presenceEventOf(record: DynamoDBRecord): { userId: string; envelope: EventEnvelope } | undefined {
  const newImage = imageOf(record.dynamodb?.NewImage);
  const oldImage = imageOf(record.dynamodb?.OldImage);
  const transition = presenceTransitionOf(record);
  const statusChanged =
    transition === undefined &&
    connectionCount(oldImage) > 0 &&
    connectionCount(newImage) > 0 &&
    (stateIn(oldImage) !== stateIn(newImage) || textIn(oldImage) !== textIn(newImage));
  if (transition === undefined && !statusChanged) return undefined;

  const keys = imageOf(record.dynamodb?.Keys) ?? newImage ?? oldImage ?? {};
  const userId = requireString(keys, 'userId');
  const approximate = record.dynamodb?.ApproximateCreationDateTime;
  const at =
    // A removed row's old updatedAt is the previous change, not this one.
    toIsoTime(statusChanged ? newImage?.statusAt : newImage?.updatedAt) ??
    toIsoTime(approximate === undefined ? undefined : approximate * 1000) ??
    new Date().toISOString();
  const text = textIn(newImage);
  const event = (name: EventEnvelope['event'], data: EventEnvelope['data']) => ({ userId, envelope: { event: name, data, id: randomId(), ts: Date.parse(at) } });
  if (transition === 'user:offline') return event('user:offline', { userId, at, lastSeenAt: at });
  const state = { state: stateIn(newImage), ...(text !== undefined && { text }) };
  return transition === 'user:online' ? event('user:online', { userId, at, ...state }) : event('user:status', { userId, ...state, at });
}

/**
 * Sends the presence event a Presence record means, if any.
 */
export async function fanOutPresence(deps: PresenceFanOutDeps, record: DynamoDBRecord): Promise<BroadcastResult | undefined> {
  const event = presenceEventOf(record);
  if (event === undefined) return undefined;
  const recipients = await coMemberConnections(deps, event.userId);
  return deps.broadcaster.toMembers(recipients, event.envelope);
}
