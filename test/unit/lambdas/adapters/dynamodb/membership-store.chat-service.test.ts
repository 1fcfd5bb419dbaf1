import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, ForbiddenError } from '../../../../../lambdas/commons/errors';
import { timeOfSortableId } from '../../../../../lambdas/commons/ids';
import { createMembershipStore } from '../../../../../lambdas/adapters/dynamodb/membership-store';
import { createChatService } from '../../../../../lambdas/domain/chats';
import { createUserStore } from '../../../../../lambdas/adapters/dynamodb/user-store';
import { DEFAULT_LIMITS } from '../../../../../lambdas/system/limits';

const MAX_PARTICIPANTS = DEFAULT_LIMITS.maxChatParticipants;

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const NOW = 1_764_204_000_000;
const chats = createChatService({
  memberships: createMembershipStore({ documentClient, membershipsTable: 'Memberships' }),
  users: createUserStore({ documentClient, usersTable: 'Users' }),
  now: () => NOW,
});

const aliceRow = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' };

/** Every membership row written by the BatchWrite calls, in order. */
function writtenRows(): Record<string, unknown>[] {
  return ddb
    .commandCalls(BatchWriteCommand)
    .flatMap((call) => call.args[0].input.RequestItems?.Memberships ?? [])
    .map((request) => request.PutRequest?.Item ?? {});
}

