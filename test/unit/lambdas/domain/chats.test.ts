import { describe, expect, it, vi } from 'vitest';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../../../../lambdas/commons/errors';
import { createChatService, type ChatServiceDeps } from '../../../../lambdas/domain/chats';
import type { MembershipRow } from '../../../../lambdas/domain/ports';
import type { RoomJoiner } from '../../../../lambdas/domain/room-joins';
import { fakeMembershipStore, fakeUserStore } from '../../../helpers/fake-stores';
import { DEFAULT_LIMITS } from '../../../../lambdas/system/limits';

const MAX_PARTICIPANTS = DEFAULT_LIMITS.maxChatParticipants;

const NOW = Date.UTC(2025, 10, 27);
const member = (chatId: string, userId: string, role?: 'owner' | 'member'): MembershipRow => ({
  chatId,
  userId,
  title: 'Team',
  addedAt: '2025-11-27T00:00:00.000Z',
  addedBy: 'alice',
  ...(role !== undefined && { role }),
});

function service(rows: MembershipRow[] = [], options: Partial<ChatServiceDeps> & Parameters<typeof fakeUserStore>[0] = {}) {
  const memberships = fakeMembershipStore(rows);
  const users = fakeUserStore(options);
  let clock = NOW;
  const chats = createChatService({ memberships, users, now: () => clock, ...options });
  return { chats, memberships, users, advance: (ms: number) => (clock += ms) };
}

