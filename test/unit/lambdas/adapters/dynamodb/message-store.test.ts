import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../../../../../lambdas/commons/errors';
import { createMembershipStore } from '../../../../../lambdas/adapters/dynamodb/membership-store';
import { createMessageStore } from '../../../../../lambdas/adapters/dynamodb/message-store';
import { createMessageService } from '../../../../../lambdas/domain/messages';
import type { MessageRow } from '../../../../../lambdas/domain/ports';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = Date.UTC(2025, 10, 27, 0, 40);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const service = createMessageService({
  messages: createMessageStore({ documentClient, messagesTable: 'Messages' }),
  memberships: createMembershipStore({ documentClient, membershipsTable: 'Memberships' }),
  now: () => NOW,
});
const MESSAGE_ID = '01JH3Q7Z8W9X0YZABCDEFGHJKM';
const MEMBERSHIP = { chatId: 'c1', userId: 'alice', title: 't', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' };

/** The membership row as the flood limit's counting update returns it (ALL_NEW). */
function admitted(sendCount = 1): { Attributes: Record<string, unknown> } {
  return { Attributes: { ...MEMBERSHIP, sendWindow: NOW, sendCount } };
}

function conditionFailed(old?: object): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(old !== undefined && { Item: marshall(old) }),
  });
}

function storedRow(overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    chatId: 'c1',
    messageId: MESSAGE_ID,
    kind: 'message',
    senderId: 'alice',
    content: 'hello',
    createdAt: '2025-11-27T00:39:00.000Z',
    changeId: MESSAGE_ID,
    ...overrides,
  };
}

