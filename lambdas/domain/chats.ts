/**
 * The chat service: create a chat, list a user's chats and a chat's
 * participants (a page at a time), add and remove participants, change
 * roles. There is no chats table: a chat is its membership rows, each
 * carrying the title and the participant's role.
 *
 * Roles: the creator is the chat's `owner`; owners add and remove
 * participants and make others owners (or members again); anyone may leave.
 * The last owner may not leave (or step down) while others remain: they
 * make someone else an owner first (CONFLICT). Rows written before roles
 * existed count as owners, so older chats keep working as they did.
 *
 * Rooms follow: with a `joiner`, the participants' open connections are in
 * the chat's room when create or add returns, and out of it when remove
 * returns (the Memberships stream does it again, as a backstop).
 *
 * Abuse bounds: creations and adds are counted per caller in a fixed
 * window (RATE_LIMITED), each user is in at most `maxChatsPerUser` chats
 * (CONFLICT), and a user who blocked the caller cannot be put in a chat by
 * them (FORBIDDEN).
 */
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../commons/errors';
import { mapWithConcurrency } from '../commons/concurrency';
import { sortableId } from '../commons/ids';
import type { Chat, ChatRole, ChatSummary, Page, Participant } from '../../protocol';
import { logger } from '../commons/logger';
import { requireParticipant } from './memberships';
import type { MembershipRow, MembershipStore, UserCounterRow, UserStore } from './ports';
import type { RoomJoiner } from './room-joins';
import { admitInWindow } from './rate-window';
import { DEFAULT_LIMITS } from '../system/limits';

export const DEFAULT_LIST_SIZE = 50;
export const MAX_LIST_SIZE = 100;

/** Users whose chat count is reserved at once when creating a chat. */
const RESERVE_CONCURRENCY = 16;

/**
 * How long a create waits for its participants' connections to join the
 * room when the caller does not say (the HTTP handler gives what its
 * invocation can spare): half the HTTP function's 10 s timeout. A
 * 1,000-participant join takes about a second in AWS; past the budget, the
 * create answers anyway (the chat exists: a timeout would make the caller
 * retry and create another) and the Memberships stream completes the join.
 */
export const CREATE_JOIN_BUDGET_MS = 5_000;

export interface ChatLimits {
  /** Most participants per chat. @default the maxChatParticipants setting's default */
  maxParticipants?: number;
  /** Most chats per user. @default the maxChatsPerUser setting's default */
  maxChatsPerUser?: number;
  /** Chat creations plus adds per caller per window. @default the chatChangeRateLimit setting's default */
  changeRateLimit?: number;
  /** @default the chatChangeRateWindowMs setting's default */
  changeRateWindowMs?: number;
}

export interface ChatServiceDeps extends ChatLimits {
  memberships: Pick<
    MembershipStore,
    'get' | 'pageOfUser' | 'pageOfChat' | 'countParticipants' | 'countOwners' | 'putAll' | 'putIfAbsent' | 'setRole' | 'delete'
  >;
  users: Pick<UserStore, 'countChange' | 'reopenChanges' | 'reserveChat' | 'releaseChat' | 'hasBlocked' | 'blockersOf'>;
  /**
   * Moves the participants' open connections in or out of the chat's room
   * before create, add and remove return (room-joins.ts). Without it, only
   * the Memberships stream does, a moment later: a message sent right after
   * the call may miss them.
   */
  joiner?: RoomJoiner;
  /** @default CREATE_JOIN_BUDGET_MS */
  createJoinBudgetMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface CreateChatInput {
  title: string;
  participants: readonly string[];
}

export interface PageInput {
  limit?: number;
  cursor?: string;
}

export interface ChatService {
  /**
   * Creates a chat; the caller is its owner. Returns every participant
   * written. `joinBudgetMs`: how long it may wait for the room join (the
   * HTTP handler gives what its invocation can spare).
   */
  create(callerId: string, input: CreateChatInput, options?: { joinBudgetMs?: number }): Promise<Chat>;
  /** One page of the caller's chats, from their own membership rows only. */
  listForUser(userId: string, page?: PageInput): Promise<Page<ChatSummary>>;
  /** One page of a chat's participants, for a participant. */
  participants(callerId: string, chatId: string, page?: PageInput): Promise<Page<Participant>>;
  /** Adds a participant (owners only); `added` is false when they were in already (nothing written). */
  addParticipant(callerId: string, chatId: string, userId: string): Promise<{ chatId: string; userId: string; role: ChatRole; added: boolean }>;
  /** Removes a participant (owners), or the caller themselves (anyone: leaving). */
  removeParticipant(callerId: string, chatId: string, userId: string): Promise<void>;
  /** Makes a participant an owner or a member (owners only). */
  setRole(callerId: string, chatId: string, userId: string, role: ChatRole): Promise<Participant>;
}

/** Rows written before roles existed count as owners. */
export const roleOf = (row: Pick<MembershipRow, 'role'>): ChatRole => row.role ?? 'owner';

function toParticipant(row: MembershipRow): Participant {
  return { userId: row.userId, role: roleOf(row), addedAt: row.addedAt };
}

/**
 * A new chat's join, waited for at most `budgetMs`. The chat exists by
 * then, so neither a failed nor a slow join fails the create (a retry would
 * create another chat): the Memberships stream joins the participants a
 * moment later. Both are logged.
 */
async function joinWithinBudget(joiner: RoomJoiner, chatId: string, participants: readonly string[], budgetMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), budgetMs)));
  const joined = joiner.join(chatId, participants).then(
    () => 'joined' as const,
    (error: unknown) => {
      logger.warn('chat created, but its participants\' connections could not join its room; the Memberships stream will', { chatId, error: error as Error });
      return 'failed' as const;
    },
  );
  const outcome = await Promise.race([joined, outOfTime]);
  clearTimeout(timer);
  if (outcome === 'late') logger.warn('chat created; its room join is still running after the budget, answering anyway', { chatId, budgetMs, participants: participants.length });
}