describe('Function: createChatService', () => {
  describe('Method: create', () => {
    it('creates a chat with the caller in it once, as its owner, and counts a chat for each participant', async () => {
      // Prepare
      const { chats, memberships, users } = service();

      // Act
      const chat = await chats.create('alice', { title: 'Team', participants: ['bob', 'alice', 'bob'] });

      // Assess
      expect(chat.participants).toEqual(['alice', 'bob']);
      expect(memberships.rows.get(`${chat.chatId}\u0000alice`)).toMatchObject({ role: 'owner', addedWithChat: true });
      expect(memberships.rows.get(`${chat.chatId}\u0000bob`)).toMatchObject({ role: 'member', addedWithChat: true });
      expect(users.counters.get('alice')?.chatCount).toBe(1);
      expect(users.counters.get('bob')?.chatCount).toBe(1);
    });

    it('refuses a chat over the participant cap, writing nothing', async () => {
      // Prepare
      const { chats, memberships, users } = service();
      const crowd = Array.from({ length: MAX_PARTICIPANTS }, (_, i) => `user${i}`);

      // Act
      const attempt = chats.create('alice', { title: 'Crowd', participants: crowd });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
      expect(memberships.rows.size).toBe(0);
      expect(users.counters.size).toBe(0);
    });

    it('refuses with RATE_LIMITED past the creations allowed per window, writing nothing, and says when to retry', async () => {
      // Prepare
      const { chats, memberships, advance } = service([], { changeRateLimit: 2, changeRateWindowMs: 60_000 });
      await chats.create('mallory', { title: 'a', participants: ['victim'] });
      advance(1000);
      await chats.create('mallory', { title: 'b', participants: ['victim'] });
      advance(1000);
      const before = memberships.rows.size;

      // Act
      const attempt = chats.create('mallory', { title: 'c', participants: ['victim'] });

      // Assess
      const error = await attempt.catch((err: unknown) => err);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterMs).toBe(58_000);
      expect(memberships.rows.size).toBe(before);
    });

    it('admits again once the window is over', async () => {
      // Prepare
      const { chats, advance } = service([], { changeRateLimit: 1, changeRateWindowMs: 60_000 });
      await chats.create('alice', { title: 'a', participants: [] });
      advance(60_000);

      // Act + Assess
      await expect(chats.create('alice', { title: 'b', participants: [] })).resolves.toMatchObject({ title: 'b' });
    });

    it('refuses with CONFLICT when a participant is in the most chats allowed, writing no membership and giving back the counts', async () => {
      // Prepare
      const { chats, memberships, users } = service([], { maxChatsPerUser: 3, chatCounts: { victim: 3, bob: 1 } });

      // Act
      const attempt = chats.create('mallory', { title: 'spam', participants: ['bob', 'victim'] });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      expect(memberships.rows.size).toBe(0);
      expect(users.counters.get('victim')?.chatCount).toBe(3);
      expect(users.counters.get('bob')?.chatCount).toBe(1);
      expect(users.counters.get('mallory')?.chatCount ?? 0).toBe(0);
    });

    it('refuses a chat with someone who blocked the caller, without naming them, writing nothing', async () => {
      // Prepare
      const { chats, memberships, users } = service([], { blocks: [['victim', 'mallory']] });

      // Act
      const error = await chats.create('mallory', { title: 'hi', participants: ['bob', 'victim'] }).catch((err: unknown) => err);

      // Assess
      expect(error).toBeInstanceOf(ForbiddenError);
      expect((error as Error).message).not.toContain('victim');
      expect(memberships.rows.size).toBe(0);
      expect(users.calls).toEqual(['blockersOf']);
    });
  });

  describe('Method: listForUser', () => {
    it('lists a page of the caller\'s chats with their role, reading no other participant', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member'), member('c2', 'bob', 'member'), member('c3', 'alice', 'member')]);

      // Act
      const first = await chats.listForUser('alice', { limit: 1 });
      const second = await chats.listForUser('alice', { limit: 1, cursor: first.next });

      // Assess
      expect(first).toEqual({ items: [{ chatId: 'c1', title: 'Team', role: 'owner' }], next: 'c1' });
      expect(second).toEqual({ items: [{ chatId: 'c3', title: 'Team', role: 'member' }] });
      expect(memberships.calls).toEqual(['pageOfUser', 'pageOfUser']);
    });

    it('counts a row from before roles existed as an owner', async () => {
      // Prepare
      const { chats } = service([member('c1', 'alice')]);

      // Act + Assess
      expect(await chats.listForUser('alice')).toEqual({ items: [{ chatId: 'c1', title: 'Team', role: 'owner' }] });
    });
  });

  describe('Method: participants', () => {
    it('pages a chat\'s participants with their roles, for a participant only', async () => {
      // Prepare
      const { chats } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member'), member('c1', 'carol', 'member')]);

      // Act
      const page = await chats.participants('bob', 'c1', { limit: 2 });
      const outsider = chats.participants('mallory', 'c1');

      // Assess
      expect(page).toEqual({
        items: [
          { userId: 'alice', role: 'owner', addedAt: '2025-11-27T00:00:00.000Z' },
          { userId: 'bob', role: 'member', addedAt: '2025-11-27T00:00:00.000Z' },
        ],
        next: 'bob',
      });
      await expect(outsider).rejects.toBeInstanceOf(ForbiddenError);
    });
  });

  describe('Method: addParticipant', () => {
    it('lets an owner add a participant as a member, counting their chat', async () => {
      // Prepare
      const { chats, memberships, users } = service([member('c1', 'alice', 'owner')]);

      // Act
      const added = await chats.addParticipant('alice', 'c1', 'bob');

      // Assess
      expect(added).toEqual({ chatId: 'c1', userId: 'bob', role: 'member', added: true });
      expect(memberships.rows.get('c1\u0000bob')).toMatchObject({ role: 'member', addedBy: 'alice' });
      expect(users.counters.get('bob')?.chatCount).toBe(1);
    });

    it('refuses a member adding anyone with FORBIDDEN, writing nothing', async () => {
      // Prepare
      const { chats, memberships, users } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')]);

      // Act + Assess
      await expect(chats.addParticipant('bob', 'c1', 'carol')).rejects.toBeInstanceOf(ForbiddenError);
      expect(memberships.rows.size).toBe(2);
      expect(users.counters.size).toBe(0);
    });

    it('refuses an outsider with FORBIDDEN', async () => {
      // Prepare
      const { chats } = service([member('c1', 'alice', 'owner')]);

      // Act + Assess
      await expect(chats.addParticipant('mallory', 'c1', 'mallory')).rejects.toBeInstanceOf(ForbiddenError);
    });

    it('refuses to add someone who blocked the caller, writing nothing', async () => {
      // Prepare
      const { chats, memberships, users } = service([member('c1', 'mallory', 'owner')], { blocks: [['victim', 'mallory']] });

      // Act
      const attempt = chats.addParticipant('mallory', 'c1', 'victim');

      // Assess
      await expect(attempt).rejects.toThrow(new ForbiddenError('You cannot add this user to a chat'));
      expect(memberships.rows.size).toBe(1);
      expect(users.counters.size).toBe(0);
    });

    it('refuses to add a participant to a full chat with CONFLICT', async () => {
      // Prepare
      const full = Array.from({ length: MAX_PARTICIPANTS }, (_, i) => member('c1', i === 0 ? 'alice' : `user${i}`, i === 0 ? 'owner' : 'member'));
      const { chats, memberships } = service(full);

      // Act + Assess
      await expect(chats.addParticipant('alice', 'c1', 'newcomer')).rejects.toBeInstanceOf(ConflictError);
      expect(memberships.calls).not.toContain('putIfAbsent');
    });

    it('refuses to add a user already in the most chats allowed with CONFLICT', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner')], { maxChatsPerUser: 5, chatCounts: { bob: 5 } });

      // Act + Assess
      await expect(chats.addParticipant('alice', 'c1', 'bob')).rejects.toBeInstanceOf(ConflictError);
      expect(memberships.rows.has('c1\u0000bob')).toBe(false);
    });

    it('rate-limits adds with creations in one window', async () => {
      // Prepare
      const { chats } = service([member('c1', 'alice', 'owner')], { changeRateLimit: 1 });
      await chats.addParticipant('alice', 'c1', 'bob');

      // Act + Assess
      await expect(chats.addParticipant('alice', 'c1', 'carol')).rejects.toBeInstanceOf(RateLimitedError);
    });

    it('adding someone already in writes nothing and gives their count back', async () => {
      // Prepare
      const { chats, users } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')], { chatCounts: { bob: 1 } });

      // Act
      const again = await chats.addParticipant('alice', 'c1', 'bob');

      // Assess
      expect(again).toEqual({ chatId: 'c1', userId: 'bob', role: 'member', added: false });
      expect(users.counters.get('bob')?.chatCount).toBe(1);
    });
  });

  describe('Method: removeParticipant', () => {
    it('lets anyone leave, giving their chat count back', async () => {
      // Prepare
      const { chats, memberships, users } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')], { chatCounts: { bob: 1 } });

      // Act
      await chats.removeParticipant('bob', 'c1', 'bob');

      // Assess
      expect(memberships.rows.has('c1\u0000bob')).toBe(false);
      expect(users.counters.get('bob')?.chatCount).toBe(0);
    });

    it('refuses a member removing someone else with FORBIDDEN, writing nothing', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member'), member('c1', 'carol', 'member')]);

      // Act + Assess
      await expect(chats.removeParticipant('bob', 'c1', 'carol')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(chats.removeParticipant('bob', 'c1', 'alice')).rejects.toBeInstanceOf(ForbiddenError);
      expect(memberships.rows.size).toBe(3);
    });

    it('lets an owner remove a participant', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')]);

      // Act
      await chats.removeParticipant('alice', 'c1', 'bob');

      // Assess
      expect(memberships.rows.has('c1\u0000bob')).toBe(false);
    });

    it('refuses the last owner leaving while others remain with CONFLICT', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')]);

      // Act + Assess
      await expect(chats.removeParticipant('alice', 'c1', 'alice')).rejects.toBeInstanceOf(ConflictError);
      expect(memberships.rows.size).toBe(2);
    });

    it('lets an owner leave when another owner stays, or when alone', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'owner'), member('c2', 'alice', 'owner')]);

      // Act
      await chats.removeParticipant('alice', 'c1', 'alice');
      await chats.removeParticipant('alice', 'c2', 'alice');

      // Assess
      expect([...memberships.rows.keys()]).toEqual(['c1\u0000bob']);
    });

    it('refuses an outsider with FORBIDDEN', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner')]);

      // Act + Assess
      await expect(chats.removeParticipant('mallory', 'c1', 'alice')).rejects.toBeInstanceOf(ForbiddenError);
      expect([...memberships.rows.keys()]).toEqual(['c1\u0000alice']);
    });
  });

  describe('Method: setRole', () => {
    it('lets an owner make a member an owner, and back', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')]);

      // Act
      const promoted = await chats.setRole('alice', 'c1', 'bob', 'owner');
      const demoted = await chats.setRole('bob', 'c1', 'alice', 'member');

      // Assess
      expect(promoted).toMatchObject({ userId: 'bob', role: 'owner' });
      expect(demoted).toMatchObject({ userId: 'alice', role: 'member' });
      expect(memberships.rows.get('c1\u0000alice')?.role).toBe('member');
    });

    it('refuses a member with FORBIDDEN, an unknown participant with NOT_FOUND, the last owner stepping down with CONFLICT', async () => {
      // Prepare
      const { chats, memberships } = service([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')]);

      // Act + Assess
      await expect(chats.setRole('bob', 'c1', 'bob', 'owner')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(chats.setRole('alice', 'c1', 'zed', 'owner')).rejects.toBeInstanceOf(NotFoundError);
      await expect(chats.setRole('alice', 'c1', 'alice', 'member')).rejects.toBeInstanceOf(ConflictError);
      expect(memberships.calls).not.toContain('setRole');
    });
  });

  describe('Rooms follow memberships (joiner)', () => {
    /** A joiner that records, with what the memberships were when it ran. */
    function recordingJoiner(memberships: ReturnType<typeof fakeMembershipStore>) {
      const calls: string[] = [];
      const joiner: RoomJoiner = {
        join: vi.fn(async (chatId: string, userIds: readonly string[]) => {
          calls.push(`join ${userIds.join(',')} (members: ${userIds.filter((u) => memberships.rows.has(`${chatId}\u0000${u}`)).length})`);
          return { connections: userIds.length };
        }),
        leave: vi.fn(async (chatId: string, userIds: readonly string[]) => {
          calls.push(`leave ${userIds.join(',')} (members: ${userIds.filter((u) => memberships.rows.has(`${chatId}\u0000${u}`)).length})`);
          return { connections: userIds.length };
        }),
      };
      return { joiner, calls };
    }

    it('create joins every participant\'s connections once their memberships are written, before it returns', async () => {
      // Prepare
      const memberships = fakeMembershipStore();
      const { joiner, calls } = recordingJoiner(memberships);
      const chats = createChatService({ memberships, users: fakeUserStore(), joiner, now: () => NOW });

      // Act
      const chat = await chats.create('alice', { title: 'Team', participants: ['bob', 'carol'] });

      // Assess
      expect(joiner.join).toHaveBeenCalledWith(chat.chatId, ['alice', 'bob', 'carol']);
      expect(calls).toEqual(['join alice,bob,carol (members: 3)']);
    });

    it('create still returns the chat when the join fails (a retry would create another chat; the stream joins them)', async () => {
      // Prepare
      const memberships = fakeMembershipStore();
      const joiner: RoomJoiner = { join: vi.fn().mockRejectedValue(new Error('throttled')), leave: vi.fn() };
      const chats = createChatService({ memberships, users: fakeUserStore(), joiner, now: () => NOW });

      // Act
      const chat = await chats.create('alice', { title: 'Team', participants: ['bob'] });

      // Assess
      expect(chat.participants).toEqual(['alice', 'bob']);
      expect(memberships.rows.size).toBe(2);
    });

    it('create answers once the join has run past its budget (the chat exists; the stream completes the join)', async () => {
      // Prepare
      const memberships = fakeMembershipStore();
      const joiner: RoomJoiner = { join: vi.fn(() => new Promise<never>(() => undefined)), leave: vi.fn() };
      const chats = createChatService({ memberships, users: fakeUserStore(), joiner, createJoinBudgetMs: 20, now: () => NOW });

      // Act
      const chat = await chats.create('alice', { title: 'Team', participants: ['bob'] });

      // Assess
      expect(chat.participants).toEqual(['alice', 'bob']);
      expect(joiner.join).toHaveBeenCalledOnce();
    });

    it('add joins the new participant after their membership is written, and again when they were in already (completing a failed try)', async () => {
      // Prepare
      const memberships = fakeMembershipStore([member('c1', 'alice', 'owner')]);
      const { joiner, calls } = recordingJoiner(memberships);
      const chats = createChatService({ memberships, users: fakeUserStore(), joiner, now: () => NOW });

      // Act
      await chats.addParticipant('alice', 'c1', 'dave');
      await chats.addParticipant('alice', 'c1', 'dave');

      // Assess
      expect(calls).toEqual(['join dave (members: 1)', 'join dave (members: 1)']);
    });

    it('add fails when the join fails, so the caller retries (the retry writes nothing more and joins)', async () => {
      // Prepare
      const memberships = fakeMembershipStore([member('c1', 'alice', 'owner')]);
      const joiner: RoomJoiner = { join: vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue({ connections: 1 }), leave: vi.fn() };
      const users = fakeUserStore();
      const chats = createChatService({ memberships, users, joiner, now: () => NOW });

      // Act
      const first = chats.addParticipant('alice', 'c1', 'dave');
      await expect(first).rejects.toThrow('throttled');
      const retry = await chats.addParticipant('alice', 'c1', 'dave');

      // Assess
      expect(retry).toMatchObject({ userId: 'dave', added: false });
      expect(joiner.join).toHaveBeenCalledTimes(2);
      expect(users.counters.get('dave')?.chatCount).toBe(1);
    });

    it('remove takes the participant\'s connections out after their membership is deleted, and again when they were gone already', async () => {
      // Prepare
      const memberships = fakeMembershipStore([member('c1', 'alice', 'owner'), member('c1', 'bob', 'member')]);
      const { joiner, calls } = recordingJoiner(memberships);
      const chats = createChatService({ memberships, users: fakeUserStore(), joiner, now: () => NOW });

      // Act
      await chats.removeParticipant('alice', 'c1', 'bob');
      await chats.removeParticipant('alice', 'c1', 'bob');

      // Assess
      expect(calls).toEqual(['leave bob (members: 0)', 'leave bob (members: 0)']);
    });

    it('joins and leaves nothing on a refusal', async () => {
      // Prepare
      const memberships = fakeMembershipStore([member('c1', 'alice', 'member'), member('c1', 'bob', 'member')]);
      const { joiner } = recordingJoiner(memberships);
      const chats = createChatService({ memberships, users: fakeUserStore(), joiner, now: () => NOW });

      // Act
      await expect(chats.addParticipant('alice', 'c1', 'dave')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(chats.removeParticipant('alice', 'c1', 'bob')).rejects.toBeInstanceOf(ForbiddenError);

      // Assess
      expect(joiner.join).not.toHaveBeenCalled();
      expect(joiner.leave).not.toHaveBeenCalled();
    });
  });
});
