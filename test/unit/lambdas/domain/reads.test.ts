import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '../../../../lambdas/commons/errors';
import type { MembershipRow, MessageRow } from '../../../../lambdas/domain/ports';
import { createReadMarker, createReadQueries, readMarkOf, type ReadMarkerDeps } from '../../../../lambdas/domain/reads';
import { fakeMembershipStore, fakeMessageStore } from '../../../helpers/fake-stores';

const NOW = 1_764_204_000_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const ids = ['01JH3Q7Z8W9X0YZABCDEFGHJK1', '01JH3Q7Z8W9X0YZABCDEFGHJK2', '01JH3Q7Z8W9X0YZABCDEFGHJK3', '01JH3Q7Z8W9X0YZABCDEFGHJK4'] as const;

const member = (userId: string, extra: Partial<MembershipRow> = {}): MembershipRow => ({
  chatId: 'c1',
  userId,
  title: 'Team',
  addedAt: iso(NOW),
  addedBy: 'alice',
  ...extra,
});
/** Message n (1-based) of chat c1, created at position n + 1 (one edit took position 2 before message 2). */
const message = (n: 1 | 2 | 3 | 4, senderId = 'alice'): MessageRow => ({
  chatId: 'c1',
  messageId: ids[n - 1] as string,
  kind: 'message',
  senderId,
  content: `m${n}`,
  createdAt: iso(NOW),
  seq: n === 1 ? 1 : n + 1,
  createdSeq: n === 1 ? 1 : n + 1,
  ordinal: n,
});

/**
 * markRead over the fake stores with a clock the test moves: `sleep`
 * advances it, so a read that waits for the window's end goes on at once
 * with the clock at that end.
 */
