import { describe, expect, it, vi } from 'vitest';
import { BadRequestError, ConflictError, NotFoundError, PayloadTooLargeError } from '../../../../lambdas/commons/errors';
import type { MembershipRow, MessageRow, RoomBroadcaster } from '../../../../lambdas/domain/ports';
import { createPublisher, parsePublishRequest, publish } from '../../../../lambdas/domain/publisher';
import { APP_MESSAGE_ID_PATTERN } from '../../../../lambdas/domain/validation';
import { fakeMembershipStore, fakeMessageStore, fakeUserStore } from '../../../helpers/fake-stores';

const NOW = Date.parse('2026-02-01T10:00:00.000Z');
const OBJECT_ID = '65f1c0ffee0123456789abcd';
const member = (chatId: string, userId: string, title = 'Team'): MembershipRow => ({ chatId, userId, title, addedAt: '2026-01-01T00:00:00.000Z', addedBy: 'app' });

function setup(rows: MembershipRow[] = [member('c1', 'alice'), member('c1', 'bob')], messages: MessageRow[] = [], chatCounts: Record<string, number> = {}) {
  const memberships = fakeMembershipStore(rows);
  const users = fakeUserStore({ chatCounts });
  const messageStore = fakeMessageStore(messages, memberships);
  const result = { recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
  const broadcaster = { toRoom: vi.fn<RoomBroadcaster['toRoom']>().mockResolvedValue(result) };
  const publisher = createPublisher({ messages: messageStore, memberships, users, broadcaster, now: () => NOW, maxChatsPerUser: 3 });
  return { memberships, messageStore, broadcaster, publisher, users };
}

const stored = (overrides: Partial<MessageRow> = {}): MessageRow => ({
  chatId: 'c1',
  messageId: OBJECT_ID,
  kind: 'message',
  senderId: 'alice',
  content: 'hi',
  createdAt: '2026-01-31T12:00:00.000Z',
  seq: 7,
  createdSeq: 7,
  ...overrides,
});

describe('Function: parsePublishRequest', () => {
  it('takes a new message with the app’s own id and normalises its timestamp', () => {
    // Act
    const request = parsePublishRequest({
      type: 'message:new',
      data: { messageId: OBJECT_ID, chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2026-01-31T12:00:00Z' },
    });

    // Assess
    expect(request).toEqual({ type: 'message:new', data: { messageId: OBJECT_ID, chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2026-01-31T12:00:00.000Z' } });
  });

  it.each([
    ['an unknown type', { type: 'message:send', data: {} }, /body.type must be one of/],
    ['an unknown field', { type: 'message:new', data: { messageId: OBJECT_ID, chatId: 'c1', senderId: 'a', content: 'x', extra: 1 } }, /unknown field/],
    ['a marker-like id', { type: 'message:deleted', data: { messageId: 'idem#alice#1', chatId: 'c1' } }, /messageId must be/],
    ['an id sorting after the markers', { type: 'message:deleted', data: { messageId: 'zzz', chatId: 'c1' } }, /messageId must be/],
    ['a bad timestamp', { type: 'message:new', data: { messageId: OBJECT_ID, chatId: 'c1', senderId: 'a', content: 'x', timestamp: 'yesterday' } }, /ISO 8601/],
    ['one of our own event names', { type: 'emit:chat', data: { chatId: 'c1', event: 'message:new', data: {} } }, /reserved/],
    ['a socket.io reserved name', { type: 'emit:user', data: { userId: 'bob', event: 'disconnect' } }, /reserved/],
    ['participants that are not an array', { type: 'participants:set', data: { chatId: 'c1', userIds: 'alice' } }, /array/],
  ])('refuses %s with BAD_REQUEST', (_name, body, message) => {
    // Act & Assess
    expect(() => parsePublishRequest(body)).toThrow(BadRequestError);
    expect(() => parsePublishRequest(body)).toThrow(message);
  });

  it('refuses content and custom data over the message limit with PAYLOAD_TOO_LARGE', () => {
    // Act & Assess
    expect(() => parsePublishRequest({ type: 'message:new', data: { messageId: OBJECT_ID, chatId: 'c1', senderId: 'a', content: 'x'.repeat(4001) } })).toThrow(PayloadTooLargeError);
    expect(() => parsePublishRequest({ type: 'emit:user', data: { userId: 'bob', event: 'big', data: { blob: 'x'.repeat(4000) } } })).toThrow(PayloadTooLargeError);
    expect(() => parsePublishRequest({ type: 'participants:set', data: { chatId: 'c1', userIds: Array.from({ length: 1001 }, (_, i) => `u${i}`) } })).toThrow(PayloadTooLargeError);
  });

  it('accepts the id shapes apps use (ObjectId, UUID, ULID, numbers)', () => {
    // Assess
    for (const id of [OBJECT_ID, '3f2b8c1e-5d6a-4b7c-9e0f-1a2b3c4d5e6f', '01JH3Q7Z8W9X0YZABCDEFGHJKM', '12345']) expect(APP_MESSAGE_ID_PATTERN.test(id)).toBe(true);
  });
});

describe('Function: createPublisher', () => {
  it('stores a new message under the app’s id at the chat’s next position, for the stream to fan out', async () => {
    // Prepare
    const { publisher, messageStore, broadcaster } = setup();

    // Act
    const message = await publisher.newMessage({ messageId: OBJECT_ID, chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2026-01-31T12:00:00.000Z' });

    // Assess
    expect(message).toEqual({
      messageId: OBJECT_ID,
      chatId: 'c1',
      senderId: 'alice',
      content: 'hi',
      timestamp: '2026-01-31T12:00:00.000Z',
      seq: 1,
    });
    // The position was taken with the write, as for any message: recovery and history treat it alike.
    expect(await messageStore.getMessage('c1', OBJECT_ID)).toMatchObject({ kind: 'message', seq: 1, createdSeq: 1 });
    // Messages are never posted directly: the Messages stream broadcasts them.
    expect(broadcaster.toRoom).not.toHaveBeenCalled();
  });

  it('answers a republished message id with the stored message and writes nothing', async () => {
    // Prepare
    const { publisher, messageStore } = setup(undefined, [stored()]);

    // Act
    const message = await publisher.newMessage({ messageId: OBJECT_ID, chatId: 'c1', senderId: 'alice', content: 'hi' });

    // Assess
    expect(message.seq).toBe(7);
    expect(messageStore.rows.size).toBe(1);
  });

  it('refuses a message id already published by another sender (CONFLICT)', async () => {
    // Prepare
    const { publisher } = setup(undefined, [stored()]);

    // Act & Assess
    await expect(publisher.newMessage({ messageId: OBJECT_ID, chatId: 'c1', senderId: 'bob', content: 'hi' })).rejects.toThrow(ConflictError);
  });

  it('refuses a message, an edit target and a custom event for a chat without participants (NOT_FOUND), writing and sending nothing', async () => {
    // Prepare
    const { publisher, messageStore, broadcaster } = setup();

    // Act & Assess
    await expect(publisher.newMessage({ messageId: OBJECT_ID, chatId: 'unknown', senderId: 'alice', content: 'hi' })).rejects.toThrow(NotFoundError);
    await expect(publisher.editMessage({ messageId: OBJECT_ID, chatId: 'c1', content: 'x' })).rejects.toThrow(NotFoundError);
    await expect(publisher.emitToChat({ chatId: 'unknown', event: 'x', data: null })).rejects.toThrow(NotFoundError);
    expect(messageStore.rows.size).toBe(0);
    expect(broadcaster.toRoom).not.toHaveBeenCalled();
  });

  it('edits as the stored sender, and the same edit again writes nothing', async () => {
    // Prepare
    const { publisher, messageStore } = setup(undefined, [stored()]);

    // Act
    const edited = await publisher.editMessage({ messageId: OBJECT_ID, chatId: 'c1', content: 'hi!' });
    const seqAfterFirst = (await messageStore.getMessage('c1', OBJECT_ID))?.seq;
    const again = await publisher.editMessage({ messageId: OBJECT_ID, chatId: 'c1', content: 'hi!' });

    // Assess
    expect(edited).toMatchObject({ content: 'hi!', editedAt: '2026-02-01T10:00:00.000Z' });
    expect(seqAfterFirst).toBe(8);
    expect(again.seq).toBe(seqAfterFirst);
  });

  it('deletes once: a second delete answers with the first deletion time', async () => {
    // Prepare
    const { publisher } = setup(undefined, [stored()]);

    // Act
    const first = await publisher.deleteMessage({ messageId: OBJECT_ID, chatId: 'c1', deletedAt: '2026-02-01T09:00:00.000Z' });
    const second = await publisher.deleteMessage({ messageId: OBJECT_ID, chatId: 'c1' });

    // Assess
    expect(first).toEqual({ messageId: OBJECT_ID, deletedAt: '2026-02-01T09:00:00.000Z' });
    expect(second).toEqual(first);
    await expect(publisher.editMessage({ messageId: OBJECT_ID, chatId: 'c1', content: 'back' })).rejects.toThrow(ConflictError);
  });

  it('brings the participants to exactly the given set, keeping the stored title, and a second call changes nothing', async () => {
    // Prepare
    const { publisher, memberships } = setup();

    // Act
    const first = await publisher.setParticipants({ chatId: 'c1', userIds: ['bob', 'carol'] });
    const second = await publisher.setParticipants({ chatId: 'c1', userIds: ['bob', 'carol'] });

    // Assess
    expect(first).toEqual({ chatId: 'c1', added: ['carol'], removed: ['alice'] });
    expect(second).toEqual({ chatId: 'c1', added: [], removed: [] });
    expect(await memberships.get('c1', 'carol')).toMatchObject({ title: 'Team', addedBy: 'publisher' });
    expect(await memberships.get('c1', 'alice')).toBeUndefined();
  });

  it('counts added participants against maxChatsPerUser and gives the count back on removal', async () => {
    // Prepare: carol is in 2 of her 3 chats.
    const { publisher, users } = setup(undefined, [], { carol: 2 });

    // Act
    await publisher.setParticipants({ chatId: 'c1', userIds: ['bob', 'carol'] });
    const afterAdd = users.counters.get('carol')?.chatCount;
    await publisher.setParticipants({ chatId: 'c1', userIds: ['bob'] });

    // Assess: alice's removal and carol's were both given back.
    expect(afterAdd).toBe(3);
    expect(users.counters.get('carol')?.chatCount).toBe(2);
    expect(users.counters.get('alice')?.chatCount ?? 0).toBe(0);
  });

  it('refuses a sync that takes anyone over maxChatsPerUser with CONFLICT, changing no participant and no count', async () => {
    // Prepare: dave is at the cap; carol is not.
    const { publisher, memberships, users } = setup(undefined, [], { carol: 0, dave: 3 });

    // Act
    const attempt = publisher.setParticipants({ chatId: 'c1', userIds: ['alice', 'bob', 'carol', 'dave'] });

    // Assess
    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toThrow(/dave is in 3 chats already/);
    expect(await memberships.participantsOf('c1')).toEqual(['alice', 'bob']);
    expect(users.counters.get('carol')?.chatCount).toBe(0);
    expect(users.counters.get('dave')?.chatCount).toBe(3);
  });

  it('with a joiner, moves the added and the removed users\' connections before it returns, after their memberships are written', async () => {
    // Prepare
    const memberships = fakeMembershipStore([member('c1', 'alice'), member('c1', 'bob')]);
    const seen: string[] = [];
    const joiner = {
      join: vi.fn(async (chatId: string, userIds: readonly string[]) => {
        seen.push(`join ${userIds.join(',')}: ${(await memberships.membersAmong(chatId, userIds)).size} in`);
        return { connections: 1 };
      }),
      leave: vi.fn(async (chatId: string, userIds: readonly string[]) => {
        seen.push(`leave ${userIds.join(',')}: ${(await memberships.membersAmong(chatId, userIds)).size} in`);
        return { connections: 1 };
      }),
    };
    const broadcaster = { toRoom: vi.fn<RoomBroadcaster['toRoom']>() };
    const publisher = createPublisher({ messages: fakeMessageStore([], memberships), memberships, users: fakeUserStore(), broadcaster, joiner, now: () => NOW });

    // Act
    await publisher.setParticipants({ chatId: 'c1', userIds: ['bob', 'carol'] });
    await publisher.setParticipants({ chatId: 'c1', userIds: ['bob', 'carol'] });

    // Assess: once each, and nothing for the second call, which changed nothing
    expect(seen).toEqual(['join carol: 1 in', 'leave alice: 0 in']);
  });

  it('creates a chat the app has not synced before', async () => {
    // Prepare
    const { publisher, memberships } = setup([]);

    // Act
    await publisher.setParticipants({ chatId: 'new', userIds: ['alice'], title: 'Fresh' });

    // Assess
    expect(await memberships.get('new', 'alice')).toMatchObject({ title: 'Fresh' });
  });

  it('posts custom events to the user’s room, and to the chat’s room except one user', async () => {
    // Prepare
    const { publisher, broadcaster } = setup();

    // Act
    const toUser = await publisher.emitToUser({ userId: 'bob', event: 'friend:request', data: { from: 'alice' } });
    await publish(publisher, { type: 'emit:chat', data: { chatId: 'c1', event: 'chat:pinned', data: 1, except: 'alice' } });

    // Assess
    expect(toUser).toEqual({ recipients: 2, delivered: 2 });
    expect(broadcaster.toRoom).toHaveBeenNthCalledWith(1, 'user:bob', { event: 'friend:request', data: { from: 'alice' }, id: expect.any(String), ts: NOW }, undefined);
    expect(broadcaster.toRoom).toHaveBeenNthCalledWith(2, 'chat:c1', { event: 'chat:pinned', data: 1, id: expect.any(String), ts: NOW }, { exceptUserId: 'alice' });
  });
});
