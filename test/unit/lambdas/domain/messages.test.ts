import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../../../../lambdas/commons/errors';
import { hashOf, markerIdOf } from '../../../../lambdas/domain/idempotency';
import { createMessageService } from '../../../../lambdas/domain/messages';
import type { MarkerRow, MessageRow } from '../../../../lambdas/domain/ports';
import { fakeMembershipStore, fakeMessageStore } from '../../../helpers/fake-stores';

const NOW = Date.UTC(2025, 10, 27, 0, 40);
const MEMBERS = ['alice', 'bob'].map((userId) => ({ chatId: 'c1', userId, title: 't', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' }));

function setUp(rows: ReadonlyArray<MessageRow | MarkerRow> = [], rateLimit = { limit: 20, windowMs: 10_000 }) {
  const memberships = fakeMembershipStore(MEMBERS);
  const messages = fakeMessageStore(rows, memberships);
  const service = createMessageService({ messages, memberships, now: () => NOW, rateLimit });
  return { service, messages, memberships };
}

function stored(messageId: string, overrides: Partial<MessageRow> = {}): MessageRow {
  return { chatId: 'c1', messageId, kind: 'message', senderId: 'alice', content: 'hi', createdAt: '2025-11-27T00:00:00.000Z', seq: 1, createdSeq: 1, ...overrides };
}

const messageRows = (store: ReturnType<typeof fakeMessageStore>) => [...store.rows.values()].filter((row) => row.kind === 'message');

describe('Function: messageService.send', () => {
  it('stores one message at the chat\'s next position, counted against the flood limit in the same write, and returns it', async () => {
    // Prepare
    const { service, messages, memberships } = setUp();

    // Act
    const first = await service.send('alice', { chatId: 'c1', content: 'hello' });
    const second = await service.send('bob', { chatId: 'c1', content: 'hi alice' });

    // Assess
    expect(first).toMatchObject({ chatId: 'c1', senderId: 'alice', content: 'hello', timestamp: new Date(NOW).toISOString(), seq: 1 });
    expect(second.seq).toBe(2);
    expect(messageRows(messages)).toHaveLength(2);
    expect(messages.commits.map((c) => c.gate)).toEqual([{ kind: 'count', nowMs: NOW, limit: 20 }, { kind: 'count', nowMs: NOW, limit: 20 }]);
    expect(memberships.rows.get(`c1\u0000alice`)?.sendCount).toBe(1);
  });

  it('answers a retry with the same clientMessageId with the first message and position, taking no position and counting nothing', async () => {
    // Prepare
    const { service, messages, memberships } = setUp();
    const first = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Act
    const retry = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });
    const next = await service.send('alice', { chatId: 'c1', content: 'next' });

    // Assess
    expect(retry).toEqual(first);
    expect(messageRows(messages)).toHaveLength(2);
    expect(next.seq).toBe(2);
    expect(memberships.rows.get(`c1\u0000alice`)?.sendCount).toBe(2);
  });

  it('refuses a clientMessageId reused for different content with CONFLICT', async () => {
    // Prepare
    const { service } = setUp();
    await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Act
    const attempt = service.send('alice', { chatId: 'c1', content: 'something else', clientMessageId: 'k1' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses with CONFLICT a retry whose marker points at a message that is gone (markers and messages are written together)', async () => {
    // Prepare: a marker of an earlier version, whose message was never written.
    const marker: MarkerRow = {
      chatId: 'c1',
      messageId: markerIdOf('alice', 'k1'),
      kind: 'idempotency',
      targetMessageId: '01JH3Q7Z8W9X0YZABCDEFGHJKM',
      createdAt: '2025-11-27T00:39:00.000Z',
      contentHash: hashOf('hello'),
      expiresAt: 0,
    };
    const { service, messages } = setUp([marker]);

    // Act
    const attempt = service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(messageRows(messages)).toEqual([]);
    expect(messages.lastSeqs.get('c1')).toBeUndefined();
  });

  it('answers a retry refused by the flood limit as a retry, since its first attempt was accepted', async () => {
    // Prepare: one message allowed per window, already used by the first attempt.
    const { service } = setUp([], { limit: 1, windowMs: 10_000 });
    const first = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Act
    const retry = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });
    const fresh = service.send('alice', { chatId: 'c1', content: 'new', clientMessageId: 'k2' });

    // Assess
    expect(retry).toEqual(first);
    await expect(fresh).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('refuses a sender who is not in the chat, storing nothing', async () => {
    // Prepare
    const { service, messages } = setUp();

    // Act
    const attempt = service.send('mallory', { chatId: 'c1', content: 'hi' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    expect(messages.rows.size).toBe(0);
  });
});

describe('Function: messageService.edit and remove', () => {
  const MESSAGE_ID = '01JH3Q7Z8W9X0YZABCDEFGHJKM';

  it('edits at the next position, counted against the flood limit, and acks the whole message', async () => {
    // Prepare
    const { service, messages } = setUp([stored(MESSAGE_ID)]);

    // Act
    const edited = await service.edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'edited' });

    // Assess
    expect(edited).toEqual({ messageId: MESSAGE_ID, chatId: 'c1', senderId: 'alice', content: 'edited', timestamp: '2025-11-27T00:00:00.000Z', editedAt: new Date(NOW).toISOString(), seq: 2 });
    expect(messages.commits[0]?.gate).toEqual({ kind: 'count', nowMs: NOW, limit: 20 });
  });

  it('deletes at the next position with the membership checked, not counted', async () => {
    // Prepare
    const { service, messages } = setUp([stored(MESSAGE_ID)]);

    // Act
    await service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(messages.commits[0]?.gate).toEqual({ kind: 'member' });
    expect(messageRows(messages)).toEqual([expect.objectContaining({ seq: 2, createdSeq: 1, content: '', deletedBy: 'alice' })]);
  });

  it('refuses a delete by someone no longer in the chat, taking no position', async () => {
    // Prepare
    const { service, messages, memberships } = setUp([stored(MESSAGE_ID)]);
    memberships.rows.delete('c1\u0000alice');

    // Act
    const attempt = service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    expect(messages.lastSeqs.get('c1')).toBe(1);
  });

  it.each([
    ['a message that does not exist', [], NotFoundError],
    ["someone else's message", [stored(MESSAGE_ID, { senderId: 'bob' })], ForbiddenError],
    ['a deleted message', [stored(MESSAGE_ID, { deletedAt: '2025-11-27T00:10:00.000Z' })], ConflictError],
  ])('explains a refused edit of %s', async (_label, rows, Expected) => {
    // Prepare
    const { service } = setUp(rows);

    // Act
    const attempt = service.edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'edited' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(Expected);
  });

  it('answers a second delete with the first deletion time', async () => {
    // Prepare
    const { service } = setUp([stored(MESSAGE_ID)]);
    const first = await service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Act
    const second = await service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(second).toEqual(first);
  });
});

describe('Function: messageService.list', () => {
  const ids = ['01JH3Q7Z8W9X0YZABCDEFGHJK1', '01JH3Q7Z8W9X0YZABCDEFGHJK2', '01JH3Q7Z8W9X0YZABCDEFGHJK3'];

  it('pages forward from the oldest, pointing at the next page', async () => {
    // Prepare
    const { service } = setUp(ids.map((id) => stored(id)));

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 2 });

    // Assess
    expect(page.items.map((m) => m.messageId)).toEqual(ids.slice(0, 2));
    expect(page.next).toBe(ids[1]);
  });

  it('pages backwards before a message, oldest first within the page', async () => {
    // Prepare
    const { service } = setUp(ids.map((id) => stored(id)));

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 1, before: ids[2] });

    // Assess
    expect(page.items.map((m) => m.messageId)).toEqual([ids[1]]);
    expect(page.next).toBe(ids[1]);
  });

  it('lists the messages written after a position in position order, with the next position as a string, none on the last page', async () => {
    // Prepare: positions 1, 2, 3; the first message was edited at 4.
    const { service } = setUp(ids.map((id, i) => stored(id, { seq: i + 1, createdSeq: i + 1 })));
    await service.edit('alice', { chatId: 'c1', messageId: ids[0] as string, content: 'edited' });

    // Act
    const first = await service.list('alice', { chatId: 'c1', afterSeq: 1, limit: 2 });
    const rest = await service.list('alice', { chatId: 'c1', afterSeq: Number(first.next), limit: 2 });

    // Assess
    expect(first.items.map((m) => [m.messageId, m.seq])).toEqual([[ids[1], 2], [ids[2], 3]]);
    expect(first.next).toBe('3');
    expect(rest.items.map((m) => [m.messageId, m.seq, m.content])).toEqual([[ids[0], 4, 'edited']]);
    expect(rest.next).toBeUndefined();
  });

  it('refuses several cursors at once before reading anything', async () => {
    // Prepare
    const { service, memberships } = setUp();

    // Act
    const attempt = service.list('alice', { chatId: 'c1', before: ids[0], after: ids[1] });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(memberships.calls).toEqual([]);
  });
});
