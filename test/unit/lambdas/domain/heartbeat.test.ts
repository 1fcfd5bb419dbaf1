import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConnectionLink } from '../../../../lambdas/adapters/api-gateway/connection-link';
import { createOpenPacketSender, sweepSocketIoConnections } from '../../../../lambdas/domain/heartbeat';
import type { ConnectionRemover } from '../../../../lambdas/domain/ports';
import { SCHEDULED_PING_DEFAULTS } from '../../../../lambdas/system/heartbeat';
import { createDynamoStores } from '../../../helpers/dynamo-stores';
import { captureEmf, importWithMetrics, total } from '../../../helpers/emf';
import { METRIC } from '../../../../lambdas/commons/metric-names';

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const stores = createDynamoStores(documentClient, { connectionsTable: 'Connections' });
const managementClient = new ApiGatewayManagementApiClient({ endpoint: 'https://example.com/test', region: 'eu-west-1' });
const NOW = 1_764_204_000_000;
const gone = () => new GoneException({ message: 'gone', $metadata: {} });

function createLink() {
  const removeConnection = vi.fn<ConnectionRemover>().mockResolvedValue(undefined);
  const link = createConnectionLink({ managementClient, removeConnection, sleep: async () => undefined });
  return { link, removeConnection };
}

const postedTo = (connectionId: string): string[] =>
  api
    .commandCalls(PostToConnectionCommand)
    .filter((call) => call.args[0].input.ConnectionId === connectionId)
    .map((call) => Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8'));

afterEach(() => {
  ddb.reset();
  api.reset();
});

describe('Function: sweepSocketIoConnections', () => {
  beforeEach(() => {
    // No sweep recorded yet, unless a test says otherwise.
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
  });

  it('pings open socket.io connections, removes gone ones and disconnects pending ones past the connect timeout with 41', async () => {
    // Prepare
    const { link, removeConnection } = createLink();
    ddb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [
          { connectionId: 'open-1', protocol: 'socket.io', state: 'open', userId: 'alice', connectedAt: NOW - 600_000 },
          { connectionId: 'gone-1', protocol: 'socket.io', state: 'open', userId: 'bob', connectedAt: NOW - 600_000 },
        ],
        LastEvaluatedKey: { connectionId: 'gone-1' },
      })
      .resolvesOnce({
        Items: [
          { connectionId: 'stale-pending', protocol: 'socket.io', state: 'pending', connectedAt: NOW - 46_000 },
          { connectionId: 'fresh-pending', protocol: 'socket.io', state: 'pending', connectedAt: NOW - 5_000 },
        ],
      });
    api.on(PostToConnectionCommand).resolves({});
    api.on(PostToConnectionCommand, { ConnectionId: 'gone-1' }).rejects(gone());
    api.on(DeleteConnectionCommand).resolves({});

    // Act
    const result = await sweepSocketIoConnections({ ...stores, link, ping: true, now: () => NOW });

    // Assess
    expect(result).toEqual({ pinged: 1, gone: 1, timedOut: 1, unresponsive: 0, expired: 0, failed: 0 });
    expect(ddb).toReceiveCommandWith(ScanCommand, {
      TableName: 'Connections',
      FilterExpression: '#expiresAt > :now AND (#protocol = :socketIo OR #tokenExpiresAt < :now)',
      ExpressionAttributeValues: { ':socketIo': 'socket.io', ':now': NOW / 1000 },
    });
    expect(ddb).toReceiveNthCommandWith(ScanCommand, 2, { ExclusiveStartKey: { connectionId: 'gone-1' } });
    expect(postedTo('open-1')).toEqual(['2']);
    expect(postedTo('stale-pending')).toEqual(['41']);
    expect(postedTo('fresh-pending')).toEqual([]);
    expect(api).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'stale-pending' });
    expect(removeConnection).toHaveBeenCalledWith('gone-1', { userId: 'bob' });
    expect(removeConnection).toHaveBeenCalledWith('stale-pending', undefined);
    expect(removeConnection).toHaveBeenCalledTimes(2);
  });

  it('only cleans up pending connections when pinging is off (reconnect mode)', async () => {
    // Prepare
    const { link } = createLink();
    ddb.on(ScanCommand).resolves({ Items: [{ connectionId: 'open-1', protocol: 'socket.io', state: 'open', userId: 'alice', connectedAt: NOW }] });

    // Act
    const result = await sweepSocketIoConnections({ ...stores, link, ping: false, now: () => NOW });

    // Assess
    expect(result.pinged).toBe(0);
    expect(api).toReceiveCommandTimes(PostToConnectionCommand, 0);
  });

  it('counts a failing post without stopping the sweep', async () => {
    // Prepare
    const { link } = createLink();
    ddb.on(ScanCommand).resolves({
      Items: [
        { connectionId: 'a', protocol: 'socket.io', state: 'open' },
        { connectionId: 'b', protocol: 'socket.io', state: 'open' },
      ],
    });
    api.on(PostToConnectionCommand, { ConnectionId: 'a' }).rejects(Object.assign(new Error('slow down'), { name: 'LimitExceededException' }));
    api.on(PostToConnectionCommand, { ConnectionId: 'b' }).resolves({});

    // Act
    const result = await sweepSocketIoConnections({ ...stores, link, ping: true, now: () => NOW });

    // Assess
    expect(result).toEqual({ pinged: 1, gone: 0, timedOut: 0, unresponsive: 0, expired: 0, failed: 1 });
  });

  describe('unanswered pings', () => {
    const PREVIOUS_SWEEP = NOW - 300_000;

    function previousSweepAt(at: number | undefined): void {
      ddb.on(GetCommand, { TableName: 'Connections', Key: { connectionId: 'heartbeat#sweep' } }).resolves(at === undefined ? {} : { Item: { connectionId: 'heartbeat#sweep', sweptAt: at } });
      ddb.on(PutCommand).resolves({});
    }

    it('closes, without a 41, an open connection that has not answered since the previous sweep pinged it, and pings the others', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      previousSweepAt(PREVIOUS_SWEEP);
      ddb.on(ScanCommand).resolves({
        Items: [
          { connectionId: 'silent', protocol: 'socket.io', state: 'open', userId: 'alice', connectedAt: NOW - 900_000, lastPongAt: PREVIOUS_SWEEP - 290_000 },
          { connectionId: 'answered', protocol: 'socket.io', state: 'open', userId: 'bob', connectedAt: NOW - 900_000, lastPongAt: PREVIOUS_SWEEP + 40 },
          { connectionId: 'opened-since', protocol: 'socket.io', state: 'open', userId: 'carol', connectedAt: PREVIOUS_SWEEP - 10_000, lastPongAt: PREVIOUS_SWEEP + 5_000 },
        ],
      });
      api.on(PostToConnectionCommand).resolves({});
      api.on(DeleteConnectionCommand).resolves({});

      // Act
      const result = await sweepSocketIoConnections({ ...stores, link, ping: true, pingTimeoutMs: 60_000, now: () => NOW });

      // Assess
      expect(result).toEqual({ pinged: 2, gone: 0, timedOut: 0, unresponsive: 1, expired: 0, failed: 0 });
      expect(postedTo('silent')).toEqual([]);
      expect(api).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'silent' });
      expect(removeConnection).toHaveBeenCalledWith('silent', { userId: 'alice' });
      expect(postedTo('answered')).toEqual(['2']);
      expect(postedTo('opened-since')).toEqual(['2']);
      expect(ddb).toReceiveCommandWith(PutCommand, { TableName: 'Connections', Item: { connectionId: 'heartbeat#sweep', sweptAt: NOW } });
    });

    it('judges no connection while the previous pings are younger than pingTimeout, or when no sweep was recorded', async () => {
      for (const previous of [NOW - 1_000, undefined]) {
        // Prepare
        ddb.reset();
        api.reset();
        const { link } = createLink();
        previousSweepAt(previous);
        ddb.on(ScanCommand).resolves({
          Items: [{ connectionId: 'silent', protocol: 'socket.io', state: 'open', userId: 'alice', connectedAt: NOW - 900_000, lastPongAt: NOW - 900_000 }],
        });
        api.on(PostToConnectionCommand).resolves({});

        // Act
        const result = await sweepSocketIoConnections({ ...stores, link, ping: true, pingTimeoutMs: 60_000, now: () => NOW });

        // Assess
        expect(result.unresponsive).toBe(0);
        expect(postedTo('silent')).toEqual(['2']);
      }
    });

    it('does not record the sweep when a page fails, so the next one does not judge unpinged connections', async () => {
      // Prepare
      const { link } = createLink();
      previousSweepAt(PREVIOUS_SWEEP);
      ddb.on(ScanCommand).rejects(new Error('throttled'));

      // Act
      const sweeping = sweepSocketIoConnections({ ...stores, link, ping: true, now: () => NOW });

      // Assess
      await expect(sweeping).rejects.toThrow('throttled');
      expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    });
  });

  it('closes connections whose token expired, in either protocol, with their notice, and in reconnect mode too', async () => {
    for (const ping of [true, false]) {
      // Prepare
      ddb.reset();
      api.reset();
      const { link, removeConnection } = createLink();
      ddb.on(GetCommand).resolves({});
      ddb.on(PutCommand).resolves({});
      ddb.on(ScanCommand).resolves({
        Items: [
          { connectionId: 'json-expired', protocol: 'lettera.v1', userId: 'alice', connectedAt: NOW - 900_000, tokenExpiresAt: NOW / 1000 - 1 },
          { connectionId: 'sio-expired', protocol: 'socket.io', state: 'open', userId: 'bob', connectedAt: NOW - 900_000, tokenExpiresAt: NOW / 1000 - 1 },
        ],
      });
      api.on(PostToConnectionCommand).resolves({});
      api.on(DeleteConnectionCommand).resolves({});

      // Act
      const result = await sweepSocketIoConnections({ ...stores, link, ping, now: () => NOW });

      // Assess
      expect(result).toEqual({ pinged: 0, gone: 0, timedOut: 0, unresponsive: 0, expired: 2, failed: 0 });
      expect(postedTo('json-expired').map((frame) => JSON.parse(frame))).toEqual([
        { event: 'error', data: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' } },
      ]);
      expect(postedTo('sio-expired')).toEqual(['41']);
      expect(api).toReceiveCommandTimes(DeleteConnectionCommand, 2);
      expect(removeConnection).toHaveBeenCalledWith('json-expired', { userId: 'alice' });
      expect(removeConnection).toHaveBeenCalledWith('sio-expired', { userId: 'bob' });
    }
  });
});

