import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createUserStore } from '../../../../../lambdas/adapters/dynamodb/user-store';

const ddb = mockClient(DynamoDBDocumentClient);
const users = createUserStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), usersTable: 'Users' });
const NOW = 1_764_204_000_000;
const refused = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, ...(item !== undefined && { Item: marshall(item) }) });

describe('Function: createUserStore', () => {
  afterEach(() => {
    ddb.reset();
  });

  describe('Method: countChange', () => {
    it('counts in the open window with one conditional UpdateItem on the counters row, creating it if needed', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolves({ Attributes: { userId: 'alice', sk: 'counters', changeCount: 1, changeWindow: NOW } });

      // Act
      const write = await users.countChange('alice', NOW, 30);

      // Assess
      expect(write).toEqual({ outcome: 'written', row: { userId: 'alice', sk: 'counters', changeCount: 1, changeWindow: NOW } });
      expect(ddb).toReceiveCommandWith(UpdateCommand, {
        TableName: 'Users',
        Key: { userId: 'alice', sk: 'counters' },
        ConditionExpression: 'attribute_not_exists(changeCount) OR changeCount < :limit',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': NOW, ':limit': 30 },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('returns the row as it was when the window is full', async () => {
      // Prepare
      ddb.on(UpdateCommand).rejects(refused({ userId: 'alice', sk: 'counters', changeCount: 30, changeWindow: NOW - 5 }));

      // Act + Assess
      expect(await users.countChange('alice', NOW, 30)).toEqual({ outcome: 'refused', old: { userId: 'alice', sk: 'counters', changeCount: 30, changeWindow: NOW - 5 } });
    });
  });

  describe('Method: reserveChat / releaseChat', () => {
    it('reserves under the cap and says false when at it', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolvesOnce({ Attributes: { chatCount: 1 } }).rejectsOnce(refused({ userId: 'bob', chatCount: 1000 }));

      // Act
      const first = await users.reserveChat('bob', 1000);
      const second = await users.reserveChat('bob', 1000);

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(ddb).toReceiveCommandWith(UpdateCommand, { ConditionExpression: 'attribute_not_exists(chatCount) OR chatCount < :cap', ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':cap': 1000 } });
    });

    it('releases without going below zero (a refused condition is not an error)', async () => {
      // Prepare
      ddb.on(UpdateCommand).rejects(refused({ userId: 'bob', chatCount: 0 }));

      // Act + Assess
      await expect(users.releaseChat('bob')).resolves.toBeUndefined();
      expect(ddb).toReceiveCommandWith(UpdateCommand, { UpdateExpression: 'SET chatCount = chatCount - :one', ConditionExpression: 'chatCount > :zero' });
    });

    it('lets any other failure through', async () => {
      // Prepare
      ddb.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));

      // Act + Assess
      await expect(users.reserveChat('bob', 10)).rejects.toThrow('throttled');
    });
  });

  describe('Method: putBlock', () => {
    it('writes the blocked user\'s row, then the blocker\'s conditionally', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});

      // Act
      const created = await users.putBlock('alice', 'mallory', '2026-11-29T10:00:00.000Z');

      // Assess
      expect(created).toBe(true);
      const puts = ddb.commandCalls(PutCommand).map((call) => call.args[0].input);
      expect(puts).toEqual([
        { TableName: 'Users', Item: { userId: 'mallory', sk: 'blockedBy#alice', blockedAt: '2026-11-29T10:00:00.000Z' } },
        {
          TableName: 'Users',
          Item: { userId: 'alice', sk: 'block#mallory', blockedAt: '2026-11-29T10:00:00.000Z' },
          ConditionExpression: 'attribute_not_exists(userId)',
        },
      ]);
    });

    it('answers false for a block that existed', async () => {
      // Prepare
      ddb.on(PutCommand).resolvesOnce({}).rejectsOnce(refused());

      // Act + Assess
      expect(await users.putBlock('alice', 'mallory', '2026-11-29T10:00:00.000Z')).toBe(false);
    });
  });

  describe('Method: deleteBlock', () => {
    it('deletes both rows and says whether the block existed', async () => {
      // Prepare
      ddb.on(DeleteCommand).resolvesOnce({ Attributes: { userId: 'alice' } }).resolves({});

      // Act
      const existed = await users.deleteBlock('alice', 'mallory');

      // Assess
      expect(existed).toBe(true);
      expect(ddb).toReceiveCommandWith(DeleteCommand, { Key: { userId: 'alice', sk: 'block#mallory' }, ReturnValues: 'ALL_OLD' });
      expect(ddb).toReceiveCommandWith(DeleteCommand, { Key: { userId: 'mallory', sk: 'blockedBy#alice' } });
    });
  });

  describe('Method: hasBlocked / blockersOf / relationsOf', () => {
    it('checks one block with a strongly consistent GetItem', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({ Item: { userId: 'victim' } });

      // Act + Assess
      expect(await users.hasBlocked('victim', 'mallory')).toBe(true);
      expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Users', Key: { userId: 'victim', sk: 'block#mallory' }, ConsistentRead: true });
    });

    it('reads every page of the blockedBy rows', async () => {
      // Prepare
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [{ sk: 'blockedBy#bob' }], LastEvaluatedKey: { userId: 'mallory', sk: 'blockedBy#bob' } })
        .resolvesOnce({ Items: [{ sk: 'blockedBy#carol' }] });

      // Act + Assess
      expect(await users.blockersOf('mallory')).toEqual(['bob', 'carol']);
      expect(ddb).toReceiveCommandWith(QueryCommand, { ExpressionAttributeValues: { ':userId': 'mallory', ':prefix': 'blockedBy#' } });
    });

    it('reads both directions of a user\'s blocks in one Query', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [{ sk: 'block#mallory' }, { sk: 'blockedBy#carol' }] });

      // Act + Assess
      expect(await users.relationsOf('alice')).toEqual(new Set(['mallory', 'carol']));
      expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
    });
  });

  describe('Method: blocksPage', () => {
    it('pages the blocker\'s rows with the blocked user id as the cursor', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({
        Items: [{ userId: 'alice', sk: 'block#mallory', blockedAt: '2026-11-29T10:00:00.000Z' }],
        LastEvaluatedKey: { userId: 'alice', sk: 'block#mallory' },
      });

      // Act
      const page = await users.blocksPage('alice', 1, 'bob');

      // Assess
      expect(page).toEqual({ items: [{ userId: 'mallory', blockedAt: '2026-11-29T10:00:00.000Z' }], next: 'mallory' });
      expect(ddb).toReceiveCommandWith(QueryCommand, { Limit: 1, ExclusiveStartKey: { userId: 'alice', sk: 'block#bob' } });
    });
  });
});