/** Creates the chat service over the membership and user stores. */
export function createChatService(deps: ChatServiceDeps): ChatService {
  const { memberships, users, joiner } = deps;
  const now = deps.now ?? Date.now;
  const maxParticipants = deps.maxParticipants ?? DEFAULT_LIMITS.maxChatParticipants;
  const maxChats = deps.maxChatsPerUser ?? DEFAULT_LIMITS.maxChatsPerUser;
  const rateLimit = deps.changeRateLimit ?? DEFAULT_LIMITS.chatChangeRateLimit;
  const rateWindowMs = deps.changeRateWindowMs ?? DEFAULT_LIMITS.chatChangeRateWindowMs;

  /** Counts a creation or add against the caller's window (one write on the happy path). */
  const admitChange = (callerId: string, nowMs: number): Promise<UserCounterRow> =>
    admitInWindow<UserCounterRow>(
      {
        count: () => users.countChange(callerId, nowMs, rateLimit),
        reopen: () => users.reopenChanges(callerId, nowMs, rateWindowMs),
        openedAt: (row) => (typeof row.changeWindow === 'number' ? row.changeWindow : undefined),
        // The counter row is created on first use; it is never absent.
        absent: () => new Error('counter row missing'),
        refusal: (retryAfterMs) =>
          new RateLimitedError(`At most ${rateLimit} chats created or participants added per ${rateWindowMs / 1000} s; slow down`, { retryAfterMs }),
      },
      nowMs,
      rateWindowMs,
    );

  const requireOwner = async (chatId: string, callerId: string, action: string): Promise<MembershipRow> => {
    const row = await requireParticipant(memberships, chatId, callerId);
    if (roleOf(row) !== 'owner') throw new ForbiddenError(`Only an owner of this chat may ${action}`);
    return row;
  };

  /** The last owner may not go while others stay: someone must be able to administer the chat. */
  const requireAnotherOwner = async (chatId: string): Promise<void> => {
    if ((await memberships.countOwners(chatId)) > 1) return;
    if ((await memberships.countParticipants(chatId)) <= 1) return; // Alone: the chat ends with them.
    throw new ConflictError('The last owner of a chat cannot leave or step down; make another participant an owner first');
  };

  const tooManyChats = (): ConflictError => new ConflictError(`A user can be in at most ${maxChats} chats`);

  return {
    async create(callerId, input, options = {}) {
      // The caller is always a participant; duplicates collapse.
      const participants = [...new Set([callerId, ...input.participants])];
      if (participants.length > maxParticipants) {
        throw new BadRequestError(`A chat has at most ${maxParticipants} participants`);
      }
      // One Query of the caller's own partition; which participant refused is not said.
      const blockers = new Set(await users.blockersOf(callerId));
      if (participants.some((userId) => blockers.has(userId))) {
        throw new ForbiddenError('You cannot start a chat with one or more of these users');
      }
      const nowMs = now();
      await admitChange(callerId, nowMs);

      // Each participant's count is reserved before any membership is written; a refusal gives back the others.
      const reserved: string[] = [];
      let refused = false;
      await mapWithConcurrency(participants, RESERVE_CONCURRENCY, async (userId) => {
        if (await users.reserveChat(userId, maxChats)) reserved.push(userId);
        else refused = true;
      });
      const release = (): Promise<unknown> => mapWithConcurrency(reserved, RESERVE_CONCURRENCY, (userId) => users.releaseChat(userId));
      if (refused) {
        await release();
        throw tooManyChats();
      }

      const chatId = sortableId(nowMs);
      const addedAt = new Date(nowMs).toISOString();
      try {
        await memberships.putAll(
          participants.map((userId): MembershipRow => ({
            chatId,
            userId,
            title: input.title,
            addedAt,
            addedBy: callerId,
            role: userId === callerId ? 'owner' : 'member',
            addedWithChat: true,
          })),
        );
      } catch (err) {
        await release().catch(() => undefined);
        throw err;
      }
      if (joiner !== undefined) await joinWithinBudget(joiner, chatId, participants, options.joinBudgetMs ?? deps.createJoinBudgetMs ?? CREATE_JOIN_BUDGET_MS);
      return { chatId, title: input.title, participants };
    },

    async listForUser(userId, page = {}) {
      const { rows, next } = await memberships.pageOfUser(userId, page.limit ?? DEFAULT_LIST_SIZE, page.cursor);
      return { items: rows.map((row) => ({ chatId: row.chatId, title: row.title, role: roleOf(row) })), ...(next !== undefined && { next }) };
    },

    async participants(callerId, chatId, page = {}) {
      await requireParticipant(memberships, chatId, callerId);
      const { rows, next } = await memberships.pageOfChat(chatId, page.limit ?? DEFAULT_LIST_SIZE, page.cursor);
      return { items: rows.map(toParticipant), ...(next !== undefined && { next }) };
    },

    async addParticipant(callerId, chatId, userId) {
      const { title } = await requireOwner(chatId, callerId, 'add participants');
      if (await users.hasBlocked(userId, callerId)) throw new ForbiddenError('You cannot add this user to a chat');
      if ((await memberships.countParticipants(chatId)) >= maxParticipants) throw new ConflictError(`A chat has at most ${maxParticipants} participants`);
      const nowMs = now();
      await admitChange(callerId, nowMs);
      if (!(await users.reserveChat(userId, maxChats))) throw tooManyChats();
      // Adding someone already in is a success that writes nothing (no second join event).
      let added: boolean;
      try {
        added = await memberships.putIfAbsent({ chatId, userId, title, addedAt: new Date(nowMs).toISOString(), addedBy: callerId, role: 'member' });
      } catch (err) {
        await users.releaseChat(userId).catch(() => undefined);
        throw err;
      }
      // Also when they were in already: a retry after a failed join completes it.
      await joiner?.join(chatId, [userId]);
      if (!added) {
        await users.releaseChat(userId);
        const existing = await memberships.get(chatId, userId);
        return { chatId, userId, role: existing === undefined ? 'member' : roleOf(existing), added };
      }
      return { chatId, userId, role: 'member', added };
    },

    async removeParticipant(callerId, chatId, userId) {
      const caller = await requireParticipant(memberships, chatId, callerId);
      if (userId !== callerId) {
        if (roleOf(caller) !== 'owner') throw new ForbiddenError('Only an owner of this chat may remove other participants; anyone may leave');
      } else if (roleOf(caller) === 'owner') {
        await requireAnotherOwner(chatId);
      }
      // Removing someone not in the chat writes nothing; their connections still leave, so a retry after a failed leave completes it.
      if (await memberships.delete(chatId, userId)) await users.releaseChat(userId);
      // After the delete: a join racing this removal reads the membership after its writes (room-joins.ts).
      await joiner?.leave(chatId, [userId]);
    },

    async setRole(callerId, chatId, userId, role) {
      await requireOwner(chatId, callerId, 'change roles');
      const target = await memberships.get(chatId, userId);
      if (target === undefined) throw new NotFoundError(`${userId} is not a participant of this chat`);
      if (roleOf(target) === role) return toParticipant(target);
      if (role === 'member') await requireAnotherOwner(chatId);
      if (!(await memberships.setRole(chatId, userId, role))) throw new NotFoundError(`${userId} is not a participant of this chat`);
      return { ...toParticipant(target), role };
    },
  };
}
