import { describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, ForbiddenError } from '../../../../lambdas/commons/errors';
import { createChatService } from '../../../../lambdas/domain/chats';
import { fakeMembershipStore } from '../../../helpers/fake-stores';
import { DEFAULT_LIMITS } from '../../../../lambdas/system/limits';

const MAX_PARTICIPANTS = DEFAULT_LIMITS.maxChatParticipants;

const NOW = Date.UTC(2025, 10, 27);
const member = (chatId: string, userId: string) => ({ chatId, userId, title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' });

describe('Function: createChatService', () => {
  it('creates a chat with the caller in it once, whatever the list says', async () => {
    // Prepare
    const memberships = fakeMembershipStore();
    const chats = createChatService({ memberships, now: () => NOW });

    // Act
    const chat = await chats.create('alice', { title: 'Team', participants: ['bob', 'alice', 'bob'] });

    // Assess
    expect(chat.participants).toEqual(['alice', 'bob']);
    expect(await memberships.participantsOf(chat.chatId)).toEqual(['alice', 'bob']);
  });

  it('refuses a chat over the participant cap, writing nothing', async () => {
    // Prepare
    const memberships = fakeMembershipStore();
    const chats = createChatService({ memberships, now: () => NOW });
    const crowd = Array.from({ length: MAX_PARTICIPANTS }, (_, i) => `user${i}`);

    // Act
    const attempt = chats.create('alice', { title: 'Crowd', participants: crowd });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
    expect(memberships.rows.size).toBe(0);
  });

  it('refuses to add a participant to a full chat with CONFLICT', async () => {
    // Prepare
    const full = Array.from({ length: MAX_PARTICIPANTS }, (_, i) => member('c1', i === 0 ? 'alice' : `user${i}`));
    const memberships = fakeMembershipStore(full);
    const chats = createChatService({ memberships, now: () => NOW });

    // Act
    const attempt = chats.addParticipant('alice', 'c1', 'newcomer');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(memberships.calls).not.toContain('putIfAbsent');
  });

  it('lets only participants add or remove participants', async () => {
    // Prepare
    const memberships = fakeMembershipStore([member('c1', 'alice')]);
    const chats = createChatService({ memberships, now: () => NOW });

    // Act
    const adding = chats.addParticipant('mallory', 'c1', 'mallory');
    const removing = chats.removeParticipant('mallory', 'c1', 'alice');

    // Assess
    await expect(adding).rejects.toBeInstanceOf(ForbiddenError);
    await expect(removing).rejects.toBeInstanceOf(ForbiddenError);
    expect([...memberships.rows.keys()]).toEqual(['c1\u0000alice']);
  });

  it('lists a user\'s chats with their participants', async () => {
    // Prepare
    const memberships = fakeMembershipStore([member('c1', 'alice'), member('c1', 'bob'), member('c2', 'bob')]);
    const chats = createChatService({ memberships, now: () => NOW });

    // Act
    const list = await chats.listForUser('alice');

    // Assess
    expect(list).toEqual([{ chatId: 'c1', title: 'Team', participants: ['alice', 'bob'] }]);
  });
});
