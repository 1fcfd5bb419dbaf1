import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../../../lambdas/commons/metric-names';
import { captureEmf, importWithMetrics, total } from '../../../helpers/emf';
import { handler } from '../../../../lambdas/handlers/disconnect';
import { createDisconnectEvent } from '../../../helpers/events';

const ddb = mockClient(DynamoDBDocumentClient);

describe('Function: disconnect handler', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('removes the connection, its rooms and its presence entry', async () => {
    // Prepare
    const row = { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice', 'chat:c1']) };
    ddb.on(GetCommand).resolves({ Item: row });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({ Attributes: row });

    // Act
    const result = await handler(createDisconnectEvent());

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', Key: { userId: 'alice' } });
  });

  it('is idempotent: a second disconnect of a removed connection succeeds', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const result = await handler(createDisconnectEvent());

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
  });

  it('fails visibly when DynamoDB throttles', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act + Assess
    await expect(handler(createDisconnectEvent())).rejects.toThrow('throttled');
  });
});

describe('Function: disconnect handler (metrics)', () => {
  afterEach(() => {
    ddb.reset();
    vi.unstubAllEnvs();
  });

  it('counts a handled $disconnect as ConnectionsClosed, and a failed cleanup not at all', async () => {
    // Prepare
    const { handler: fresh } = await importWithMetrics<typeof import('../../../../lambdas/handlers/disconnect')>('../../../../lambdas/handlers/disconnect');
    ddb.on(GetCommand).resolvesOnce({}).rejects(new Error('DynamoDB unavailable'));

    // Act
    const emitted = await captureEmf(async () => {
      await fresh(createDisconnectEvent());
      await expect(fresh(createDisconnectEvent())).rejects.toThrow('DynamoDB unavailable');
    });

    // Assess
    expect(total(emitted, METRIC.connectionsClosed)).toBe(1);
  });
});
