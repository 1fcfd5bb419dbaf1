/**
 * Presence stream → `user:online` / `user:offline` for the users who share
 * a chat with the user, and only them.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomId } from '../../commons/ids';
import type { EventEnvelope } from '../../../protocol';
import { roomOf } from '../../system/schema';
import type { BroadcastResult, MembershipStore, RoomBroadcaster, RoomMember, RoomStore, UserStore } from '../ports';
import { mapWithConcurrency } from '../../commons/concurrency';
import { imageOf, requireString, toIsoTime, type Image } from './records';

export interface PresenceFanOutDeps {
  memberships: Pick<MembershipStore, 'chatIdsOfUser'>;
  users: Pick<UserStore, 'relationsOf'>;
  rooms: Pick<RoomStore, 'members'>;
  broadcaster: RoomBroadcaster;
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
 * Every live connection of every user who shares at least one chat with
 * `userId`, once each (a connection in several shared chats gets one post),
 * without the user's own connections and without the users `userId`
 * blocked or was blocked by.
 *
 * Costs one Memberships byUser Query (all pages), one Users Query (the
 * user's block rows, usually empty) plus one Rooms Query per chat of the
 * user (all pages).
 */
export async function coMemberConnections(deps: PresenceFanOutDeps, userId: string): Promise<RoomMember[]> {
  const [chatIds, hidden] = await Promise.all([deps.memberships.chatIdsOfUser(userId), deps.users.relationsOf(userId)]);
  const rooms = await mapWithConcurrency([...new Set(chatIds)], ROOM_QUERY_CONCURRENCY, (chatId) =>
    deps.rooms.members(roomOf.chat(chatId)),
  );
  const recipients = new Map<string, RoomMember>();
  for (const member of rooms.flat()) {
    if (member.userId !== userId && !hidden.has(member.userId)) recipients.set(member.connectionId, member);
  }
  return [...recipients.values()];
}

/**
 * Sends the presence event a Presence record means, if any.
 */
export async function fanOutPresence(deps: PresenceFanOutDeps, record: DynamoDBRecord): Promise<BroadcastResult | undefined> {
  const transition = presenceTransitionOf(record);
  if (transition === undefined) return undefined;

  const newImage = imageOf(record.dynamodb?.NewImage);
  const oldImage = imageOf(record.dynamodb?.OldImage);
  const keys = imageOf(record.dynamodb?.Keys) ?? newImage ?? oldImage ?? {};
  const userId = requireString(keys, 'userId');
  const approximate = record.dynamodb?.ApproximateCreationDateTime;
  const at =
    // A removed row's old updatedAt is the previous change, not this one.
    toIsoTime(newImage?.updatedAt) ??
    toIsoTime(approximate === undefined ? undefined : approximate * 1000) ??
    new Date().toISOString();

  const envelope: EventEnvelope = { event: transition, data: { userId, at }, id: randomId(), ts: Date.parse(at) };
  const recipients = await coMemberConnections(deps, userId);
  return deps.broadcaster.toMembers(recipients, envelope);
}
