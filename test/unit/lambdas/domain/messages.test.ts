import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../../../../lambdas/commons/errors';
import { hashOf, markerIdOf } from '../../../../lambdas/domain/idempotency';
import { createMessageService } from '../../../../lambdas/domain/messages';
import type { MarkerRow, MessageRow } from '../../../../lambdas/domain/ports';
import { fakeMembershipStore, fakeMessageStore } from '../../../helpers/fake-stores';

const NOW = Date.UTC(2025, 10, 27, 0, 40);
const MEMBERS = ['alice', 'bob'].map((userId) => ({ chatId: 'c1', userId, title: 't', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' }));

function setUp(rows: ReadonlyArray<MessageRow | MarkerRow> = [], rateLimit = { limit: 20, windowMs: 10_000 }) {
  const messages = fakeMessageStore(rows);
  const memberships = fakeMembershipStore(MEMBERS);
  const service = createMessageService({ messages, memberships, now: () => NOW, rateLimit });
  return { service, messages, memberships };
}

function stored(messageId: string, overrides: Partial<MessageRow> = {}): MessageRow {
  return { chatId: 'c1', messageId, kind: 'message', senderId: 'alice', content: 'hi', createdAt: '2025-11-27T00:00:00.000Z', changeId: messageId, ...overrides };
}

const messageRows = (store: ReturnType<typeof fakeMessageStore>) => [...store.rows.values()].filter((row) => row.kind === 'message');

describe('Function: messageService.send', () => {
  it('stores one message and returns it', async () => {
    // Prepare
    const { service, messages } = setUp();

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    expect(message).toMatchObject({ chatId: 'c1', senderId: 'alice', content: 'hello', timestamp: new Date(NOW).toISOString() });
    expect(messageRows(messages)).toHaveLength(1);
  });

  it('answers a retry with the same clientMessageId with the first message, storing nothing new', async () => {
    // Prepare
    const { service, messages } = setUp();
    const first = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Act
    const retry = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    expect(retry).toEqual(first);
    expect(messageRows(messages)).toHaveLength(1);
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

  it('finishes a first attempt that wrote its marker but died before the message: same id and time', async () => {
    // Prepare: a marker pointing at a message that was never written.
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
    const message = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    expect(message).toMatchObject({ messageId: marker.targetMessageId, timestamp: marker.createdAt });
    expect(messageRows(messages)).toEqual([expect.objectContaining({ messageId: marker.targetMessageId, changeId: marker.targetMessageId })]);
  });

  it('reads the marker when the store does not say which one took the id', async () => {
    // Prepare
    const { service, messages } = setUp();
    const first = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });
    messages.hideTakenMarker = true;

    // Act
    const retry = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    expect(retry).toEqual(first);
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

  it('lists changes after a changeId, with no next on the last page', async () => {
    // Prepare
    const { service } = setUp(ids.map((id) => stored(id)));

    // Act
    const page = await service.list('alice', { chatId: 'c1', changedAfter: ids[0] });

    // Assess
    expect(page.items.map((m) => m.messageId)).toEqual(ids.slice(1));
    expect(page.next).toBeUndefined();
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