describe('Function: messageService.send', () => {
  beforeEach(() => {
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).resolves(admitted());
  });
  afterEach(() => {
    ddb.reset();
  });

  it('stores a message from a participant with a fresh ULID and returns it', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    expect(message).toEqual({
      messageId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      chatId: 'c1',
      senderId: 'alice',
      content: 'hello',
      timestamp: new Date(NOW).toISOString(),
      changeId: message.messageId,
    });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'Messages',
      Item: expect.objectContaining({ kind: 'message', senderId: 'alice', changeId: message.messageId }),
      ConditionExpression: 'attribute_not_exists(messageId)',
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'alice' },
      ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)',
      ExpressionAttributeValues: expect.objectContaining({ ':limit': 20, ':now': NOW }),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // One write authorizes and counts: no membership read on the hot path.
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('refuses a sender who is not a participant, writing nothing', async () => {
    // Prepare: no membership row, so the condition fails with no old item.
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).rejects(conditionFailed());

    // Act + Assess
    await expect(service.send('mallory', { chatId: 'c1', content: 'hi' })).rejects.toBeInstanceOf(ForbiddenError);
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('refuses a sender over the flood limit with RATE_LIMITED (429), writing nothing', async () => {
    // Prepare: the window opened 4 s ago and is full.
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).rejects(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 4000, sendCount: 20 }));

    // Act
    const attempt = service.send('alice', { chatId: 'c1', content: 'hi' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RateLimitedError);
    await expect(attempt).rejects.toMatchObject({ code: 'RATE_LIMITED', statusCode: 429, retryAfterMs: 6000 });
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('opens a new window when the full one is over, and sends', async () => {
    // Prepare: full, but opened 11 s ago.
    ddb.on(UpdateCommand, { TableName: 'Memberships', UpdateExpression: 'SET sendCount = :one, sendWindow = :now' }).resolves(admitted(1));
    ddb
      .on(UpdateCommand, { TableName: 'Memberships', ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)' })
      .rejects(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 11_000, sendCount: 20 }));
    ddb.on(PutCommand).resolves({});

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    expect(message.content).toBe('hello');
    expect(ddb).toReceiveNthCommandWith(UpdateCommand, 2, {
      UpdateExpression: 'SET sendCount = :one, sendWindow = :now',
      ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendWindow) OR sendWindow <= :expired)',
      ExpressionAttributeValues: { ':one': 1, ':now': NOW, ':expired': NOW - 10_000 },
    });
    expect(ddb).toReceiveCommandTimes(PutCommand, 1);
  });

  it('counts the message in the new window when a concurrent send opened it first', async () => {
    // Prepare: full and over on the first count; the reopen loses the race; the recount succeeds.
    ddb
      .on(UpdateCommand, { TableName: 'Memberships', UpdateExpression: 'SET sendCount = :one, sendWindow = :now' })
      .rejects(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 5, sendCount: 1 }));
    ddb
      .on(UpdateCommand, { TableName: 'Memberships', ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)' })
      .rejectsOnce(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 11_000, sendCount: 20 }))
      .resolves(admitted(2));
    ddb.on(PutCommand).resolves({});

    // Act
    await service.send('alice', { chatId: 'c1', content: 'hello' });

    // Assess
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 3);
    expect(ddb).toReceiveCommandTimes(PutCommand, 1);
  });

  it('answers a retry of an accepted send even over the limit, writing no new message', async () => {
    // Prepare: the first attempt was stored (its ack was lost); the retry finds the window full.
    const first = storedRow({ clientMessageId: 'k-1' });
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).rejects(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 1000, sendCount: 20 }));
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'idem#alice#k-1' } }).resolves({ Item: await createMarkerFor(first) });
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: MESSAGE_ID } }).resolves({ Item: first });

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k-1' });

    // Assess
    expect(message).toMatchObject({ messageId: MESSAGE_ID, timestamp: first.createdAt });
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { chatId: 'c1', messageId: 'idem#alice#k-1' }, ConsistentRead: true });
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
  });

  it('refuses a send over the limit whose clientMessageId was never accepted, writing nothing', async () => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).rejects(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 1000, sendCount: 20 }));
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({});

    // Act + Assess
    await expect(service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k-2' })).rejects.toBeInstanceOf(RateLimitedError);
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
  });

  it('does not look for a marker when a non-participant sends with a clientMessageId', async () => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).rejects(conditionFailed());

    // Act + Assess
    await expect(service.send('mallory', { chatId: 'c1', content: 'hi', clientMessageId: 'k-1' })).rejects.toBeInstanceOf(ForbiddenError);
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
  });

  it('writes the idempotency marker first, then the message', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k-1' });

    // Assess
    expect(ddb).toReceiveNthCommandWith(PutCommand, 1, {
      Item: expect.objectContaining({ messageId: 'idem#alice#k-1', kind: 'idempotency', targetMessageId: message.messageId }),
      ConditionExpression: 'attribute_not_exists(messageId)',
    });
    expect(ddb).toReceiveNthCommandWith(PutCommand, 2, {
      Item: expect.objectContaining({ messageId: message.messageId, clientMessageId: 'k-1' }),
    });
  });

  it('returns the stored message on a retry with the same clientMessageId, without a second write', async () => {
    // Prepare
    const first = storedRow({ clientMessageId: 'k-1' });
    ddb.on(PutCommand).rejects(conditionFailed(await createMarkerFor(first)));
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({ Item: first });

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k-1' });

    // Assess
    expect(message.messageId).toBe(MESSAGE_ID);
    expect(message.timestamp).toBe(first.createdAt);
    expect(ddb).toReceiveCommandTimes(PutCommand, 1);
  });

  it('repairs a missing message row when the first attempt died after its marker', async () => {
    // Prepare
    const first = storedRow({ clientMessageId: 'k-1' });
    ddb.on(PutCommand).callsFake(async (input: { Item: Record<string, unknown> }) => {
      if (input.Item.kind === 'idempotency') throw conditionFailed(await createMarkerFor(first));
      return {};
    });
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({});

    // Act
    const message = await service.send('alice', { chatId: 'c1', content: 'hello', clientMessageId: 'k-1' });

    // Assess
    expect(message).toMatchObject({ messageId: MESSAGE_ID, timestamp: first.createdAt, content: 'hello' });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({ messageId: MESSAGE_ID, changeId: MESSAGE_ID, kind: 'message' }),
      ConditionExpression: 'attribute_not_exists(messageId)',
    });
  });

  it('refuses the same clientMessageId with different content (CONFLICT)', async () => {
    // Prepare
    const first = storedRow({ clientMessageId: 'k-1', content: 'original' });
    ddb.on(PutCommand).rejects(conditionFailed(await createMarkerFor(first)));

    // Act + Assess
    await expect(service.send('alice', { chatId: 'c1', content: 'changed', clientMessageId: 'k-1' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('surfaces DynamoDB throttling as an error, not a silent success', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    // Act + Assess
    await expect(service.send('alice', { chatId: 'c1', content: 'hello' })).rejects.toThrow('slow down');
  });
});

/** The marker a first send of `row` would have written. */
async function createMarkerFor(row: MessageRow): Promise<Record<string, unknown>> {
  const { createHash } = await import('node:crypto');
  return {
    chatId: row.chatId,
    messageId: `idem#${row.senderId}#${row.clientMessageId}`,
    kind: 'idempotency',
    targetMessageId: row.messageId,
    createdAt: row.createdAt,
    contentHash: createHash('sha256').update(row.content).digest('base64url'),
    expiresAt: 1,
  };
}

describe('Function: messageService.edit', () => {
  beforeEach(() => {
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).resolves(admitted());
  });
  afterEach(() => {
    ddb.reset();
  });

  it('updates content, editedAt and changeId for the sender and returns the message', async () => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Messages' }).resolves({ Attributes: storedRow({ content: 'edited', editedAt: new Date(NOW).toISOString(), changeId: 'X' }) });

    // Act
    const message = await service.edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'edited' });

    // Assess
    expect(message).toMatchObject({ messageId: MESSAGE_ID, content: 'edited', editedAt: new Date(NOW).toISOString() });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      Key: { chatId: 'c1', messageId: MESSAGE_ID },
      ConditionExpression: 'kind = :message AND senderId = :userId AND attribute_not_exists(deletedAt)',
    });
    // Edits count against the flood limit (each is broadcast like a send).
    expect(ddb).toReceiveNthCommandWith(UpdateCommand, 1, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'alice' } });
  });

  it('refuses an edit over the flood limit, writing nothing to the message', async () => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).rejects(conditionFailed({ ...MEMBERSHIP, sendWindow: NOW - 1000, sendCount: 20 }));

    // Act + Assess
    await expect(service.edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'x' })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(ddb).not.toReceiveCommandWith(UpdateCommand, { TableName: 'Messages' });
  });

  it.each([
    ['someone else’s message', storedRow({ senderId: 'bob' }), ForbiddenError],
    ['a deleted message', storedRow({ deletedAt: '2025-11-27T00:39:30.000Z', content: '' }), ConflictError],
    ['a missing message', undefined, NotFoundError],
  ])('refuses to edit %s', async (_name, old, errorClass) => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Messages' }).rejects(conditionFailed(old));

    // Act + Assess
    await expect(service.edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'x' })).rejects.toBeInstanceOf(errorClass);
  });
});