describe('Function: createOpenPacketSender', () => {
  it('posts the Engine.IO open packet with the heartbeat values, retrying while the connection is not registered', async () => {
    // Prepare
    const { link, removeConnection } = createLink();
    api.on(PostToConnectionCommand).rejectsOnce(gone()).rejectsOnce(gone()).resolves({});
    const open = createOpenPacketSender({ link, heartbeat: SCHEDULED_PING_DEFAULTS });

    // Act
    await open('conn-1=');

    // Assess
    const frames = postedTo('conn-1=');
    expect(frames).toHaveLength(3);
    expect(frames[2]).toBe('0{"sid":"conn-1=","upgrades":[],"pingInterval":300000,"pingTimeout":60000,"maxPayload":32000}');
    expect(removeConnection).not.toHaveBeenCalled();
  });

  it('removes the pending connection when it stays gone after every retry', async () => {
    // Prepare
    const { link, removeConnection } = createLink();
    api.on(PostToConnectionCommand).rejects(gone());
    api.on(DeleteConnectionCommand).rejects(gone());
    const open = createOpenPacketSender({ link, heartbeat: SCHEDULED_PING_DEFAULTS });

    // Act
    await open('conn-1=');

    // Assess
    expect(api).toReceiveCommandTimes(PostToConnectionCommand, 7);
    expect(removeConnection).toHaveBeenCalledWith('conn-1=', undefined);
  });
});

