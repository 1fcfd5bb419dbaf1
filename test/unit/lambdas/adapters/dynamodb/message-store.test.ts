import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../../../../../lambdas/commons/errors';
import { createMembershipStore } from '../../../../../lambdas/adapters/dynamodb/membership-store';
import { createMessageStore } from '../../../../../lambdas/adapters/dynamodb/message-store';
import { hashOf } from '../../../../../lambdas/domain/idempotency';
import { createMessageService, type MessageService } from '../../../../../lambdas/domain/messages';
import type { MessageRow } from '../../../../../lambdas/domain/ports';
import { transactionCanceled, type Reason } from '../../../../helpers/transactions';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = Date.UTC(2025, 10, 27, 0, 40);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const MESSAGE_ID = '01JH3Q7Z8W9X0YZABCDEFGHJKM';
const MEMBERSHIP = { chatId: 'c1', userId: 'alice', title: 't', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' };

/** A service over fresh stores: the store's cache of chat heads starts empty. */
function createService(): MessageService {
  return createMessageService({
    messages: createMessageStore({ documentClient, messagesTable: 'Messages', membershipsTable: 'Memberships', maxAttempts: 4 }),
    memberships: createMembershipStore({ documentClient, membershipsTable: 'Memberships' }),
    now: () => NOW,
  });
}
const service = createService();

function storedRow(overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    chatId: 'c1',
    messageId: MESSAGE_ID,
    kind: 'message',
    senderId: 'alice',
    content: 'hello',
    createdAt: '2025-11-27T00:39:00.000Z',
    seq: 1,
    createdSeq: 1,
    ...overrides,
  };
}

/** The items of the nth TransactWriteItems (0-based). */
function transactItems(n = 0): Array<Record<string, any>> {
  return (ddb.commandCalls(TransactWriteCommand)[n]?.args[0].input.TransactItems ?? []) as Array<Record<string, any>>;
}

/** A head that moved to `lastSeq` (ALL_OLD of the head item) while the rest held. */
const headMoved = (lastSeq: number, items = 3): Error =>
  transactionCanceled(['None', { code: 'ConditionalCheckFailed', item: { chatId: 'c1', messageId: 'seq#head', kind: 'head', lastSeq } }, ...Array<Reason>(items - 2).fill('None')]);

afterEach(() => {
  ddb.reset();
});

