import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Publisher } from '../../../../lambdas/domain/publisher';
import { handler, MAX_PUBLISH_BODY_BYTES, routePublishRequest } from '../../../../lambdas/handlers/publish';
import { createHttpEvent } from '../../../helpers/events';

const ddb = mockClient(DynamoDBDocumentClient);
const OBJECT_ID = '65f1c0ffee0123456789abcd';
const newMessage = { type: 'message:new', data: { messageId: OBJECT_ID, chatId: 'c1', senderId: 'alice', content: 'hi' } };

const publishEvent = (body: unknown, routeKey = 'POST /publish') => createHttpEvent({ method: 'POST', path: '/publish', routeKey, body });
const parsed = (result: { body?: string }) => JSON.parse(result.body ?? 'null');

function fakePublisher(): Publisher {
  return {
    newMessage: vi.fn().mockResolvedValue({ messageId: OBJECT_ID }),
    editMessage: vi.fn(),
    deleteMessage: vi.fn(),
    setParticipants: vi.fn(),
    emitToUser: vi.fn(),
    emitToChat: vi.fn(),
  };
}

describe('Function: publish handler', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('stores a published message through the message store (200 with the message)', async () => {
    // Prepare
    ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: 2 });
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const result = await handler(publishEvent(newMessage));

    // Assess: one transaction with the sender's membership check (which moves their read position), the chat's head and the message at the next position.
    expect(result.statusCode).toBe(200);
    expect(parsed(result)).toMatchObject({ messageId: OBJECT_ID, chatId: 'c1', senderId: 'alice', content: 'hi', seq: 1 });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((item) => Object.keys(item)[0])).toEqual(['Update', 'Update', 'Put']);
    expect(items[0]?.Update).toMatchObject({ TableName: 'Memberships', ConditionExpression: 'attribute_exists(userId)', ExpressionAttributeValues: { ':readMessageId': OBJECT_ID, ':readSeq': 1 } });
    expect(items[2]?.Put).toMatchObject({
      TableName: 'Messages',
      Item: expect.objectContaining({ chatId: 'c1', messageId: OBJECT_ID, kind: 'message', seq: 1 }),
      ConditionExpression: 'attribute_not_exists(messageId)',
    });
  });

  it('answers an unknown chat with 404 NOT_FOUND and writes nothing', async () => {
    // Prepare
    ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: 0 });

    // Act
    const result = await handler(publishEvent(newMessage));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(parsed(result)).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('setChatParticipants') } });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it.each([
    ['no body', undefined, 400, 'BAD_REQUEST'],
    ['a body that is not JSON', '{"type":', 400, 'BAD_REQUEST'],
    ['an unknown type', { type: 'message:send', data: {} }, 400, 'BAD_REQUEST'],
    ['a body over the limit', JSON.stringify({ type: 'emit:user', data: { userId: 'bob', event: 'x', data: 'y'.repeat(MAX_PUBLISH_BODY_BYTES) } }), 413, 'PAYLOAD_TOO_LARGE'],
  ])('refuses %s before the publisher is asked', async (_name, body, status, code) => {
    // Prepare
    const publisher = fakePublisher();

    // Act
    const result = await routePublishRequest(publisher, publishEvent(body));

    // Assess
    expect(result.statusCode).toBe(status);
    expect(parsed(result).error.code).toBe(code);
    for (const method of Object.values(publisher)) expect(vi.mocked(method)).not.toHaveBeenCalled();
  });

  it('answers another route key with 404', async () => {
    // Act
    const result = await routePublishRequest(fakePublisher(), publishEvent(newMessage, 'POST /chats'));

    // Assess
    expect(result.statusCode).toBe(404);
  });

  it('answers a store failure with 500 INTERNAL and no details', async () => {
    // Prepare
    ddb.on(QueryCommand).rejects(new Error('throttled: internal detail'));
    ddb.on(GetCommand).resolves({});

    // Act
    const result = await handler(publishEvent(newMessage));

    // Assess
    expect(result.statusCode).toBe(500);
    expect(parsed(result)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
  });
});
