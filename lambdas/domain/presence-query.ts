/**
 * Presence on request: a client asks whether up to 100 users are online,
 * instead of (in big chats) every login being broadcast to every member.
 * The rule of the broadcasts decides who may see whom: a user who shares a
 * chat with the caller, never across a block. A query naming anyone else is
 * refused as a whole, without saying who, so it cannot probe for users.
 */
import { MAX_PRESENCE_QUERY_USERS, type PresenceQueryResult, type UserPresence } from '../../protocol';
import { mapWithConcurrency } from '../commons/concurrency';
import { BadRequestError, ForbiddenError } from '../commons/errors';
import type { MembershipStore, PresenceStore, UserStore } from './ports';
import { userIdOf } from './validation';

export interface PresenceQueryDeps {
  memberships: Pick<MembershipStore, 'chatIdsOfUser' | 'whichExist'>;
  presence: Pick<PresenceStore, 'statusOf'>;
  users: Pick<UserStore, 'relationsOf'>;
}

/** Keys per membership BatchGetItem round (DynamoDB's maximum). */
const PAIRS_PER_ROUND = 100;
/** byUser Queries in flight at once when the caller is in too many chats for pair reads. */
const BY_USER_CONCURRENCY = 16;

/**
 * The user ids of a query: an array (WebSocket data) or a comma-separated
 * string (`?userIds=`), 1 to MAX_PRESENCE_QUERY_USERS valid ids, a repeated
 * id kept once, in the order given.
 *
 * @throws {BadRequestError} not a list, empty, too long, or an invalid id
 *
 * @example
 * presenceQueryUserIdsOf('bob,carol,bob'); // ['bob', 'carol']
 */
export function presenceQueryUserIdsOf(value: unknown, name = 'userIds'): string[] {
  const list = typeof value === 'string' ? (value === '' ? [] : value.split(',')) : value;
  if (!Array.isArray(list)) throw new BadRequestError(`${name} must be a list of user ids`);
  if (list.length === 0) throw new BadRequestError(`${name} must name at least one user`);
  if (list.length > MAX_PRESENCE_QUERY_USERS) throw new BadRequestError(`${name} may name at most ${MAX_PRESENCE_QUERY_USERS} users, got ${list.length}`);
  return [...new Set(list.map((id, i) => userIdOf(id, `${name}[${i}]`)))];
}

/**
 * The users of `userIds` who share no chat with the caller. Reads the
 * cheaper way: with the caller in at most 100 chats, BatchGetItem rounds over
 * (caller's chat, user) pairs, dropping a user once one pair exists (one
 * round when the users share the caller's first chat); otherwise one byUser
 * Query per user.
 */
async function usersSharingNoChat(deps: PresenceQueryDeps, callerChats: readonly string[], userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  if (callerChats.length > PAIRS_PER_ROUND) {
    const chats = new Set(callerChats);
    const shares = await mapWithConcurrency(userIds, BY_USER_CONCURRENCY, async (userId) =>
      (await deps.memberships.chatIdsOfUser(userId)).some((chatId) => chats.has(chatId)),
    );
    return userIds.filter((_, i) => !shares[i]);
  }
  const unconfirmed = new Set(userIds);
  let chatIndex = 0;
  while (unconfirmed.size > 0 && chatIndex < callerChats.length) {
    const pairs: Array<{ chatId: string; userId: string }> = [];
    while (chatIndex < callerChats.length && pairs.length + unconfirmed.size <= PAIRS_PER_ROUND) {
      const chatId = callerChats[chatIndex++] as string;
      for (const userId of unconfirmed) pairs.push({ chatId, userId });
    }
    // More users than fit beside the pairs taken: this round is one chat, split.
    if (pairs.length === 0) {
      const chatId = callerChats[chatIndex++] as string;
      for (const userId of unconfirmed) pairs.push({ chatId, userId });
    }
    for (const found of await deps.memberships.whichExist(pairs)) unconfirmed.delete(found.userId);
  }
  return [...unconfirmed];
}

/**
 * The presence of each user, in the order asked: an online user with their
 * state and status text, an offline one with when they were last seen. The
 * caller may ask about themself; anyone else must share at least one chat with the caller. A
 * user on either side of a block with the caller reads as offline, never
 * seen, the same as the broadcasts (which they never get).
 *
 * Costs one byUser Query (the caller's chats), one Users Query (the
 * caller's blocks), usually one membership BatchGetItem, and one Presence
 * BatchGetItem.
 *
 * @throws {ForbiddenError} some user shares no chat with the caller (which one is not said)
 *
 * @example
 * await queryPresence(deps, 'alice', ['bob', 'carol']);
 * // { users: [{ userId: 'bob', online: true, state: 'busy', text: 'In a meeting' }, { userId: 'carol', online: false, lastSeenAt: '2026-11-29T10:00:00.000Z' }] }
 */
export async function queryPresence(deps: PresenceQueryDeps, callerId: string, userIds: readonly string[]): Promise<PresenceQueryResult> {
  const [callerChats, hidden] = await Promise.all([deps.memberships.chatIdsOfUser(callerId), deps.users.relationsOf(callerId)]);
  const outsiders = await usersSharingNoChat(deps, [...new Set(callerChats)], userIds.filter((userId) => userId !== callerId));
  if (outsiders.length > 0) throw new ForbiddenError('Presence can only be asked for users who share a chat with you');

  const visible = userIds.filter((userId) => !hidden.has(userId));
  const rows = new Map((visible.length === 0 ? [] : await deps.presence.statusOf(visible)).map((row) => [row.userId, row]));
  const users = userIds.map((userId): UserPresence => {
    const row = rows.get(userId);
    if (row === undefined) return { userId, online: false };
    if (row.connections > 0) return { userId, online: true, state: row.state ?? 'online', ...(row.text !== undefined && { text: row.text }) };
    const seen = row.updatedAt === undefined ? undefined : new Date(row.updatedAt);
    return { userId, online: false, ...(seen !== undefined && !Number.isNaN(seen.getTime()) && { lastSeenAt: seen.toISOString() }) };
  });
  return { users };
}
