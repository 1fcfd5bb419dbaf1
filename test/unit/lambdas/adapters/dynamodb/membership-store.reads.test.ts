import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createMembershipStore } from '../../../../../lambdas/adapters/dynamodb/membership-store';
import type { ReadMark } from '../../../../../lambdas/domain/ports';

const ddb = mockClient(DynamoDBDocumentClient);
const store = createMembershipStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), membershipsTable: 'Memberships' });
const MARK: ReadMark = { messageId: '01JH3Q7Z8W9X0YZABCDEFGHJKM', seq: 7, ordinal: 5, readAt: '2025-11-27T00:40:00.000Z' };
const ROW = { chatId: 'c1', userId: 'bob', title: 't', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' };

const conditionFailed = (item?: Record<string, unknown>): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item !== undefined && { Item: marshall(item) }) });

afterEach(() => {
  ddb.reset();
});

describe('Method: moveRead', () => {
  it('moves the position forward with one conditional UpdateItem that also authorizes', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: { ...ROW, readSeq: 7 } });

    // Act
    const write = await store.moveRead('c1', 'bob', MARK);

    // Assess
    expect(write).toEqual({ outcome: 'written', row: { ...ROW, readSeq: 7 } });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'bob' },
      UpdateExpression: 'SET readMessageId = :readMessageId, readSeq = :readSeq, readOrdinal = :readOrdinal, readAt = :readAt',
      ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(readSeq) OR readSeq < :readSeq)',
      ExpressionAttributeValues: { ':readMessageId': MARK.messageId, ':readSeq': 7, ':readOrdinal': 5, ':readAt': MARK.readAt },
    });
  });

  it('is refused with the row as it was when the position is already at or past the message', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed({ ...ROW, readSeq: 9 }));

    // Act + Assess
    await expect(store.moveRead('c1', 'bob', MARK)).resolves.toEqual({ outcome: 'refused', old: { ...ROW, readSeq: 9 } });
  });

  it('answers absent for someone who is not in the chat', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed());

    // Act + Assess
    await expect(store.moveRead('c1', 'mallory', MARK)).resolves.toEqual({ outcome: 'absent' });
  });
});

describe('Method: readsOf', () => {
  it('reads the user\'s positions in the chats with one BatchGetItem, leaving out chats never read', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        Memberships: [
          { chatId: 'c1', readMessageId: MARK.messageId, readSeq: 7, readOrdinal: 5, readAt: MARK.readAt },
          { chatId: 'c2' },
        ],
      },
    });

    // Act
    const reads = await store.readsOf('bob', ['c1', 'c2']);

    // Assess
    expect(reads).toEqual(new Map([['c1', MARK]]));
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: {
        Memberships: {
          Keys: [{ chatId: 'c1', userId: 'bob' }, { chatId: 'c2', userId: 'bob' }],
          ConsistentRead: false,
          ProjectionExpression: '#a0, #a1, #a2, #a3, #a4',
          ExpressionAttributeNames: { '#a0': 'chatId', '#a1': 'readMessageId', '#a2': 'readSeq', '#a3': 'readOrdinal', '#a4': 'readAt' },
        },
      },
    });
  });

  it('asks again for the keys DynamoDB left unprocessed', async () => {
    // Prepare
    ddb.on(BatchGetCommand)
      .resolvesOnce({ Responses: { Memberships: [] }, UnprocessedKeys: { Memberships: { Keys: [{ chatId: 'c1', userId: 'bob' }] } } })
      .resolvesOnce({ Responses: { Memberships: [{ chatId: 'c1', readMessageId: MARK.messageId, readSeq: 7, readAt: MARK.readAt }] } });

    // Act
    const reads = await store.readsOf('bob', ['c1']);

    // Assess: a row without an ordinal (none is written without one) counts its position.
    expect(reads.get('c1')).toEqual({ ...MARK, ordinal: 7 });
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 2);
  });
});

describe('Method: countUpTo', () => {
  it('counts with a COUNT Query limited to cap + 1 rows', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Count: 101 });

    // Act
    const count = await store.countUpTo('c1', 100);

    // Assess
    expect(count).toBe(101);
    expect(ddb).toReceiveCommandWith(QueryCommand, { TableName: 'Memberships', KeyConditionExpression: 'chatId = :chatId', Select: 'COUNT', Limit: 101 });
  });
});