describe('Function: createChatService', () => {
  beforeEach(() => {
    // The Users table: no block, counters always below their limits.
    ddb.on(QueryCommand).resolves({ Items: [], Count: 0 });
    ddb.on(QueryCommand, { TableName: 'Users' }).resolves({ Items: [] });
    ddb.on(GetCommand, { TableName: 'Users' }).resolves({});
    ddb.on(UpdateCommand, { TableName: 'Users' }).resolves({ Attributes: { userId: 'alice', changeCount: 1, changeWindow: NOW, chatCount: 1 } });
  });
  afterEach(() => {
    ddb.reset();
  });

  describe('Method: create', () => {
    it('writes one membership row per participant, the caller first, each carrying the title', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});

      // Act
      const chat = await chats.create('alice', { title: 'Team', participants: ['bob', 'carol'] });

      // Assess
      expect(chat).toEqual({ chatId: expect.any(String), title: 'Team', participants: ['alice', 'bob', 'carol'] });
      expect(timeOfSortableId(chat.chatId)).toBe(NOW);
      expect(writtenRows()).toEqual(
        ['alice', 'bob', 'carol'].map((userId) => ({
          chatId: chat.chatId,
          userId,
          title: 'Team',
          addedAt: new Date(NOW).toISOString(),
          addedBy: 'alice',
          role: userId === 'alice' ? 'owner' : 'member',
          addedWithChat: true,
        })),
      );
      // One rate-limit count for the caller, one chat reserved per participant; nothing read but the caller's blockers.
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 1 + 3);
      expect(ddb).toReceiveCommandWith(UpdateCommand, {
        TableName: 'Users',
        Key: { userId: 'bob', sk: 'counters' },
        ConditionExpression: 'attribute_not_exists(chatCount) OR chatCount < :cap',
      });
    });

    it('includes the caller even when the participant list omits them', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});

      // Act
      const chat = await chats.create('alice', { title: '', participants: [] });

      // Assess
      expect(chat.participants).toEqual(['alice']);
      expect(writtenRows().map((row) => row.userId)).toEqual(['alice']);
    });

    it('collapses duplicates, the caller listed again included', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});

      // Act
      const chat = await chats.create('alice', { title: 'T', participants: ['bob', 'alice', 'bob', 'carol', 'carol'] });

      // Assess
      expect(chat.participants).toEqual(['alice', 'bob', 'carol']);
      expect(writtenRows()).toHaveLength(3);
    });

    it('accepts MAX_PARTICIPANTS in all, writing them in chunks of 25', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});
      const others = Array.from({ length: MAX_PARTICIPANTS - 1 }, (_, i) => `u${i}`);

      // Act
      const chat = await chats.create('alice', { title: 'Big', participants: others });

      // Assess
      expect(chat.participants).toHaveLength(MAX_PARTICIPANTS);
      expect(ddb).toReceiveCommandTimes(BatchWriteCommand, Math.ceil(MAX_PARTICIPANTS / 25));
      expect(writtenRows()).toHaveLength(MAX_PARTICIPANTS);
    });

    it('refuses one participant over the cap, counting the caller, and writes nothing', async () => {
      // Prepare
      const others = Array.from({ length: MAX_PARTICIPANTS }, (_, i) => `u${i}`);

      // Act
      const attempt = chats.create('alice', { title: 'Too big', participants: others });

      // Assess
      await expect(attempt).rejects.toThrow(new BadRequestError(`A chat has at most ${MAX_PARTICIPANTS} participants`));
      await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
      expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    });

    it('counts the cap after collapsing duplicates', async () => {
      // Prepare
      ddb.on(BatchWriteCommand).resolves({});
      const others = Array.from({ length: MAX_PARTICIPANTS - 1 }, (_, i) => `u${i}`);

      // Act
      const chat = await chats.create('alice', { title: 'T', participants: [...others, ...others, 'alice'] });

      // Assess
      expect(chat.participants).toHaveLength(MAX_PARTICIPANTS);
    });
  });

  describe('Method: listForUser', () => {
    it('reads one page of the byUser index and nothing else, returning its cursor', async () => {
      // Prepare
      ddb.on(QueryCommand, { IndexName: 'byUser' }).resolves({
        Items: [{ chatId: 'c1', userId: 'alice', title: 'One', role: 'owner' }, { chatId: 'c2', userId: 'alice', title: 'Two', role: 'member' }],
        LastEvaluatedKey: { chatId: 'c2', userId: 'alice' },
      });

      // Act
      const page = await chats.listForUser('alice', { limit: 2, cursor: 'c0' });

      // Assess
      expect(page).toEqual({
        items: [{ chatId: 'c1', title: 'One', role: 'owner' }, { chatId: 'c2', title: 'Two', role: 'member' }],
        next: 'c2',
      });
      expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
      expect(ddb).toReceiveCommandWith(QueryCommand, {
        TableName: 'Memberships',
        IndexName: 'byUser',
        ExpressionAttributeValues: { ':pk': 'alice' },
        Limit: 2,
        ExclusiveStartKey: { userId: 'alice', chatId: 'c0' },
      });
    });

    it('returns an empty page without a cursor for a user in no chat', async () => {
      // Act
      const list = await chats.listForUser('nobody');

      // Assess
      expect(list).toEqual({ items: [] });
      expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
    });
  });

  describe('Method: addParticipant', () => {
    it('adds the user with the chat\'s title, only if not already there', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: aliceRow });
      ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: 2 });
      ddb.on(PutCommand).resolves({});

      // Act
      const result = await chats.addParticipant('alice', 'c1', 'dave');

      // Assess
      expect(result).toEqual({ chatId: 'c1', userId: 'dave', role: 'member', added: true });
      expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'alice' }, ConsistentRead: true });
      expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Users', Key: { userId: 'dave', sk: 'block#alice' }, ConsistentRead: true });
      expect(ddb).toReceiveCommandWith(PutCommand, {
        TableName: 'Memberships',
        Item: { chatId: 'c1', userId: 'dave', title: 'Team', addedAt: new Date(NOW).toISOString(), addedBy: 'alice', role: 'member' },
        ConditionExpression: 'attribute_not_exists(userId)',
      });
    });

    it('refuses a caller who is not a participant, writing nothing', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});

      // Act
      const attempt = chats.addParticipant('mallory', 'c1', 'mallory');

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
      expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    });

    it('refuses to add past MAX_PARTICIPANTS with CONFLICT, writing nothing', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: aliceRow });
      ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: MAX_PARTICIPANTS });

      // Act
      const attempt = chats.addParticipant('alice', 'c1', 'dave');

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      expect(ddb).toReceiveCommandWith(QueryCommand, { ExpressionAttributeValues: { ':chatId': 'c1' }, Select: 'COUNT' });
      expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    });

    it('succeeds without a second write when the user is already a participant', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: aliceRow });
      ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: 2 });
      ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

      // Act
      const result = await chats.addParticipant('alice', 'c1', 'bob');

      // Assess
      expect(result).toMatchObject({ chatId: 'c1', userId: 'bob', added: false });
      expect(ddb).toReceiveCommandTimes(PutCommand, 1);
      // The chat reserved for bob is given back.
      expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Users', Key: { userId: 'bob', sk: 'counters' }, UpdateExpression: 'SET chatCount = chatCount - :one' });
    });

    it('lets any other write failure through', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: aliceRow });
      ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: 2 });
      ddb.on(PutCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));

      // Act + Assess
      await expect(chats.addParticipant('alice', 'c1', 'bob')).rejects.toThrow('throttled');
    });
  });

  describe('Method: removeParticipant', () => {
    it('lets an owner (a row from before roles counts as one) remove another participant', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: aliceRow });
      ddb.on(DeleteCommand).resolves({});

      // Act
      await chats.removeParticipant('alice', 'c1', 'bob');

      // Assess
      expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'bob' } });
    });

    it('lets a participant leave (remove themselves), giving their chat back', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: { ...aliceRow, role: 'member' } });
      ddb.on(DeleteCommand).resolves({ Attributes: aliceRow });

      // Act
      await chats.removeParticipant('alice', 'c1', 'alice');

      // Assess
      expect(ddb).toReceiveCommandWith(DeleteCommand, { Key: { chatId: 'c1', userId: 'alice' }, ReturnValues: 'ALL_OLD' });
      expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Users', Key: { userId: 'alice', sk: 'counters' }, ConditionExpression: 'chatCount > :zero' });
    });

    it('refuses a caller who is not a participant, deleting nothing', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});

      // Act
      const attempt = chats.removeParticipant('mallory', 'c1', 'alice');

      // Assess
      await expect(attempt).rejects.toThrow(new ForbiddenError('Not a participant of this chat'));
      expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
    });

    it('treats removing someone who is not in the chat as a plain delete (no error)', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: aliceRow });
      ddb.on(DeleteCommand).resolves({});

      // Act + Assess
      await expect(chats.removeParticipant('alice', 'c1', 'stranger')).resolves.toBeUndefined();
      expect(ddb).toReceiveCommandTimes(DeleteCommand, 1);
    });
  });
});
