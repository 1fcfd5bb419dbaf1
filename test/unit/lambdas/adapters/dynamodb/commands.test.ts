import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWriteAll, UnprocessedItemsError } from '../../../../../lambdas/adapters/dynamodb/commands';

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