describe('Function: sweepSocketIoConnections (metrics)', () => {
  it('counts the connections it removed, gone or never connected, as HeartbeatRemovals', async () => {
    // Prepare
    const { sweepSocketIoConnections: sweep } = await importWithMetrics<typeof import('../../../../lambdas/domain/heartbeat')>('../../../../lambdas/domain/heartbeat');
    const { publishMetrics } = (await import('../../../../lambdas/commons/metrics')) as typeof import('../../../../lambdas/commons/metrics');
    const { link } = createLink();
    ddb.on(ScanCommand).resolves({
      Items: [
        { connectionId: 'open-1', state: 'open', protocol: 'socket.io', userId: 'alice', connectedAt: NOW - 600_000 },
        { connectionId: 'gone-1', state: 'open', protocol: 'socket.io', userId: 'bob', connectedAt: NOW - 600_000 },
        { connectionId: 'stale-pending', state: 'pending', protocol: 'socket.io', connectedAt: NOW - 46_000 },
      ],
    });
    api.on(PostToConnectionCommand).resolves({});
    api.on(PostToConnectionCommand, { ConnectionId: 'gone-1' }).rejects(gone());
    api.on(DeleteConnectionCommand).resolves({});
    // No earlier sweep recorded: nothing is judged unresponsive.
    ddb.on(GetCommand).resolves({});

    // Act
    const emitted = await captureEmf(async () => {
      await sweep({ ...stores, link, ping: true, now: () => NOW });
      publishMetrics();
    });
    vi.unstubAllEnvs();

    // Assess
    expect(total(emitted, METRIC.heartbeatRemovals)).toBe(2);
  });
});
