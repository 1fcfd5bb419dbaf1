import { describe, expect, it } from 'vitest';
import { ForbiddenError, RateLimitedError } from '../../../../lambdas/commons/errors';
import { admitMessage, requireParticipant } from '../../../../lambdas/domain/memberships';
import { fakeMembershipStore } from '../../../helpers/fake-stores';

const NOW = 1_764_204_000_000;
const ALICE = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'bob' };
const RATE = { limit: 3, windowMs: 10_000 };

describe('Function: requireParticipant', () => {
  it('returns the membership row of a participant', async () => {
    // Prepare
    const store = fakeMembershipStore([ALICE]);

    // Act
    const row = await requireParticipant(store, 'c1', 'alice');

    // Assess
    expect(row).toEqual(ALICE);
  });

  it('refuses someone who is not in the chat with FORBIDDEN', async () => {
    // Prepare
    const store = fakeMembershipStore([ALICE]);

    // Act
    const attempt = requireParticipant(store, 'c1', 'mallory');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('Function: admitMessage', () => {
  it('counts a message in the open window with one write', async () => {
    // Prepare
    const store = fakeMembershipStore([ALICE]);

    // Act
    const row = await admitMessage(store, 'c1', 'alice', NOW, RATE);

    // Assess
    expect(row).toMatchObject({ sendCount: 1, sendWindow: NOW });
    expect(store.calls).toEqual(['countMessage']);
  });

  it('refuses a message when the window is full and still open, saying when it reopens', async () => {
    // Prepare: the window opened 4 s ago and is full.
    const store = fakeMembershipStore([{ ...ALICE, sendCount: 3, sendWindow: NOW - 4_000 }]);

    // Act
    const attempt = admitMessage(store, 'c1', 'alice', NOW, RATE);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 6_000 });
    await expect(attempt).rejects.toBeInstanceOf(RateLimitedError);
    expect(store.rows.get('c1\u0000alice')).toMatchObject({ sendCount: 3, sendWindow: NOW - 4_000 });
    expect(store.calls).toEqual(['countMessage']);
  });

  it('opens a new window with this message when the full window is over', async () => {
    // Prepare: full, but opened 11 s ago.
    const store = fakeMembershipStore([{ ...ALICE, sendCount: 3, sendWindow: NOW - 11_000 }]);

    // Act
    const row = await admitMessage(store, 'c1', 'alice', NOW, RATE);

    // Assess
    expect(row).toMatchObject({ sendCount: 1, sendWindow: NOW });
    expect(store.calls).toEqual(['countMessage', 'reopenWindow']);
  });

  it('counts again when a concurrent message reopened the window first', async () => {
    // Prepare: the count finds an old full window; by the reopen, another message has opened a new one.
    const store = fakeMembershipStore([{ ...ALICE, sendCount: 3, sendWindow: NOW - 11_000 }]);
    const reopen = store.reopenWindow.bind(store);
    store.reopenWindow = async (...args) => {
      Object.assign(store.rows.get('c1\u0000alice') ?? {}, { sendCount: 1, sendWindow: NOW - 1 });
      return reopen(...args);
    };

    // Act
    const row = await admitMessage(store, 'c1', 'alice', NOW, RATE);

    // Assess
    expect(row).toMatchObject({ sendCount: 2, sendWindow: NOW - 1 });
    expect(store.calls).toEqual(['countMessage', 'reopenWindow', 'countMessage']);
  });

  it('refuses someone who is not in the chat with FORBIDDEN, writing nothing', async () => {
    // Prepare
    const store = fakeMembershipStore([ALICE]);

    // Act
    const attempt = admitMessage(store, 'c1', 'mallory', NOW, RATE);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    expect(store.rows.size).toBe(1);
  });
});
