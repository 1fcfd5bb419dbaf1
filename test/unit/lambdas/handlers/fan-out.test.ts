import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { handler as FanOutHandler } from '../../../../lambdas/handlers/fan-out';
import { useHandlerOverSink } from '../../../helpers/connections-sink';

const ddbMock = mockClient(DynamoDBDocumentClient);
// The SDK client still serves everything but the hot post; the posts go to a local @connections sink.
const apiMock = mockClient(ApiGatewayManagementApiClient);
const over = useHandlerOverSink(async () => (await import('../../../../lambdas/handlers/fan-out')).handler);
const handler: typeof FanOutHandler = (event, context) => over.handler()(event, context);

function postedIds(): string[] {
  return over.sink().requests.filter((r) => r.method === 'POST').map((r) => r.connectionId);
}

const FUTURE = Math.floor(Date.now() / 1000) + 3600;

function messageRecord(sequenceNumber: string, chatId: string, item: Record<string, unknown>): DynamoDBRecord {
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    // test/setup.ts sets MESSAGES_TABLE=Messages.
    eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/Messages/stream/2026-11-27T00:00:00.000',
    dynamodb: {
      Keys: marshall({ chatId, messageId: item.messageId }) as Record<string, AttributeValue>,
      NewImage: marshall(item) as Record<string, AttributeValue>,
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const goodMessage = {
  chatId: 'c1',
  messageId: 'm1',
  kind: 'message',
  senderId: 'alice',
  content: 'hi',
  createdAt: '2026-11-27T00:00:00.000Z',
  seq: 1,
  createdSeq: 1,
};

beforeEach(() => {
  over.sink().reset();
  ddbMock.on(QueryCommand, { TableName: 'Rooms' }).resolves({
    Items: [
      { connectionId: 'alice-tab', userId: 'alice', protocol: 'lettera.v1', expiresAt: FUTURE },
      { connectionId: 'bob-tab', userId: 'bob', protocol: 'socket.io', expiresAt: FUTURE },
    ],
  });
});

afterEach(() => {
  ddbMock.reset();
  apiMock.reset();
});

describe('Function: handler', () => {
  it('broadcasts a stream batch through the configured clients and reports nothing on success', async () => {
    // Act
    const response = await handler({ Records: [messageRecord('100', 'c1', goodMessage)] });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ddbMock).toReceiveCommandWith(QueryCommand, { TableName: 'Rooms', ExpressionAttributeValues: { ':room': 'chat:c1' } });
    expect(postedIds().sort()).toEqual(['alice-tab', 'bob-tab']);
    expect(over.sink().requestsTo('bob-tab')[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/eu-west-1\/execute-api\//);
    expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
  });

  it('removes a gone recipient through the shared connection remover, never the sender', async () => {
    // Prepare
    over.sink().script('bob-tab', 410);
    ddbMock
      .on(GetCommand)
      .resolves({ Item: { connectionId: 'bob-tab', userId: 'bob', rooms: new Set(['chat:c1']) } })
      .on(BatchWriteCommand)
      .resolves({})
      .on(UpdateCommand)
      .resolves({})
      .on(DeleteCommand)
      .resolves({});

    // Act
    const response = await handler({ Records: [messageRecord('100', 'c1', goodMessage)] });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ddbMock).toReceiveCommandTimes(GetCommand, 1);
    expect(ddbMock).toReceiveCommandWith(GetCommand, { TableName: 'Connections', Key: { connectionId: 'bob-tab' } });
    expect(ddbMock).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'bob-tab' } });
    expect(ddbMock).not.toReceiveCommandWith(DeleteCommand, { Key: { connectionId: 'alice-tab' } });
  });

  it('reports a malformed record by its sequence number and delivers the rest', async () => {
    // Prepare
    const { content: _content, ...withoutContent } = goodMessage;
    const poison = messageRecord('200', 'c2', { ...withoutContent, chatId: 'c2', messageId: 'm2' });

    // Act
    const response = await handler({ Records: [messageRecord('100', 'c1', goodMessage), poison] });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '200' }] });
    expect(postedIds()).toHaveLength(2);
  });

  it('fails at load when a required environment variable is missing', async () => {
    // Prepare
    vi.resetModules();
    const saved = process.env.ROOMS_TABLE;
    delete process.env.ROOMS_TABLE;

    try {
      // Act
      const load = import('../../../../lambdas/handlers/fan-out');

      // Assess
      await expect(load).rejects.toThrow('Environment variable ROOMS_TABLE is required');
    } finally {
      process.env.ROOMS_TABLE = saved;
    }
  });
});
