import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionStore } from '../../../../../lambdas/adapters/dynamodb/connection-store';

const ddb = mockClient(DynamoDBDocumentClient);
const store = createConnectionStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), connectionsTable: 'Connections' });

describe('Function: createConnectionStore (getMany)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('reads the rows that exist, strongly consistent, 100 keys per BatchGetItem, each id once', async () => {
    // Prepare
    const ids = Array.from({ length: 120 }, (_, i) => `c${i}`);
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: { Connections: { Keys: { connectionId: string }[] } } }) => ({
      Responses: { Connections: input.RequestItems.Connections.Keys.filter((key) => key.connectionId !== 'c3').map((key) => ({ ...key, userId: 'u' })) },
    }));

    // Act
    const rows = await store.getMany([...ids, 'c0']);

    // Assess
    expect(rows).toHaveLength(119);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 2);
    expect(ddb).toReceiveNthCommandWith(BatchGetCommand, 1, { RequestItems: { Connections: { Keys: ids.slice(0, 100).map((connectionId) => ({ connectionId })), ConsistentRead: true } } });
  });
});
