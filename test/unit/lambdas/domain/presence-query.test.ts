import { describe, expect, it, vi } from 'vitest';
import { BadRequestError, ForbiddenError } from '../../../../lambdas/commons/errors';
import type { MembershipRow, PresenceRow } from '../../../../lambdas/domain/ports';
import { presenceQueryUserIdsOf, queryPresence, type PresenceQueryDeps } from '../../../../lambdas/domain/presence-query';
import { fakeMembershipStore, fakeUserStore } from '../../../helpers/fake-stores';

const membership = (chatId: string, userId: string): MembershipRow => ({ chatId, userId, title: '', addedAt: '2026-11-29T00:00:00.000Z', addedBy: userId });

function createDeps(rows: MembershipRow[], presence: PresenceRow[] = [], blocks: Array<[string, string]> = []) {
  const memberships = fakeMembershipStore(rows);
  const statusOf = vi.fn(async (userIds: readonly string[]) => presence.filter((row) => userIds.includes(row.userId)));
  const deps: PresenceQueryDeps = { memberships, presence: { statusOf }, users: fakeUserStore({ blocks }) };
  return { deps, memberships, statusOf };
}

describe('Function: presenceQueryUserIdsOf', () => {
  it('takes a comma-separated string or an array, keeping a repeated id once, in order', () => {
    // Act + Assess
    expect(presenceQueryUserIdsOf('bob,carol,bob')).toEqual(['bob', 'carol']);
    expect(presenceQueryUserIdsOf(['carol', 'bob'])).toEqual(['carol', 'bob']);
  });

  it.each([
    ['an empty string', ''],
    ['an empty array', []],
    ['not a list', { userIds: 'bob' }],
    ['an invalid id', 'bob,c:d'],
    ['an empty id between commas', 'bob,,carol'],
    ['a number in the array', ['bob', 7]],
    ['101 ids', Array.from({ length: 101 }, (_, i) => `u${i}`).join(',')],
  ])('refuses %s with BAD_REQUEST', (_label, value) => {
    // Act + Assess
    expect(() => presenceQueryUserIdsOf(value)).toThrow(BadRequestError);
  });

  it('accepts exactly 100 ids', () => {
    // Act + Assess
    expect(presenceQueryUserIdsOf(Array.from({ length: 100 }, (_, i) => `u${i}`))).toHaveLength(100);
  });
});

describe('Function: queryPresence', () => {
  it('answers online with state and text, last seen (no state), or never seen for co-members, in the order asked', async () => {
    // Prepare
    const { deps } = createDeps(
      [membership('c1', 'alice'), membership('c1', 'bob'), membership('c1', 'carol'), membership('c1', 'dave')],
      [
        { userId: 'bob', connections: 2, updatedAt: 1_764_201_600_000, state: 'busy', text: 'In a meeting' },
        { userId: 'carol', connections: 0, updatedAt: 1_764_201_600_000, state: 'away', text: 'Lunch' },
      ],
    );

    // Act
    const result = await queryPresence(deps, 'alice', ['dave', 'bob', 'carol']);

    // Assess
    expect(result).toEqual({
      users: [
        { userId: 'dave', online: false },
        { userId: 'bob', online: true, state: 'busy', text: 'In a meeting' },
        { userId: 'carol', online: false, lastSeenAt: '2025-11-27T00:00:00.000Z' },
      ],
    });
  });

  it('checks shared chats with one membership BatchGetItem when the users share the caller\'s chat', async () => {
    // Prepare
    const users = Array.from({ length: 99 }, (_, i) => `u${i}`);
    const { deps, memberships, statusOf } = createDeps([membership('team', 'alice'), ...users.map((userId) => membership('team', userId))]);

    // Act
    await queryPresence(deps, 'alice', ['alice', ...users]);

    // Assess
    expect(memberships.calls).toEqual(['chatIdsOfUser', 'whichExist']);
    expect(statusOf).toHaveBeenCalledTimes(1);
  });

  it('looks through the caller\'s other chats for users not found in the first', async () => {
    // Prepare
    const { deps, memberships } = createDeps([
      membership('a', 'alice'),
      membership('b', 'alice'),
      membership('a', 'bob'),
      membership('b', 'carol'),
    ]);

    // Act
    const result = await queryPresence(deps, 'alice', ['bob', 'carol']);

    // Assess
    expect(result.users.map((user) => user.userId)).toEqual(['bob', 'carol']);
    expect(memberships.calls.filter((call) => call === 'whichExist')).toHaveLength(1);
  });

  it('refuses the whole query with FORBIDDEN, naming nobody and reading no presence, when one user shares no chat', async () => {
    // Prepare
    const { deps, statusOf } = createDeps([membership('c1', 'alice'), membership('c1', 'bob'), membership('c2', 'mallory')]);

    // Act
    const query = queryPresence(deps, 'alice', ['bob', 'mallory']);

    // Assess
    await expect(query).rejects.toThrow(ForbiddenError);
    await expect(query).rejects.not.toThrow(/mallory|bob/);
    expect(statusOf).not.toHaveBeenCalled();
  });

  it('refuses a caller in no chat asking about anyone else', async () => {
    // Prepare
    const { deps } = createDeps([membership('c1', 'bob')]);

    // Act + Assess
    await expect(queryPresence(deps, 'alice', ['bob'])).rejects.toThrow(ForbiddenError);
  });

  it('lets a caller in no chat ask about themself', async () => {
    // Prepare
    const { deps } = createDeps([], [{ userId: 'alice', connections: 1 }]);

    // Act
    const result = await queryPresence(deps, 'alice', ['alice']);

    // Assess
    expect(result).toEqual({ users: [{ userId: 'alice', online: true, state: 'online' }] });
  });

  it('shows a user on either side of a block with the caller as offline and never seen, without reading their row', async () => {
    // Prepare
    const { deps, statusOf } = createDeps(
      [membership('c1', 'alice'), membership('c1', 'bob'), membership('c1', 'carol'), membership('c1', 'dave')],
      [
        { userId: 'bob', connections: 1 },
        { userId: 'carol', connections: 0, updatedAt: 1 },
        { userId: 'dave', connections: 1 },
      ],
      [['alice', 'bob'], ['carol', 'alice']],
    );

    // Act
    const result = await queryPresence(deps, 'alice', ['bob', 'carol', 'dave']);

    // Assess
    expect(result.users).toEqual([
      { userId: 'bob', online: false },
      { userId: 'carol', online: false },
      { userId: 'dave', online: true, state: 'online' },
    ]);
    expect(statusOf).toHaveBeenCalledWith(['dave']);
  });

  it('falls back to one byUser read per user when the caller is in more than 100 chats', async () => {
    // Prepare
    const chats = Array.from({ length: 101 }, (_, i) => membership(`c${i}`, 'alice'));
    const { deps, memberships } = createDeps([...chats, membership('c100', 'bob'), membership('elsewhere', 'carol')]);

    // Act
    const ok = await queryPresence(deps, 'alice', ['bob']);
    const refused = queryPresence(deps, 'alice', ['bob', 'carol']);

    // Assess
    expect(ok.users).toEqual([{ userId: 'bob', online: false }]);
    await expect(refused).rejects.toThrow(ForbiddenError);
    expect(memberships.calls).not.toContain('whichExist');
  });
});
