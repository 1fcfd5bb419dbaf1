import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { presenceOfUsers } from '../../../../../lambdas/adapters/dynamodb/presence-store';

const ddb = mockClient(DynamoDBDocumentClient);
const statusOf = presenceOfUsers({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), presenceTable: 'Presence' });

describe('Function: presenceOfUsers', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('reads every user in one BatchGetItem and counts each one\'s open connections', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        Presence: [
          { userId: 'bob', connectionIds: new Set(['b1', 'b2']), updatedAt: 1_764_201_600_000 },
          { userId: 'carol', updatedAt: 1_764_201_000_000 },
        ],
      },
    });

    // Act
    const rows = await statusOf(['bob', 'carol', 'dave', 'bob']);

    // Assess
    expect(rows).toEqual([
      { userId: 'bob', connections: 2, updatedAt: 1_764_201_600_000 },
      { userId: 'carol', connections: 0, updatedAt: 1_764_201_000_000 },
    ]);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 1);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: { Presence: { Keys: [{ userId: 'bob' }, { userId: 'carol' }, { userId: 'dave' }], ProjectionExpression: 'userId, connectionIds, updatedAt' } },
    });
  });

  it('refuses more than 100 users before any request', async () => {
    // Act + Assess
    await expect(statusOf(Array.from({ length: 101 }, (_, i) => `u${i}`))).rejects.toThrow(RangeError);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 0);
  });

  it('skips an item without a string userId and leaves out updatedAt that is not a number', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({ Responses: { Presence: [{ connectionIds: new Set(['x']) }, { userId: 'bob', updatedAt: 'yesterday' }] } });

    // Act
    const rows = await statusOf(['bob']);

    // Assess
    expect(rows).toEqual([{ userId: 'bob', connections: 0 }]);
  });
});