describe('Function: messageService.remove', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: { chatId: 'c1', userId: 'alice', title: 't' } });
  });
  afterEach(() => {
    ddb.reset();
  });

  it('soft-deletes: clears content, sets deletedAt, deletedBy and a new changeId', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(result).toEqual({ messageId: MESSAGE_ID, deletedAt: new Date(NOW).toISOString() });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET content = :empty, deletedAt = :at, deletedBy = :userId, changeId = :changeId',
      ExpressionAttributeValues: expect.objectContaining({ ':empty': '', ':userId': 'alice' }),
    });
  });

  it('is idempotent: deleting an already deleted message returns the first deletion', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed(storedRow({ deletedAt: '2025-11-27T00:39:30.000Z', content: '' })));

    // Act
    const result = await service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(result).toEqual({ messageId: MESSAGE_ID, deletedAt: '2025-11-27T00:39:30.000Z' });
  });

  it('refuses to delete someone else’s message', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed(storedRow({ senderId: 'bob' })));

    // Act + Assess
    await expect(service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('is not counted against the flood limit: a strongly consistent membership read, no membership write', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    await service.remove('alice', { chatId: 'c1', messageId: MESSAGE_ID });

    // Assess
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'alice' }, ConsistentRead: true });
    expect(ddb).not.toReceiveCommandWith(UpdateCommand, { TableName: 'Memberships' });
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
    await expect(service.list('mallory', { chatId: 'c1', changedAfter: ids[0] })).rejects.toBeInstanceOf(ForbiddenError);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('lists changes after changedAfter from the byChange index, oldest change first, with the changeId as next', async () => {
    // Prepare: an old message edited, a new one, and a deleted old one, in change order.
    const changes = ['01JH3Q7Z8W9X0YZABCDEFGHJK5', '01JH3Q7Z8W9X0YZABCDEFGHJK6', '01JH3Q7Z8W9X0YZABCDEFGHJK7'];
    ddb.on(QueryCommand).resolves({
      Items: [
        storedRow({ messageId: ids[0]!, content: 'fixed', editedAt: '2025-11-27T00:39:30.000Z', changeId: changes[0]! }),
        storedRow({ messageId: changes[1]!, changeId: changes[1]! }),
        storedRow({ messageId: ids[1]!, content: '', deletedAt: '2025-11-27T00:39:40.000Z', deletedBy: 'alice', changeId: changes[2]! }),
      ],
    });

    // Act
    const page = await service.list('alice', { chatId: 'c1', limit: 2, changedAfter: ids[2] });

    // Assess
    expect(page).toEqual({
      items: [
        expect.objectContaining({ messageId: ids[0], content: 'fixed', editedAt: '2025-11-27T00:39:30.000Z', changeId: changes[0] }),
        expect.objectContaining({ messageId: changes[1], changeId: changes[1] }),
      ],
      next: changes[1],
    });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 'Messages',
      IndexName: 'byChange',
      KeyConditionExpression: 'chatId = :chatId AND changeId > :offset',
      ExpressionAttributeValues: { ':chatId': 'c1', ':offset': ids[2] },
      Limit: 3,
    });
  });

  it('never returns idempotency marker rows for changedAfter and ends without next', async () => {
    // Prepare: markers have no changeId so the index leaves them out; a stray one must still not leak.
    ddb.on(QueryCommand).resolves({
      Items: [storedRow({ messageId: ids[2]!, changeId: ids[2]! }), { chatId: 'c1', messageId: 'idem#alice#k', kind: 'idempotency', targetMessageId: ids[2] }],
    });

    // Act
    const page = await service.list('alice', { chatId: 'c1', changedAfter: ids[1] });

    // Assess
    expect(page).toEqual({ items: [expect.objectContaining({ messageId: ids[2], changeId: ids[2] })] });
  });

  it.each([
    ['before', { before: '01JH3Q7Z8W9X0YZABCDEFGHJK9' }],
    ['after', { after: '01JH3Q7Z8W9X0YZABCDEFGHJK9' }],
  ])('refuses changedAfter together with %s, reading nothing', async (_name, cursor) => {
    // Act + Assess
    await expect(service.list('alice', { chatId: 'c1', changedAfter: ids[0], ...cursor })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
  });
});
