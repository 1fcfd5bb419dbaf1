import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchGetAll, batchWriteAll, UnprocessedItemsError } from '../../../../../lambdas/adapters/dynamodb/commands';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const noSleep = async (): Promise<void> => undefined;
const puts = (n: number) => Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { room: `r${i}`, connectionId: 'c' } } }));

describe('Function: batchWriteAll', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('splits requests into chunks of 25', async () => {
    // Prepare
    ddb.on(BatchWriteCommand).resolves({});

    // Act
    await batchWriteAll(documentClient, 'Rooms', puts(60), { sleep: noSleep });

    // Assess
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 3);
  });

  it('throws, rather than dropping items, when unprocessed items remain after every attempt', async () => {
    // Prepare
    ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({ UnprocessedItems: input.RequestItems }));

    // Act + Assess
    await expect(batchWriteAll(documentClient, 'Rooms', puts(3), { sleep: noSleep, maxAttempts: 4 })).rejects.toBeInstanceOf(UnprocessedItemsError);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 4);
  });
});

describe('Function: batchGetAll', () => {
  afterEach(() => {
    ddb.reset();
  });

  const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: `u${i}` }));

  it('reads 250 keys in chunks of 100 with the projection asked for', async () => {
    // Prepare
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Array<{ userId: string }> }> }) => ({
      Responses: { Presence: input.RequestItems.Presence!.Keys.map((key) => ({ ...key, connectionIds: new Set(['c']) })) },
    }));

    // Act
    const items = await batchGetAll(documentClient, 'Presence', keys(250), { sleep: noSleep, projection: 'userId, connectionIds' });

    // Assess
    expect(items).toHaveLength(250);
    expect(ddb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.Presence?.Keys?.length)).toEqual([100, 100, 50]);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, { RequestItems: { Presence: { Keys: keys(100), ProjectionExpression: 'userId, connectionIds' } } });
  });

  it('retries the keys DynamoDB returns unprocessed, and only those', async () => {
    // Prepare
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { Presence: [{ userId: 'u0' }] }, UnprocessedKeys: { Presence: { Keys: [{ userId: 'u1' }, { userId: 'u2' }] } } })
      .resolvesOnce({ Responses: { Presence: [{ userId: 'u1' }] } });

    // Act
    const items = await batchGetAll(documentClient, 'Presence', keys(3), { sleep: noSleep });

    // Assess
    expect(items).toEqual([{ userId: 'u0' }, { userId: 'u1' }]);
    expect(ddb.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.Presence?.Keys).toEqual([{ userId: 'u1' }, { userId: 'u2' }]);
  });

  it('throws, rather than answering without some items, when keys stay unprocessed after every attempt', async () => {
    // Prepare
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, unknown> }) => ({ UnprocessedKeys: input.RequestItems }));

    // Act + Assess
    await expect(batchGetAll(documentClient, 'Presence', keys(2), { sleep: noSleep, maxAttempts: 3 })).rejects.toThrow(
      new UnprocessedItemsError('Presence', 2, 'BatchGet'),
    );
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 3);
  });
});
