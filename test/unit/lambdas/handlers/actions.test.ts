import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCanceled } from '../../../helpers/transactions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/handlers/actions';
import { createActionEvent, createWsEvent } from '../../../helpers/events';

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);

function bodyOf(result: { body?: string }): unknown {
  return result.body === undefined ? undefined : JSON.parse(result.body);
}

describe('Function: actions handler', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { TableName: 'Connections' }).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1' } });
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: { chatId: 'c1', userId: 'alice', title: 'T' } });
    ddb.on(GetCommand, { TableName: 'Rooms' }).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    api.on(PostToConnectionCommand).resolves({});
  });
  afterEach(() => {
    ddb.reset();
    api.reset();
  });

  it('sends a message: writes to DynamoDB only and acks the stored message', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});
    const event = createActionEvent({ action: 'message:send', data: { chatId: 'c1', content: 'hello' }, ackId: 7 });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ event: 'ack', ackId: 7, data: expect.objectContaining({ chatId: 'c1', senderId: 'alice', content: 'hello', seq: 1 }) });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
    expect(api).toReceiveCommandTimes(PostToConnectionCommand, 0);
  });

  it('acks a send over the flood limit with RATE_LIMITED and writes no message', async () => {
    // Prepare: the window is full and still open.
    const full = { chatId: 'c1', userId: 'alice', title: 'T', sendWindow: Date.now(), sendCount: 20 };
    ddb.on(TransactWriteCommand).rejects(transactionCanceled([{ code: 'ConditionalCheckFailed', item: full }, 'None', 'None']));
    const event = createActionEvent({ action: 'message:send', data: { chatId: 'c1', content: 'hello' }, ackId: 8 });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ event: 'ack', ackId: 8, error: { code: 'RATE_LIMITED', message: expect.stringMatching(/20 messages per 10 s/) } });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('broadcasts typing to the other users of the room through the real broadcaster', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});
    ddb.on(QueryCommand, { TableName: 'Users' }).resolves({ Items: [] });
    ddb.on(QueryCommand, { TableName: 'Rooms' }).resolves({
      Items: [
        { room: 'chat:c1', connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1' },
        { room: 'chat:c1', connectionId: 'conn-2=', userId: 'alice', protocol: 'lettera.v1' },
        { room: 'chat:c1', connectionId: 'conn-3=', userId: 'bob', protocol: 'lettera.v1' },
      ],
    });
    const event = createActionEvent({ action: 'user:typing', data: { chatId: 'c1' }, ackId: 1 });

    // Act
    const result = await handler(event);

    // Assess
    expect(bodyOf(result)).toEqual({ event: 'ack', ackId: 1, data: { delivered: true } });
    expect(api).toReceiveCommandTimes(PostToConnectionCommand, 1);
    expect(api).toReceiveCommandWith(PostToConnectionCommand, { ConnectionId: 'conn-3=' });
  });

  it('answers non-JSON on $default with an error frame and keeps the socket open', async () => {
    // Act
    const result = await handler(createWsEvent({ routeKey: '$default', body: 'not json' }));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ event: 'error', data: { code: 'BAD_REQUEST', message: 'Frame is not valid JSON' } });
  });

  it('answers a binary frame with an error frame', async () => {
    // Prepare
    const event = createWsEvent({ routeKey: '$default', body: Buffer.from([1, 2, 3]).toString('base64') });
    event.isBase64Encoded = true;

    // Act
    const result = await handler(event);

    // Assess
    expect(bodyOf(result)).toMatchObject({ event: 'error', data: { code: 'BAD_REQUEST' } });
  });

  it('refuses a frame from a connection that is not registered', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Connections' }).resolves({});

    // Act
    const result = await handler(createActionEvent({ action: 'message:send', data: { chatId: 'c1', content: 'x' }, ackId: 2 }));

    // Assess
    expect(bodyOf(result)).toMatchObject({ event: 'ack', ackId: 2, error: { code: 'UNAUTHORIZED' } });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 0);
  });

  it('refuses a spoofed senderId', async () => {
    // Act
    const result = await handler(createActionEvent({ action: 'message:send', data: { chatId: 'c1', content: 'x', senderId: 'bob' }, ackId: 3 }));

    // Assess
    expect(bodyOf(result)).toMatchObject({ event: 'ack', ackId: 3, error: { code: 'BAD_REQUEST' } });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 0);
  });

  it('refuses typing in a chat the user is not in', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Rooms' }).resolves({});

    // Act
    const result = await handler(createActionEvent({ action: 'user:typing', data: { chatId: 'secret' } }));

    // Assess
    expect(bodyOf(result)).toMatchObject({ event: 'error', data: { code: 'FORBIDDEN' } });
    expect(api).toReceiveCommandTimes(PostToConnectionCommand, 0);
  });

  it('surfaces DynamoDB throttling as an INTERNAL error, not a success', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }));

    // Act
    const result = await handler(createActionEvent({ action: 'message:send', data: { chatId: 'c1', content: 'x' }, ackId: 4 }));

    // Assess
    expect(bodyOf(result)).toEqual({ event: 'ack', ackId: 4, error: { code: 'INTERNAL', message: 'Internal error' } });
  });
});