function world(options: { members?: string[]; broadcastMaxMembers?: number } = {}) {
  let clock = NOW;
  const memberships = fakeMembershipStore((options.members ?? ['alice', 'bob']).map((userId) => member(userId)));
  const messages = fakeMessageStore([message(1), message(2), message(3), message(4, 'bob')], memberships);
  const sleeps: number[] = [];
  /** The positions written to the read marker, in order: each is one message:read sent. */
  const shows: string[] = [];
  const showRead = messages.showRead.bind(messages);
  messages.showRead = async (chatId, userId, mark, nowMs, throttleMs) => {
    const shown = await showRead(chatId, userId, mark, nowMs, throttleMs);
    if (shown.outcome === 'written') shows.push(mark.messageId);
    return shown;
  };
  const deps: ReadMarkerDeps = {
    messages,
    memberships,
    throttleMs: 1000,
    ...(options.broadcastMaxMembers !== undefined && { broadcastMaxMembers: options.broadcastMaxMembers }),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return {
    markRead: createReadMarker(deps),
    queries: createReadQueries({ messages, memberships }),
    memberships,
    messages,
    sleeps,
    shows,
    at: (ms: number) => {
      clock = NOW + ms;
    },
    /** bob's stored read position. */
    position: () => readMarkOf(memberships.rows.get(`c1\u0000bob`) ?? {}),
    /** bob's read marker: what the fan-out last sent. */
    shown: () => messages.readMarks.get(`c1\u0000bob`),
  };
}

describe('Function: createReadMarker', () => {
  it('moves the reader\'s position to the message (its create\'s position and ordinal) and shows it to the others', async () => {
    // Prepare
    const w = world();

    // Act
    const ack = await w.markRead('bob', { chatId: 'c1', messageId: ids[1] });

    // Assess
    expect(ack).toEqual({ chatId: 'c1', userId: 'bob', messageId: ids[1], seq: 3, readAt: iso(NOW), moved: true });
    expect(w.position()).toEqual({ messageId: ids[1], seq: 3, ordinal: 2, readAt: iso(NOW) });
    expect(w.shown()).toEqual({ messageId: ids[1], seq: 3, ordinal: 2, readAt: iso(NOW), shownAt: NOW });
    expect(w.sleeps).toEqual([]);
  });

  it('treats a position that goes backwards (or stays) as a no-op: nothing written or shown, the ack tells the position as it is', async () => {
    // Prepare
    const w = world();
    await w.markRead('bob', { chatId: 'c1', messageId: ids[2] });
    w.at(5000);
    const callsBefore = w.memberships.calls.length;

    // Act
    const back = await w.markRead('bob', { chatId: 'c1', messageId: ids[0] });
    const same = await w.markRead('bob', { chatId: 'c1', messageId: ids[2] });

    // Assess
    expect(back).toEqual({ chatId: 'c1', userId: 'bob', messageId: ids[2], seq: 4, readAt: iso(NOW), moved: false });
    expect(same).toMatchObject({ messageId: ids[2], moved: false });
    expect(w.position()?.messageId).toBe(ids[2]);
    expect(w.shown()).toMatchObject({ messageId: ids[2], shownAt: NOW });
    expect(w.memberships.calls.slice(callsBefore)).toEqual(['moveRead', 'moveRead']); // refused moves, no count, no show
  });

  it('refuses a chat the caller is not in with FORBIDDEN, whether or not the message exists, writing nothing', async () => {
    // Prepare
    const w = world();

    // Act
    const existing = w.markRead('mallory', { chatId: 'c1', messageId: ids[0] });
    const unknown = w.markRead('mallory', { chatId: 'c1', messageId: '01JH3Q7Z8W9X0YZABCDEFGHJZZ' });

    // Assess
    await expect(existing).rejects.toBeInstanceOf(ForbiddenError);
    await expect(unknown).rejects.toBeInstanceOf(ForbiddenError);
    expect(w.messages.readMarks.size).toBe(0);
    expect(w.memberships.rows.has(`c1\u0000mallory`)).toBe(false);
  });

  it('refuses an unknown message, or one of another chat, with NOT_FOUND for a participant, writing nothing', async () => {
    // Prepare
    const w = world();
    w.memberships.rows.set(`c2\u0000bob`, { ...member('bob'), chatId: 'c2' });

    // Act
    const unknown = w.markRead('bob', { chatId: 'c1', messageId: '01JH3Q7Z8W9X0YZABCDEFGHJZZ' });
    const otherChat = w.markRead('bob', { chatId: 'c2', messageId: ids[0] });

    // Assess
    await expect(unknown).rejects.toBeInstanceOf(NotFoundError);
    await expect(otherChat).rejects.toBeInstanceOf(NotFoundError);
    expect(w.position()).toBeUndefined();
    expect(w.messages.readMarks.size).toBe(0);
  });

  it('shows at most one position per second per reader and chat, the last one, once, when the window ends', async () => {
    // Prepare
    const w = world();
    await w.markRead('bob', { chatId: 'c1', messageId: ids[0] });

    // Act: two more reads inside the window; the first one's trailing show finds the second's position.
    w.at(100);
    const second = w.markRead('bob', { chatId: 'c1', messageId: ids[1] });
    w.at(200);
    const third = w.markRead('bob', { chatId: 'c1', messageId: ids[2] });
    const acks = await Promise.all([second, third]);

    // Assess
    expect(acks.map((ack) => ack.moved)).toEqual([true, true]);
    expect(w.position()?.messageId).toBe(ids[2]);
    expect(w.shown()).toMatchObject({ messageId: ids[2], seq: 4 });
    expect(w.shown()?.shownAt).toBeGreaterThanOrEqual(NOW + 1000);
    expect(w.shows).toEqual([ids[0], ids[2]]); // ids[1] was never sent: the later position won.
  });

  it('shows the final position when a read arrives inside the window and no other follows', async () => {
    // Prepare
    const w = world();
    await w.markRead('bob', { chatId: 'c1', messageId: ids[0] });
    w.at(300);

    // Act
    const ack = await w.markRead('bob', { chatId: 'c1', messageId: ids[1] });

    // Assess
    expect(ack.moved).toBe(true);
    expect(w.sleeps).toEqual([700]);
    expect(w.shown()).toMatchObject({ messageId: ids[1], shownAt: NOW + 1000 });
  });

  it('stops a trailing show when the reader left the chat meanwhile', async () => {
    // Prepare
    const w = world();
    await w.markRead('bob', { chatId: 'c1', messageId: ids[0] });
    w.at(300);
    const sleep = async (): Promise<void> => {
      w.memberships.rows.delete(`c1\u0000bob`);
    };
    const markRead = createReadMarker({ messages: w.messages, memberships: w.memberships, throttleMs: 1000, now: () => NOW + 300, sleep });

    // Act
    await markRead('bob', { chatId: 'c1', messageId: ids[1] });

    // Assess: the marker still shows the first position.
    expect(w.shown()).toMatchObject({ messageId: ids[0] });
  });

  it('shows nothing in a chat above the broadcast size (or with broadcasts off), but still moves the position', async () => {
    // Prepare
    const big = world({ members: ['alice', 'bob', 'carol'], broadcastMaxMembers: 2 });
    const off = world({ broadcastMaxMembers: 0 });

    // Act
    const bigAck = await big.markRead('bob', { chatId: 'c1', messageId: ids[0] });
    const offAck = await off.markRead('bob', { chatId: 'c1', messageId: ids[0] });

    // Assess
    expect([bigAck.moved, offAck.moved]).toEqual([true, true]);
    expect(big.position()?.messageId).toBe(ids[0]);
    expect(big.messages.readMarks.size + off.messages.readMarks.size).toBe(0);
    expect(off.memberships.calls).not.toContain('countUpTo');
  });
});

describe('Function: createReadQueries', () => {
  it('withUnread: the chat\'s message count minus the caller\'s ordinal; own messages are read by sending them; never-read chats count every message', async () => {
    // Prepare: bob read message 2; then alice sends 5 (unread for bob); carol never read; alice sent last.
    const w = world({ members: ['alice', 'bob', 'carol'] });
    await w.markRead('bob', { chatId: 'c1', messageId: ids[1] });
    await w.messages.commit('c1', 'alice', { kind: 'member' }, { kind: 'create', row: { ...message(1), messageId: '01JH3Q7Z8W9X0YZABCDEFGHJK5', createdAt: iso(NOW) } });
    const page = { items: [{ chatId: 'c1', title: 'Team', role: 'member' as const }] };

    // Act
    const [bob, carol, alice] = await Promise.all(['bob', 'carol', 'alice'].map((userId) => w.queries.withUnread(userId, page)));

    // Assess
    expect(bob?.items[0]).toEqual({ chatId: 'c1', title: 'Team', role: 'member', unreadCount: 3, read: { messageId: ids[1], seq: 3, readAt: iso(NOW) } });
    expect(carol?.items[0]).toMatchObject({ unreadCount: 5 });
    expect(carol?.items[0]).not.toHaveProperty('read');
    expect(alice?.items[0]).toMatchObject({ unreadCount: 0, read: { messageId: '01JH3Q7Z8W9X0YZABCDEFGHJK5', seq: 6 } });
  });

  it('withUnread: an empty page reads nothing', async () => {
    // Prepare
    const w = world();

    // Act
    const page = await w.queries.withUnread('bob', { items: [] });

    // Assess
    expect(page).toEqual({ items: [] });
    expect(w.memberships.calls).toEqual([]);
  });

  it('positions: pages every participant\'s position (seq 0 for none) for a participant only', async () => {
    // Prepare
    const w = world({ members: ['alice', 'bob', 'carol'] });
    await w.markRead('bob', { chatId: 'c1', messageId: ids[2] });

    // Act
    const first = await w.queries.positions('alice', 'c1', { limit: 2 });
    const second = await w.queries.positions('alice', 'c1', { limit: 2, cursor: first.next as string });
    const outsider = w.queries.positions('mallory', 'c1');

    // Assess
    expect(first).toEqual({ items: [{ userId: 'alice', seq: 0 }, { userId: 'bob', messageId: ids[2], seq: 4, readAt: iso(NOW) }], next: 'bob' });
    expect(second).toEqual({ items: [{ userId: 'carol', seq: 0 }] });
    await expect(outsider).rejects.toBeInstanceOf(ForbiddenError);
  });
});
