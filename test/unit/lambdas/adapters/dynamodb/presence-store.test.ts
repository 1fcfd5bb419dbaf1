import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { presenceOfUsers, setPresenceStatus } from '../../../../../lambdas/adapters/dynamodb/presence-store';

const ddb = mockClient(DynamoDBDocumentClient);
const storeDeps = { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), presenceTable: 'Presence' };
const statusOf = presenceOfUsers(storeDeps);
const setStatus = setPresenceStatus(storeDeps);

describe('Function: presenceOfUsers', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('reads every user in one BatchGetItem and counts each one\'s open connections', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        Presence: [
          { userId: 'bob', connectionIds: new Set(['b1', 'b2']), updatedAt: 1_764_201_600_000, state: 'busy', statusText: 'In a meeting' },
          { userId: 'carol', updatedAt: 1_764_201_000_000 },
        ],
      },
    });

    // Act
    const rows = await statusOf(['bob', 'carol', 'dave', 'bob']);

    // Assess
    expect(rows).toEqual([
      { userId: 'bob', connections: 2, updatedAt: 1_764_201_600_000, state: 'busy', text: 'In a meeting' },
      { userId: 'carol', connections: 0, updatedAt: 1_764_201_000_000 },
    ]);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 1);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: {
        Presence: {
          Keys: [{ userId: 'bob' }, { userId: 'carol' }, { userId: 'dave' }],
          ConsistentRead: false,
          ProjectionExpression: '#a0, #a1, #a2, #a3, #a4',
          ExpressionAttributeNames: { '#a0': 'userId', '#a1': 'connectionIds', '#a2': 'updatedAt', '#a3': 'state', '#a4': 'statusText' },
        },
      },
    });
  });

  it('refuses more than 100 users before any request', async () => {
    // Act + Assess
    await expect(statusOf(Array.from({ length: 101 }, (_, i) => `u${i}`))).rejects.toThrow(RangeError);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 0);
  });

  it('skips an item without a string userId and leaves out an updatedAt, state or text it cannot use', async () => {
    // Prepare
    ddb.on(BatchGetCommand).resolves({ Responses: { Presence: [{ connectionIds: new Set(['x']) }, { userId: 'bob', updatedAt: 'yesterday', state: 'asleep', statusText: 7 }] } });

    // Act
    const rows = await statusOf(['bob']);

    // Assess
    expect(rows).toEqual([{ userId: 'bob', connections: 0 }]);
  });
});

describe('Function: setPresenceStatus', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('sets state, text and statusAt in one UpdateItem, on the condition that the last change is older than the throttle', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    const write = await setStatus('alice', { state: 'busy', text: 'In a meeting' }, 10_000, 1000);

    // Assess
    expect(write).toEqual({ outcome: 'written' });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Presence',
      Key: { userId: 'alice' },
      UpdateExpression: 'SET #state = :state, statusAt = :now, statusText = :text',
      ConditionExpression: 'attribute_not_exists(statusAt) OR statusAt <= :threshold',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': 'busy', ':now': 10_000, ':threshold': 9000, ':text': 'In a meeting' },
    });
  });

  it('removes the text when none is given', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    await setStatus('alice', { state: 'online' }, 10_000, 1000);

    // Assess
    expect(ddb).toReceiveCommandWith(UpdateCommand, { UpdateExpression: 'SET #state = :state, statusAt = :now REMOVE statusText', ExpressionAttributeValues: { ':state': 'online', ':now': 10_000, ':threshold': 9000 } });
  });

  it('is refused within the throttle, saying when a change will pass', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'throttled', $metadata: {}, Item: marshall({ userId: 'alice', statusAt: 9_600 }) }));

    // Act
    const write = await setStatus('alice', { state: 'away' }, 10_000, 1000);

    // Assess
    expect(write).toEqual({ outcome: 'refused', retryAfterMs: 600 });
  });
});
