import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError, RateLimitedError } from '../../../../../lambdas/commons/errors';
import { createMembershipStore } from '../../../../../lambdas/adapters/dynamodb/membership-store';
import { admitMessage, requireParticipant } from '../../../../../lambdas/domain/memberships';

const ddb = mockClient(DynamoDBDocumentClient);
const deps = createMembershipStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), membershipsTable: 'Memberships' });

describe('Function: requireParticipant', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('returns the caller\'s membership row, read strongly consistently', async () => {
    // Prepare
    const row = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'bob' };
    ddb.on(GetCommand).resolves({ Item: row });

    // Act
    const result = await requireParticipant(deps, 'c1', 'alice');

    // Assess
    expect(result).toEqual(row);
    expect(ddb).toReceiveCommandWith(GetCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'alice' },
      ConsistentRead: true,
    });
  });

  it('throws FORBIDDEN (403) when the caller has no row', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const attempt = requireParticipant(deps, 'c1', 'mallory');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN', statusCode: 403, message: 'Not a participant of this chat' });
  });

  it('answers an unknown chat exactly like a chat the caller is not in', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const unknownChat = await requireParticipant(deps, 'no-such-chat', 'alice').catch((err: unknown) => err);
    const notMember = await requireParticipant(deps, 'c1', 'alice').catch((err: unknown) => err);

    // Assess
    expect(unknownChat).toEqual(notMember);
    expect((unknownChat as ForbiddenError).toJSON()).toEqual((notMember as ForbiddenError).toJSON());
  });

  it('lets a DynamoDB failure through rather than reading it as "not a participant"', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act
    const attempt = requireParticipant(deps, 'c1', 'alice');

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
    await expect(attempt).rejects.not.toBeInstanceOf(ForbiddenError);
  });
});

describe('Function: admitMessage', () => {
  const NOW = 1_764_000_000_000;
  const row = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'bob' };
  const conditionFailed = (old?: object): ConditionalCheckFailedException =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(old !== undefined && { Item: marshall(old) }) });
  const COUNT = { UpdateExpression: 'SET sendCount = if_not_exists(sendCount, :zero) + :one, sendWindow = if_not_exists(sendWindow, :now)' };
  const REOPEN = { UpdateExpression: 'SET sendCount = :one, sendWindow = :now' };

  afterEach(() => {
    ddb.reset();
  });

  it('authorizes and counts in one write and returns the row as updated, without a read', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: { ...row, sendWindow: NOW, sendCount: 1 } });

    // Act
    const result = await admitMessage(deps, 'c1', 'alice', NOW);

    // Assess
    expect(result).toEqual({ ...row, sendWindow: NOW, sendCount: 1 });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
    expect(ddb).toReceiveCommandWith(UpdateCommand, { ...COUNT, Key: { chatId: 'c1', userId: 'alice' }, ReturnValues: 'ALL_NEW' });
  });

  it('applies the limit it is given', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed({ ...row, sendWindow: NOW - 500, sendCount: 3 }));

    // Act
    const attempt = admitMessage(deps, 'c1', 'alice', NOW, { limit: 3, windowMs: 1000 });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RateLimitedError);
    await expect(attempt).rejects.toMatchObject({ retryAfterMs: 500, message: 'At most 3 messages per 1 s in a chat; slow down' });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':limit': 3 }) });
  });

  it('opens a new window for the message that finds the count full in a window opened windowMs ago', async () => {
    // Prepare
    ddb.on(UpdateCommand, COUNT).rejects(conditionFailed({ ...row, sendWindow: NOW - 10_000, sendCount: 20 }));
    ddb.on(UpdateCommand, REOPEN).resolves({ Attributes: { ...row, sendWindow: NOW, sendCount: 1 } });

    // Act
    const result = await admitMessage(deps, 'c1', 'alice', NOW);

    // Assess
    expect(result).toMatchObject({ sendWindow: NOW, sendCount: 1 });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
  });

  it('throws FORBIDDEN when the membership is removed between the count and the new window', async () => {
    // Prepare
    ddb.on(UpdateCommand, COUNT).rejects(conditionFailed({ ...row, sendWindow: NOW - 60_000, sendCount: 20 }));
    ddb.on(UpdateCommand, REOPEN).rejects(conditionFailed());

    // Act + Assess
    await expect(admitMessage(deps, 'c1', 'alice', NOW)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('gives up with RATE_LIMITED rather than loop when the new window fills up meanwhile', async () => {
    // Prepare: over on the count, lost the reopen race, and the recount finds the new window already over too (clock skew).
    ddb.on(UpdateCommand, COUNT).rejects(conditionFailed({ ...row, sendWindow: NOW - 60_000, sendCount: 20 }));
    ddb.on(UpdateCommand, REOPEN).rejects(conditionFailed({ ...row, sendWindow: NOW, sendCount: 1 }));

    // Act + Assess
    await expect(admitMessage(deps, 'c1', 'alice', NOW)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 10_000 });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 3);
  });

  it('lets a DynamoDB failure through rather than reading it as a refusal', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act + Assess
    await expect(admitMessage(deps, 'c1', 'alice', NOW)).rejects.toThrow('throttled');
  });
});

