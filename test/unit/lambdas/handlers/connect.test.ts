import { DynamoDBDocumentClient, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../../../lambdas/commons/metric-names';
import { handler } from '../../../../lambdas/handlers/connect';
import { captureEmf, importWithMetrics, named, total } from '../../../helpers/emf';
import { createConnectEvent } from '../../../helpers/events';
import { b64, signToken } from '../tokens';

const ddb = mockClient(DynamoDBDocumentClient);

describe('Function: connect handler', () => {
  beforeEach(() => {
    ddb.on(QueryCommand).resolves({ Items: [{ chatId: 'c1' }] });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
  });
  afterEach(() => {
    ddb.reset();
  });

  it('accepts a token from the subprotocol list and echoes only lettera.v1', async () => {
    // Prepare
    const token = await signToken('alice');
    const event = createConnectEvent({ headers: { 'Sec-WebSocket-Protocol': `lettera.v1, ${token}` } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'lettera.v1' } });
    expect(ddb).toReceiveCommandWith(PutCommand, { TableName: 'Connections', Item: expect.objectContaining({ userId: 'alice', protocol: 'lettera.v1' }) });
    expect(ddb).toReceiveCommandWith(BatchWriteCommand, {
      RequestItems: {
        Rooms: [
          { PutRequest: { Item: expect.objectContaining({ room: 'user:alice', connectionId: 'conn-1=' }) } },
          { PutRequest: { Item: expect.objectContaining({ room: 'chat:c1', connectionId: 'conn-1=' }) } },
        ],
      },
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', Key: { userId: 'alice' } });
  });

  it('accepts ?token= and returns no subprotocol header when none was offered', async () => {
    // Prepare
    const event = createConnectEvent({ queryStringParameters: { token: await signToken('alice') } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
  });

  it.each([
    ['no token', async () => createConnectEvent()],
    ['a malformed token', async () => createConnectEvent({ queryStringParameters: { token: 'abc.def' } })],
    ['alg none', async () => createConnectEvent({ queryStringParameters: { token: `${b64({ alg: 'none' })}.${b64({ sub: 'alice', exp: 9e9 })}.` } })],
    ['a wrong key', async () => createConnectEvent({ queryStringParameters: { token: await signToken('alice', {}, 'x'.repeat(40)) } })],
    ['an expired token', async () => createConnectEvent({ queryStringParameters: { token: await signToken('alice', { exp: 1 }) } })],
    ['a token not valid yet', async () => createConnectEvent({ queryStringParameters: { token: await signToken('alice', { nbf: Math.floor(Date.now() / 1000) + 3600 }) } })],
    ['a token without sub', async () => createConnectEvent({ queryStringParameters: { token: await signToken(null) } })],
  ])('refuses %s with 401 and writes nothing', async (_name, makeEvent) => {
    // Prepare
    const event = await makeEvent();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 401 });
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });

  it('allows any Origin when FRONTEND_URL is unset, and a client without Origin', async () => {
    // Prepare
    const event = createConnectEvent({ headers: { Origin: 'https://elsewhere.example' }, queryStringParameters: { token: await signToken('alice') } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
  });

  it('refuses a user over the connection cap with 429 and leaves nothing written', async () => {
    // Prepare: the presence set after the ADD holds 21 connections.
    const ids = new Set(Array.from({ length: 21 }, (_, i) => (i === 0 ? 'conn-1=' : `other-${i}=`)));
    ddb.on(UpdateCommand, { TableName: 'Presence', UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now' }).resolves({ Attributes: { connectionIds: ids } });
    ddb.on(GetCommand, { TableName: 'Connections' }).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice', 'chat:c1']) } });
    ddb.on(DeleteCommand).resolves({});
    const event = createConnectEvent({ queryStringParameters: { token: await signToken('alice') } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 429 });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now' });
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
  });

  it('returns 500 (not 200) when DynamoDB throttles the registration', async () => {
    // Prepare
    ddb.on(QueryCommand).rejects(Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    const event = createConnectEvent({ queryStringParameters: { token: await signToken('alice') } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 500 });
  });

  it('records a socket.io connection (EIO=4, websocket) as pending without a token: no user, rooms or presence yet', async () => {
    // Prepare
    const event = createConnectEvent({ queryStringParameters: { EIO: '4', transport: 'websocket' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'Connections',
      Item: { connectionId: 'conn-1=', connectedAt: 1_764_204_000_000, expiresAt: 1_764_204_000 + 7800, protocol: 'socket.io', state: 'pending' },
    });
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });

  it.each([
    ['Engine.IO v3', { EIO: '3', transport: 'websocket' }, /version "3"/],
    ['long-polling', { EIO: '4', transport: 'polling' }, /transport "polling"/],
    ['a transport without EIO', { transport: 'websocket' }, /version null/],
    ['EIO without a transport', { EIO: '4' }, /transport null/],
  ])('refuses %s with 400 and a clear reason, writing nothing', async (_name, query, reason) => {
    // Prepare
    const event = createConnectEvent({ queryStringParameters: query });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(result.body).toMatch(reason);
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
  });

  it('returns 500 when the pending socket.io row cannot be written', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    const event = createConnectEvent({ queryStringParameters: { EIO: '4', transport: 'websocket' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ statusCode: 500 });
  });
});

describe('Function: connect handler (metrics)', () => {
  type ConnectModule = typeof import('../../../../lambdas/handlers/connect');
  let fresh: ConnectModule['handler'];

  beforeEach(async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ chatId: 'c1' }] });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    vi.stubEnv('FRONTEND_URL', 'https://app.example.com');
    ({ handler: fresh } = await importWithMetrics<ConnectModule>('../../../../lambdas/handlers/connect'));
  });
  afterEach(() => {
    ddb.reset();
    vi.unstubAllEnvs();
  });

  it('counts an accepted connection as ConnectionsOpened and refusals by reason', async () => {
    // Prepare
    const origin = { Origin: 'https://app.example.com' };
    const accepted = createConnectEvent({ headers: origin, queryStringParameters: { token: await signToken('alice') } });
    const noToken = createConnectEvent({ headers: origin });
    const foreign = createConnectEvent({ headers: { Origin: 'https://evil.example.net' }, queryStringParameters: { token: await signToken('alice') } });

    // Act
    const emitted = await captureEmf(async () => {
      expect((await fresh(accepted)).statusCode).toBe(200);
      expect((await fresh(noToken)).statusCode).toBe(401);
      expect((await fresh(foreign)).statusCode).toBe(403);
    });

    // Assess: each invocation writes its own metrics.
    expect(total(emitted, METRIC.connectionsOpened)).toBe(1);
    expect(named(emitted, METRIC.connectionsRefused).map((metric) => metric.dimensions.reason)).toEqual(['unauthorized', 'origin']);
  });
});
