import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);

/** Imports the handler afresh, so its module-scope wiring reads the environment as stubbed. */
async function loadHandler() {
  vi.resetModules();
  return (await import('../../../../lambdas/handlers/heartbeat')).handler;
}

describe('Function: heartbeat handler', () => {
  afterEach(() => {
    ddb.reset();
    api.reset();
    vi.unstubAllEnvs();
  });

  it('sweeps the Connections table named in the environment and pings open socket.io connections', async () => {
    // Prepare
    const handler = await loadHandler();
    ddb.on(ScanCommand).resolves({ Items: [{ connectionId: 'open-1', protocol: 'socket.io', state: 'open', userId: 'alice', connectedAt: Date.now() - 60_000 }] });
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    api.on(PostToConnectionCommand).resolves({});

    // Act
    const result = await handler();

    // Assess
    expect(result).toEqual({ pinged: 1, gone: 0, timedOut: 0, unresponsive: 0, expired: 0, failed: 0 });
    expect(ddb).toReceiveCommandWith(ScanCommand, { TableName: 'Connections', ExpressionAttributeValues: expect.objectContaining({ ':socketIo': 'socket.io' }) });
    expect(api).toReceiveCommandWith(PostToConnectionCommand, { ConnectionId: 'open-1' });
  });

  it('wires the remover to the Connections, Rooms and Presence tables for a connection found gone', async () => {
    // Prepare
    const handler = await loadHandler();
    const row = { connectionId: 'gone-1', protocol: 'socket.io', state: 'open', userId: 'bob', connectedAt: Date.now() - 600_000, rooms: new Set(['chat:c1']) };
    ddb.on(ScanCommand).resolves({ Items: [row] });
    ddb.on(GetCommand).resolves({ Item: row });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({ Attributes: row });
    api.on(PostToConnectionCommand).rejects(new GoneException({ message: 'gone', $metadata: {} }));
    api.on(DeleteConnectionCommand).rejects(new GoneException({ message: 'gone', $metadata: {} }));

    // Act
    const result = await handler();

    // Assess
    expect(result).toEqual({ pinged: 0, gone: 1, timedOut: 0, unresponsive: 0, expired: 0, failed: 0 });
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Connections', Key: { connectionId: 'gone-1' } });
    expect(ddb).toReceiveCommandWith(BatchWriteCommand, { RequestItems: { Rooms: expect.any(Array) } });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', Key: { userId: 'bob' } });
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'gone-1' } });
  });

  it('only cleans up, without pinging, in reconnect mode', async () => {
    // Prepare
    vi.stubEnv('SOCKETIO_HEARTBEAT', 'reconnect');
    const handler = await loadHandler();
    ddb.on(ScanCommand).resolves({ Items: [{ connectionId: 'open-1', protocol: 'socket.io', state: 'open', userId: 'alice', connectedAt: Date.now() - 60_000 }] });

    // Act
    const result = await handler();

    // Assess
    expect(result).toEqual({ pinged: 0, gone: 0, timedOut: 0, unresponsive: 0, expired: 0, failed: 0 });
    expect(api).toReceiveCommandTimes(PostToConnectionCommand, 0);
  });

  it.each(['WS_CALLBACK_URL', 'CONNECTIONS_TABLE', 'ROOMS_TABLE', 'PRESENCE_TABLE'])('fails the cold start when %s is missing', async (name) => {
    // Prepare
    vi.stubEnv(name, '');

    // Act + Assess
    await expect(loadHandler()).rejects.toThrow(`Environment variable ${name} is required`);
  });

  it('fails the cold start on an unknown heartbeat mode', async () => {
    // Prepare
    vi.stubEnv('SOCKETIO_HEARTBEAT', 'sometimes');

    // Act + Assess
    await expect(loadHandler()).rejects.toThrow(/SOCKETIO_HEARTBEAT must be 'scheduled-ping' or 'reconnect'/);
  });
});
