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

describe('Function: batchWriteAll (concurrency)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('keeps at most `concurrency` chunks in flight', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    ddb.on(BatchWriteCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight -= 1;
      return {};
    });

    // Act
    await batchWriteAll(documentClient, 'Rooms', puts(250), { sleep: noSleep, concurrency: 4 });

    // Assess
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 10);
    expect(most).toBe(4);
  });
});

describe('Function: batchGetAll', () => {
  afterEach(() => {
    ddb.reset();
  });
  const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ connectionId: `c${i}` }));

  it('reads in chunks of 100, strongly consistent when asked, projecting only the attributes asked for', async () => {
    // Prepare
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Record<string, string>[] }> }) => ({
      Responses: { Connections: input.RequestItems.Connections!.Keys.filter((key) => key.connectionId !== 'c7') },
    }));

    // Act
    const items = await batchGetAll(documentClient, 'Connections', keys(150), { consistentRead: true, attributes: ['connectionId', 'userId'] });

    // Assess
    expect(items).toHaveLength(149);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 2);
    expect(ddb).toReceiveNthCommandWith(BatchGetCommand, 1, {
      RequestItems: {
        Connections: {
          Keys: keys(100),
          ConsistentRead: true,
          ProjectionExpression: '#a0, #a1',
          ExpressionAttributeNames: { '#a0': 'connectionId', '#a1': 'userId' },
        },
      },
    });
  });

  it('retries unprocessed keys until every item is read', async () => {
    // Prepare
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { Connections: [{ connectionId: 'c0' }] }, UnprocessedKeys: { Connections: { Keys: [{ connectionId: 'c1' }] } } })
      .resolvesOnce({ Responses: { Connections: [{ connectionId: 'c1' }] } });

    // Act
    const items = await batchGetAll(documentClient, 'Connections', keys(2), { sleep: noSleep });

    // Assess
    expect(items).toEqual([{ connectionId: 'c0' }, { connectionId: 'c1' }]);
    expect(ddb).toReceiveNthCommandWith(BatchGetCommand, 2, { RequestItems: { Connections: { Keys: [{ connectionId: 'c1' }], ConsistentRead: false } } });
  });

  it('throws, rather than answering without some items, when keys stay unprocessed after every attempt', async () => {
    // Prepare
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({ UnprocessedKeys: input.RequestItems }));

    // Act + Assess
    await expect(batchGetAll(documentClient, 'Connections', keys(3), { sleep: noSleep, maxAttempts: 3 })).rejects.toThrow(
      new UnprocessedItemsError('Connections', 3, 'BatchGet'),
    );
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 3);
  });

  it('sends nothing for no keys', async () => {
    // Act
    const items = await batchGetAll(documentClient, 'Connections', []);

    // Assess
    expect(items).toEqual([]);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 0);
  });
});