describe('Function: messageService.send (one transaction per message)', () => {
  beforeEach(() => {
    ddb.on(TransactWriteCommand).resolves({});
  });

  it('writes the flood count with the sender\'s read position, the chat head and the message at the next position and ordinal in one TransactWriteItems', async () => {
    // Prepare
    const fresh = createService();

    // Act
    const first = await fresh.send('alice', { chatId: 'c1', content: 'hello' });
    const second = await fresh.send('alice', { chatId: 'c1', content: 'again' });

    // Assess
    expect(first).toEqual({
      messageId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      chatId: 'c1',
      senderId: 'alice',
      content: 'hello',
      timestamp: new Date(NOW).toISOString(),
      seq: 1,
    });
    expect(second.seq).toBe(2);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 2);
    const [gate, head, message] = transactItems(0);
    expect(gate).toEqual({
      Update: expect.objectContaining({
        TableName: 'Memberships',
        Key: { chatId: 'c1', userId: 'alice' },
        UpdateExpression:
          'SET sendCount = if_not_exists(sendCount, :zero) + :one, sendWindow = if_not_exists(sendWindow, :now), readMessageId = :readMessageId, readSeq = :readSeq, readOrdinal = :readOrdinal, readAt = :readAt',
        ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)',
        ExpressionAttributeValues: expect.objectContaining({ ':readMessageId': first.messageId, ':readSeq': 1, ':readOrdinal': 1, ':readAt': first.timestamp }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    });
    expect(head).toEqual({
      Update: {
        TableName: 'Messages',
        Key: { chatId: 'c1', messageId: 'seq#head' },
        UpdateExpression: 'SET lastSeq = :seq, lastOrdinal = :ordinal, kind = :head',
        ConditionExpression: 'attribute_not_exists(lastSeq)',
        ExpressionAttributeValues: { ':seq': 1, ':ordinal': 1, ':head': 'head' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    expect(message).toEqual({
      Put: {
        TableName: 'Messages',
        Item: expect.objectContaining({ messageId: first.messageId, kind: 'message', senderId: 'alice', seq: 1, createdSeq: 1, ordinal: 1 }),
        ConditionExpression: 'attribute_not_exists(messageId)',
      },
    });
    // The second write guesses its position from the first (this instance saw the head at 1).
    expect(transactItems(1)[1]?.Update).toMatchObject({ ConditionExpression: 'lastSeq = :previous', ExpressionAttributeValues: { ':seq': 2, ':ordinal': 2, ':previous': 1 } });
  });

  it('runs one instance\'s concurrent writes to a chat one after the other, so they never cancel each other', async () => {
    // Prepare: the mock commits only on the head it expects, like DynamoDB's condition.
    const fresh = createService();
    let head = 0;
    ddb.on(TransactWriteCommand).callsFake(async (input: { TransactItems: Array<Record<string, any>> }) => {
      const update = input.TransactItems[1]?.Update;
      const previous = update.ExpressionAttributeValues[':previous'] ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (previous !== head) throw headMoved(head);
      head += 1;
      return {};
    });

    // Act
    const sent = await Promise.all([1, 2, 3, 4, 5].map((i) => fresh.send('alice', { chatId: 'c1', content: `m${i}` })));

    // Assess
    expect(sent.map((m) => m.seq).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 5);
  });

  it('retries on the head as the cancellation reason gives it when another writer took the position', async () => {
    // Prepare: this instance has never seen the chat; it is at 41.
    const fresh = createService();
    ddb.on(TransactWriteCommand).rejectsOnce(headMoved(41)).resolves({});

    // Act
    const message = await fresh.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    expect(message.seq).toBe(42);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 2);
    expect(transactItems(1)[1]?.Update).toMatchObject({ ExpressionAttributeValues: { ':seq': 42, ':previous': 41, ':head': 'head' } });
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
  });

  it('reads the head (consistently) after a transaction conflict, which carries no item, and retries', async () => {
    // Prepare
    const fresh = createService();
    ddb.on(TransactWriteCommand).rejectsOnce(transactionCanceled(['None', 'TransactionConflict', 'None'])).resolves({});
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'seq#head' } }).resolves({ Item: { lastSeq: 7 } });

    // Act
    const message = await fresh.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    expect(message.seq).toBe(8);
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'seq#head' }, ConsistentRead: true });
  });

  it('gives up with CONFLICT after its attempts when the chat keeps moving, having written nothing', async () => {
    // Prepare
    const fresh = createService();
    ddb.on(TransactWriteCommand).rejects(headMoved(3));

    // Act
    const attempt = fresh.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 4);
  });

  it('refuses a create whose message id is taken at once (no retry on another head), writing nothing', async () => {
    // Prepare: the gate and the head held; the message's attribute_not_exists did not.
    const store = createMessageStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), messagesTable: 'Messages', membershipsTable: 'Memberships' });
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', 'ConditionalCheckFailed']));
    const row = { chatId: 'c1', messageId: 'app-1', kind: 'message' as const, senderId: 'alice', content: 'hi', createdAt: '2026-01-01T00:00:00.000Z' };

    // Act
    const write = await store.commit('c1', 'alice', { kind: 'member' }, { kind: 'create', row });

    // Assess
    expect(write).toEqual({ outcome: 'refused', by: 'message' });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('refuses a sender who is not a participant (the gate item had no row), writing nothing', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'None']));

    // Act + Assess
    await expect(createService().send('mallory', { chatId: 'c1', content: 'hi' })).rejects.toBeInstanceOf(ForbiddenError);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('refuses a sender over the flood limit with RATE_LIMITED (the window is still open)', async () => {
    // Prepare
    const full = { ...MEMBERSHIP, sendWindow: NOW - 1000, sendCount: 20 };
    ddb.on(TransactWriteCommand).rejects(transactionCanceled([{ code: 'ConditionalCheckFailed', item: full }, 'None', 'None']));

    // Act
    const attempt = createService().send('alice', { chatId: 'c1', content: 'hi' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RateLimitedError);
    await expect(attempt).rejects.toMatchObject({ retryAfterMs: 9000 });
  });

  it('opens a new window with the message when the full one is over', async () => {
    // Prepare
    const over = { ...MEMBERSHIP, sendWindow: NOW - 60_000, sendCount: 20 };
    ddb.on(TransactWriteCommand).rejectsOnce(transactionCanceled([{ code: 'ConditionalCheckFailed', item: over }, 'None', 'None'])).resolves({});

    // Act
    const message = await createService().send('alice', { chatId: 'c1', content: 'hi' });

    // Assess
    expect(message.seq).toBe(1);
    expect(transactItems(1)[0]?.Update).toMatchObject({
      UpdateExpression: 'SET sendCount = :one, sendWindow = :now, readMessageId = :readMessageId, readSeq = :readSeq, readOrdinal = :readOrdinal, readAt = :readAt',
      ExpressionAttributeValues: { ':one': 1, ':now': NOW, ':expired': NOW - 10_000, ':readSeq': 1 },
    });
  });

  it('writes the idempotency marker in the same transaction as the message', async () => {
    // Act
    const message = await createService().send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    const items = transactItems(0);
    expect(items).toHaveLength(4);
    expect(items[2]).toEqual({
      Put: {
        TableName: 'Messages',
        Item: { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency', targetMessageId: message.messageId, createdAt: message.timestamp, contentHash: hashOf('hello'), expiresAt: Math.floor(NOW / 1000) + 86_400 },
        ConditionExpression: 'attribute_not_exists(messageId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    expect(items[3]?.Put.Item).toMatchObject({ messageId: message.messageId, clientMessageId: 'k1', seq: 1 });
  });

  it('answers a retry with the same clientMessageId with the stored message and its position: nothing written, no position taken', async () => {
    // Prepare: the marker exists (the first attempt committed); the head moved on since.
    const marker = { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency', targetMessageId: MESSAGE_ID, createdAt: '2025-11-27T00:39:00.000Z', contentHash: hashOf('hello'), expiresAt: 1 };
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', { code: 'ConditionalCheckFailed', item: { lastSeq: 9 } }, { code: 'ConditionalCheckFailed', item: marker }, 'None']));
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: MESSAGE_ID } }).resolves({ Item: storedRow({ seq: 5, createdSeq: 5 }) });

    // Act
    const message = await createService().send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    expect(message).toMatchObject({ messageId: MESSAGE_ID, seq: 5 });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('refuses the same clientMessageId with different content (CONFLICT)', async () => {
    // Prepare
    const marker = { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency', targetMessageId: MESSAGE_ID, createdAt: 't', contentHash: hashOf('hello'), expiresAt: 1 };
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', { code: 'ConditionalCheckFailed', item: marker }, 'None']));

    // Act + Assess
    await expect(createService().send('alice', { chatId: 'c1', content: 'different', clientMessageId: 'k1' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('answers a retry of an accepted send over the flood limit with the stored message (its ack may have been lost)', async () => {
    // Prepare: the gate refuses (window full) and the reasons do not say the marker failed; the marker is read.
    const full = { ...MEMBERSHIP, sendWindow: NOW - 1000, sendCount: 20 };
    const marker = { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency', targetMessageId: MESSAGE_ID, createdAt: 't', contentHash: hashOf('hello'), expiresAt: 1 };
    ddb.on(TransactWriteCommand).rejects(transactionCanceled([{ code: 'ConditionalCheckFailed', item: full }, 'None', 'None', 'None']));
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'idem#alice#k1' } }).resolves({ Item: marker });
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: MESSAGE_ID } }).resolves({ Item: storedRow() });

    // Act
    const message = await createService().send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k1' });

    // Assess
    expect(message).toMatchObject({ messageId: MESSAGE_ID, seq: 1 });
  });

  it('surfaces DynamoDB throttling as an error, not a silent success', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    // Act + Assess
    await expect(createService().send('alice', { chatId: 'c1', content: 'hello' })).rejects.toThrow('slow down');
  });
});

describe('Function: messageService.edit', () => {
  beforeEach(() => {
    ddb.on(TransactWriteCommand).resolves({});
  });

  it('reads the message, then sets content, editedAt and the next position in one transaction with the flood count', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: MESSAGE_ID } }).resolves({ Item: storedRow() });
    ddb.on(TransactWriteCommand).rejectsOnce(headMoved(6)).resolves({});

    // Act
    const message = await createService().edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'edited' });

    // Assess
    expect(message).toEqual({ messageId: MESSAGE_ID, chatId: 'c1', senderId: 'alice', content: 'edited', timestamp: '2025-11-27T00:39:00.000Z', editedAt: new Date(NOW).toISOString(), seq: 7 });
    expect(transactItems(1)[2]).toEqual({
      Update: {
        TableName: 'Messages',
        Key: { chatId: 'c1', messageId: MESSAGE_ID },
        UpdateExpression: 'SET content = :content, editedAt = :at, seq = :seq',
        ConditionExpression: 'kind = :message AND senderId = :userId AND attribute_not_exists(deletedAt)',
        ExpressionAttributeValues: { ':content': 'edited', ':at': new Date(NOW).toISOString(), ':seq': 7, ':message': 'message', ':userId': 'alice' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  });

  it.each([
    ['a message that does not exist', undefined, NotFoundError],
    ["someone else's message", storedRow({ senderId: 'bob' }), ForbiddenError],
    ['a deleted message', storedRow({ deletedAt: 't' }), ConflictError],
  ])('refuses an edit of %s without a transaction', async (_name, row, errorClass) => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({ Item: row });

    // Act + Assess
    await expect(createService().edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'x' })).rejects.toBeInstanceOf(errorClass);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 0);
  });

  it('explains an edit refused by the message condition (deleted meanwhile) from the row as it was', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({ Item: storedRow() });
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', { code: 'ConditionalCheckFailed', item: storedRow({ deletedAt: 't' }) }]));

    // Act + Assess
    await expect(createService().edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'x' })).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('Function: messageService.remove', () => {
  beforeEach(() => {
    ddb.on(TransactWriteCommand).resolves({});
  });

  it('soft-deletes at the next position with the membership checked, not counted', async () => {
    // Act
    const result = await createService().remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(result).toEqual({ messageId: MESSAGE_ID, deletedAt: new Date(NOW).toISOString() });
    const [gate, , message] = transactItems(0);
    expect(gate).toEqual({ ConditionCheck: { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'alice' }, ConditionExpression: 'attribute_exists(userId)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } });
    expect(message?.Update).toMatchObject({
      UpdateExpression: 'SET content = :empty, deletedAt = :at, deletedBy = :userId, seq = :seq',
      ExpressionAttributeValues: expect.objectContaining({ ':seq': 1, ':userId': 'alice' }),
    });
  });

  it('is idempotent: deleting an already deleted message returns the first deletion, taking no position', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(['None', 'None', { code: 'ConditionalCheckFailed', item: storedRow({ deletedAt: '2025-11-27T00:39:30.000Z', content: '' }) }]));

    // Act
    const result = await createService().remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(result).toEqual({ messageId: MESSAGE_ID, deletedAt: '2025-11-27T00:39:30.000Z' });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it.each([
    ['someone else’s message', ['None', 'None', { code: 'ConditionalCheckFailed', item: storedRow({ senderId: 'bob' }) }], ForbiddenError],
    ['a message that does not exist', ['None', 'None', 'ConditionalCheckFailed'], NotFoundError],
    ['a chat the caller left', ['ConditionalCheckFailed', 'None', 'None'], ForbiddenError],
  ] as const)('refuses to delete %s', async (_name, reasons, errorClass) => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(transactionCanceled(reasons as unknown as Reason[]));

    // Act + Assess
    await expect(createService().remove('alice', { chatId: 'c1', messageId: MESSAGE_ID })).rejects.toBeInstanceOf(errorClass);
  });
});

describe('Function: messageService.list', () => {
  const ids = ['01JH3Q7Z8W9X0YZABCDEFGHJK1', '01JH3Q7Z8W9X0YZABCDEFGHJK2', '01JH3Q7Z8W9X0YZABCDEFGHJK3'];
  beforeEach(() => {
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: { chatId: 'c1', userId: 'alice', title: 't' } });
  });
  afterEach(() => {
    ddb.reset();
  });

  it('lists oldest first below the marker prefix, with a next cursor when more exist', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: ids.map((messageId) => storedRow({ messageId })) });

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 2 });

    // Assess
    expect(page.items.map((m) => m.messageId)).toEqual(ids.slice(0, 2));
    expect(page.next).toBe(ids[1]);
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      KeyConditionExpression: 'chatId = :chatId AND messageId < :bound',
      ExpressionAttributeValues: { ':chatId': 'c1', ':bound': 'idem#' },
      ScanIndexForward: true,
      Limit: 3,
    });
  });

  it('pages backwards with before, still returning oldest first', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [...ids].reverse().map((messageId) => storedRow({ messageId })) });

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 2, before: '01JH3Q7Z8W9X0YZABCDEFGHJK9' });

    // Assess
    expect(page.items.map((m) => m.messageId)).toEqual([ids[1], ids[2]]);
    expect(page.next).toBe(ids[1]);
    expect(ddb).toReceiveCommandWith(QueryCommand, { ScanIndexForward: false });
  });

  it('pages forwards with after and drops marker rows', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [storedRow({ messageId: ids[2]! }), { chatId: 'c1', messageId: 'idem#alice#k', kind: 'idempotency' }] });

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 2, after: ids[1] });

    // Assess
    expect(page).toEqual({ items: [expect.objectContaining({ messageId: ids[2] })] });
    expect(ddb).toReceiveCommandWith(QueryCommand, { KeyConditionExpression: 'chatId = :chatId AND messageId > :bound' });
  });

  it('refuses a reader who is not a participant', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});

    // Act + Assess
    await expect(service.list('mallory', { chatId: 'c1' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(service.list('mallory', { chatId: 'c1', afterSeq: 0 })).rejects.toBeInstanceOf(ForbiddenError);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('lists the messages written after a position from the bySeq index, strongly consistent, with the next position', async () => {
    // Prepare: an edit (4) of an older message, then a new one (5), then one more (6).
    ddb.on(QueryCommand, { IndexName: 'bySeq' }).resolves({
      Items: [storedRow({ messageId: ids[0]!, content: 'fixed', editedAt: '2025-11-27T00:39:30.000Z', seq: 4, createdSeq: 1 }), storedRow({ messageId: ids[1]!, seq: 5, createdSeq: 5 }), storedRow({ messageId: ids[2]!, seq: 6, createdSeq: 6 })],
    });

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 2, afterSeq: 3 });

    // Assess
    expect(page).toEqual({
      items: [expect.objectContaining({ messageId: ids[0], content: 'fixed', seq: 4 }), expect.objectContaining({ messageId: ids[1], seq: 5 })],
      next: '5',
    });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 'Messages',
      IndexName: 'bySeq',
      KeyConditionExpression: 'chatId = :chatId AND seq > :afterSeq',
      ExpressionAttributeValues: { ':chatId': 'c1', ':afterSeq': 3 },
      ConsistentRead: true,
      Limit: 3,
    });
  });

  it('never returns rows of another kind for afterSeq and ends without next', async () => {
    // Prepare: the index only holds message rows; a stray row of another kind must still not leak.
    ddb.on(QueryCommand).resolves({ Items: [storedRow({ messageId: ids[2]!, seq: 2 }), { chatId: 'c1', messageId: 'seq#head', kind: 'head', lastSeq: 2 }] });

    // Act
    const page = await service.list('alice', { chatId: 'c1', afterSeq: 1 });

    // Assess
    expect(page).toEqual({ items: [expect.objectContaining({ messageId: ids[2], seq: 2 })] });
  });

  it.each([
    ['before', { before: ids[0] }],
    ['after', { after: ids[0] }],
  ])('refuses afterSeq together with %s, reading nothing', async (_name, cursor) => {
    // Act + Assess
    await expect(service.list('alice', { chatId: 'c1', afterSeq: 1, ...cursor })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });
});