describe('Function: createMembershipStore (typing, pages, roles)', () => {
  const store = deps;
  const NOW = 1_764_204_000_000;
  const row = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' };

  afterEach(() => {
    ddb.reset();
  });

  it('showTyping: broadcasts only when the window is over and no later state was asked for', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: { ...row, typingAt: NOW } });

    // Act
    const write = await store.showTyping('c1', 'alice', false, NOW, 1000, 'w1');

    // Assess
    expect(write.outcome).toBe('written');
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      Key: { chatId: 'c1', userId: 'alice' },
      UpdateExpression: 'SET typingAt = :now, typingShown = :state, typingWant = :state, typingWantAt = :now, typingWantId = :wantId',
      ConditionExpression:
        'attribute_exists(userId) AND (attribute_not_exists(typingAt) OR typingAt <= :threshold) AND (attribute_not_exists(typingWantAt) OR typingWantAt <= :now)',
      ExpressionAttributeValues: { ':now': NOW, ':state': false, ':threshold': NOW - 1000, ':wantId': 'w1' },
    });
  });

  it('wantTyping: records the latest state, refused (with the row) when a later one is stored, absent without a row', async () => {
    // Prepare
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall({ ...row, typingWantAt: NOW + 5 }) }))
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act
    const stale = await store.wantTyping('c1', 'alice', true, NOW, 'w1');
    const gone = await store.wantTyping('c1', 'alice', true, NOW, 'w1');

    // Assess
    expect(stale).toEqual({ outcome: 'refused', old: { ...row, typingWantAt: NOW + 5 } });
    expect(gone).toEqual({ outcome: 'absent' });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET typingWant = :state, typingWantAt = :now, typingWantId = :wantId',
      ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(typingWantAt) OR typingWantAt <= :now)',
    });
  });

  it('flushTyping: stamps the broadcast only while the asked state is still the latest', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: row });

    // Act
    await store.flushTyping('c1', 'alice', false, NOW + 1000, 'w1', 1000);

    // Assess
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET typingAt = :now, typingShown = :state',
      ConditionExpression: 'typingWantId = :wantId AND (attribute_not_exists(typingAt) OR typingAt <= :threshold)',
      ExpressionAttributeValues: { ':now': NOW + 1000, ':state': false, ':wantId': 'w1', ':threshold': NOW },
    });
  });

  it('pageOfChat: one Query page with the userId cursor', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [row], LastEvaluatedKey: { chatId: 'c1', userId: 'alice' } });

    // Act
    const page = await store.pageOfChat('c1', 1, 'aaron');

    // Assess
    expect(page).toEqual({ rows: [row], next: 'alice' });
    expect(ddb).toReceiveCommandWith(QueryCommand, { TableName: 'Memberships', Limit: 1, ExclusiveStartKey: { chatId: 'c1', userId: 'aaron' } });
  });

  it('countOwners: counts owners and rows without a role, every page', async () => {
    // Prepare
    ddb.on(QueryCommand).resolvesOnce({ Items: [{ userId: 'a' }], LastEvaluatedKey: { chatId: 'c1', userId: 'a' } }).resolvesOnce({ Items: [{ userId: 'b' }] });

    // Act + Assess
    expect(await store.countOwners('c1')).toBe(2);
    expect(ddb).toReceiveCommandWith(QueryCommand, { FilterExpression: '#role = :owner OR attribute_not_exists(#role)' });
  });

  it('setRole: conditional on the row, false when absent', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act + Assess
    expect(await store.setRole('c1', 'bob', 'owner')).toBe(true);
    expect(await store.setRole('c1', 'zed', 'owner')).toBe(false);
    expect(ddb).toReceiveCommandWith(UpdateCommand, { UpdateExpression: 'SET #role = :role', ConditionExpression: 'attribute_exists(userId)', ExpressionAttributeValues: { ':role': 'owner' } });
  });

  it('delete: says whether a row was there', async () => {
    // Prepare
    ddb.on(DeleteCommand).resolvesOnce({ Attributes: row }).resolvesOnce({});

    // Act + Assess
    expect(await store.delete('c1', 'alice')).toBe(true);
    expect(await store.delete('c1', 'alice')).toBe(false);
  });
});

describe('Function: createMembershipStore (membersAmong)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('answers which users are in the chat from one strongly consistent BatchGetItem per 100 users, asking each user once', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({ Responses: { Memberships: [{ userId: 'bob' }] } });

    // Act
    const members = await deps.membersAmong('c1', ['alice', 'bob', 'bob']);

    // Assess
    expect(members).toEqual(new Set(['bob']));
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: {
        Memberships: {
          Keys: [{ chatId: 'c1', userId: 'alice' }, { chatId: 'c1', userId: 'bob' }],
          ConsistentRead: true,
          ProjectionExpression: '#a0',
          ExpressionAttributeNames: { '#a0': 'userId' },
        },
      },
    });
  });
});

describe('Function: existingMemberships', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('asks one BatchGetItem for the pairs (keys only) and returns those that exist', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({ Responses: { Memberships: [{ chatId: 'c1', userId: 'bob' }] } });

    // Act
    const found = await deps.whichExist([
      { chatId: 'c1', userId: 'bob' },
      { chatId: 'c1', userId: 'carol' },
    ]);

    // Assess
    expect(found).toEqual([{ chatId: 'c1', userId: 'bob' }]);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: {
        Memberships: {
          Keys: [
            { chatId: 'c1', userId: 'bob' },
            { chatId: 'c1', userId: 'carol' },
          ],
          ConsistentRead: false,
          ProjectionExpression: '#a0, #a1',
          ExpressionAttributeNames: { '#a0': 'chatId', '#a1': 'userId' },
        },
      },
    });
  });
});
