import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createMembershipStore } from '../../../../../lambdas/adapters/dynamodb/membership-store';
import { createMessageStore } from '../../../../../lambdas/adapters/dynamodb/message-store';
import { createMessageService } from '../../../../../lambdas/domain/messages';
import type { ReadMark } from '../../../../../lambdas/domain/ports';
import { transactionCanceled } from '../../../../helpers/transactions';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const NOW = Date.UTC(2025, 10, 27, 0, 40);
const MESSAGE_ID = '01JH3Q7Z8W9X0YZABCDEFGHJKM';
const MARK: ReadMark = { messageId: MESSAGE_ID, seq: 7, ordinal: 5, readAt: '2025-11-27T00:40:00.000Z' };

const createStore = () => createMessageStore({ documentClient, messagesTable: 'Messages', membershipsTable: 'Memberships', maxAttempts: 4 });
const createService = () =>
  createMessageService({ messages: createStore(), memberships: createMembershipStore({ documentClient, membershipsTable: 'Memberships' }), now: () => NOW });

/** The items of the nth TransactWriteItems (0-based). */
function transactItems(n = 0): Array<Record<string, any>> {
  return (ddb.commandCalls(TransactWriteCommand)[n]?.args[0].input.TransactItems ?? []) as Array<Record<string, any>>;
}

const headMovedTo = (head: Record<string, unknown>): Error =>
  transactionCanceled(['None', { code: 'ConditionalCheckFailed', item: { chatId: 'c1', messageId: 'seq#head', kind: 'head', ...head } }, 'None']);

const conditionFailed = (item?: Record<string, unknown>): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item !== undefined && { Item: marshall(item) }) });

afterEach(() => {
  ddb.reset();
});

describe('Function: createMessageStore (ordinals)', () => {
  it('counts creates only: an edit takes a position and keeps the head\'s ordinal, the next create takes the next ordinal', async () => {
    // Prepare: the head is at position 9 with 5 messages (4 positions went to edits and deletes).
    ddb.on(TransactWriteCommand).rejectsOnce(headMovedTo({ lastSeq: 9, lastOrdinal: 5 })).resolves({});
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({ Item: { chatId: 'c1', messageId: MESSAGE_ID, kind: 'message', senderId: 'alice', content: 'a', createdAt: 't', seq: 3, createdSeq: 3 } });
    const service = createService();

    // Act
    await service.edit('alice', { chatId: 'c1', messageId: MESSAGE_ID, content: 'b' });
    const sent = await service.send('alice', { chatId: 'c1', content: 'new' });

    // Assess
    expect(transactItems(1)[1]?.Update.ExpressionAttributeValues).toMatchObject({ ':seq': 10, ':ordinal': 5, ':previous': 9 });
    expect(transactItems(1)[0]?.Update.UpdateExpression).not.toContain('readSeq'); // An edit does not move the editor's read position.
    expect(sent.seq).toBe(11);
    expect(transactItems(2)[1]?.Update.ExpressionAttributeValues).toMatchObject({ ':seq': 11, ':ordinal': 6, ':previous': 10 });
    expect(transactItems(2)[2]?.Put.Item).toMatchObject({ seq: 11, createdSeq: 11, ordinal: 6 });
    expect(transactItems(2)[0]?.Update.ExpressionAttributeValues).toMatchObject({ ':readSeq': 11, ':readOrdinal': 6 });
  });

  it('counts every earlier position as a message on a head written before ordinals', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejectsOnce(headMovedTo({ lastSeq: 9 })).resolves({});

    // Act
    await createService().send('alice', { chatId: 'c1', content: 'new' });

    // Assess
    expect(transactItems(1)[1]?.Update.ExpressionAttributeValues).toMatchObject({ ':seq': 10, ':ordinal': 10 });
  });

  it('moves the sender\'s read position with a published create (member gate) as an Update with the same condition', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});
    const row = { chatId: 'c1', messageId: MESSAGE_ID, kind: 'message' as const, senderId: 'app', content: 'hi', createdAt: '2025-11-27T00:40:00.000Z' };

    // Act
    await createStore().commit('c1', 'app', { kind: 'member' }, { kind: 'create', row });

    // Assess
    expect(transactItems(0)[0]).toEqual({
      Update: {
        TableName: 'Memberships',
        Key: { chatId: 'c1', userId: 'app' },
        ConditionExpression: 'attribute_exists(userId)',
        UpdateExpression: 'SET readMessageId = :readMessageId, readSeq = :readSeq, readOrdinal = :readOrdinal, readAt = :readAt',
        ExpressionAttributeValues: { ':readMessageId': MESSAGE_ID, ':readSeq': 1, ':readOrdinal': 1, ':readAt': row.createdAt },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  });

  it('keeps a ConditionCheck for a published delete (no read position moves)', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    await createStore().commit('c1', 'app', { kind: 'member' }, { kind: 'delete', messageId: MESSAGE_ID, deletedAt: 't' });

    // Assess
    expect(transactItems(0)[0]).toEqual({
      ConditionCheck: { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'app' }, ConditionExpression: 'attribute_exists(userId)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    });
  });
});

describe('Method: messageCounts', () => {
  it('reads the heads in one BatchGetItem and answers each chat\'s message count (0 for a chat without messages)', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({
      Responses: { Messages: [{ chatId: 'c1', lastSeq: 9, lastOrdinal: 5 }, { chatId: 'c2', lastSeq: 4 }] },
    });

    // Act
    const counts = await createStore().messageCounts(['c1', 'c2', 'c3', 'c1']);

    // Assess
    expect(counts).toEqual(new Map([['c1', 5], ['c2', 4], ['c3', 0]]));
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 1);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: {
        Messages: {
          Keys: [{ chatId: 'c1', messageId: 'seq#head' }, { chatId: 'c2', messageId: 'seq#head' }, { chatId: 'c3', messageId: 'seq#head' }],
          ConsistentRead: false,
          ProjectionExpression: '#a0, #a1, #a2',
          ExpressionAttributeNames: { '#a0': 'chatId', '#a1': 'lastSeq', '#a2': 'lastOrdinal' },
        },
      },
    });
  });
});

describe('Method: showRead', () => {
  it('writes the reader\'s read marker when the window is over and the position is new, with a TTL', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    const shown = await createStore().showRead('c1', 'bob', MARK, NOW, 1000);

    // Assess
    expect(shown).toEqual({ outcome: 'written' });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Messages',
      Key: { chatId: 'c1', messageId: 'read#bob' },
      ConditionExpression: '(attribute_not_exists(shownAt) OR shownAt <= :threshold) AND (attribute_not_exists(readSeq) OR readSeq < :seq)',
      ExpressionAttributeValues: {
        ':read': 'read',
        ':userId': 'bob',
        ':messageId': MESSAGE_ID,
        ':seq': 7,
        ':readAt': MARK.readAt,
        ':now': NOW,
        ':threshold': NOW - 1000,
        ':expiresAt': Math.floor(NOW / 1000) + 86_400,
      },
    });
  });

  it('answers a refusal with the position last shown and when', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed({ chatId: 'c1', messageId: 'read#bob', readSeq: 6, shownAt: NOW - 200 }));

    // Act
    const shown = await createStore().showRead('c1', 'bob', MARK, NOW, 1000);

    // Assess
    expect(shown).toEqual({ outcome: 'refused', shownSeq: 6, shownAt: NOW - 200 });
  });

  it('lets other DynamoDB errors through', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    // Act + Assess
    await expect(createStore().showRead('c1', 'bob', MARK, NOW, 1000)).rejects.toThrow('throttled');
  });
});
