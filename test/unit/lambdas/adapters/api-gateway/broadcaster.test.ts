import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { POST_CONCURRENCY } from '../../../../../lambdas/commons/clients';
import type { EventEnvelope, WireProtocol } from '../../../../../protocol';
import { ManagementApiBroadcaster, type ManagementApiBroadcasterDeps } from '../../../../../lambdas/adapters/api-gateway/broadcaster';
import { createRoomStore } from '../../../../../lambdas/adapters/dynamodb/room-store';
import type { ConnectionRemover } from '../../../../../lambdas/domain/ports';
import { encodeEnvelope } from '../../../../../lambdas/domain/wire';
import { captureEmf, importWithMetrics, named, total } from '../../../../helpers/emf';

const ddbMock = mockClient(DynamoDBDocumentClient);
const apiMock = mockClient(ApiGatewayManagementApiClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const managementClient = new ApiGatewayManagementApiClient({ endpoint: 'https://example.test/stage' });

const envelope: EventEnvelope<'message:new'> = {
  event: 'message:new',
  data: { messageId: 'm1', chatId: 'c1', senderId: 'sender', content: 'hi', timestamp: '2026-11-27T00:00:00.000Z' },
  id: 'c1:5',
  ts: 1_764_201_600_000,
  seq: 5,
};

const FUTURE = Math.floor(Date.now() / 1000) + 3600;

function roomRow(connectionId: string, userId = `user-${connectionId}`, protocol: WireProtocol = 'lettera.v1') {
  return { connectionId, userId, protocol, expiresAt: FUTURE };
}

function rows(count: number, from = 0) {
  return Array.from({ length: count }, (_, i) => roomRow(`conn-${String(from + i).padStart(4, '0')}`));
}

function apiError<T>(Ctor: new (opts: { message: string; $metadata: object }) => T, message = 'injected'): T {
  return new Ctor({ message, $metadata: {} });
}

function postedIds(): string[] {
  return apiMock.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input.ConnectionId ?? '');
}

function createBroadcaster(overrides: Partial<ManagementApiBroadcasterDeps> = {}) {
  const removeConnection = vi.fn<ConnectionRemover>().mockResolvedValue(undefined);
  const broadcaster = new ManagementApiBroadcaster({
    managementClient,
    rooms: createRoomStore({ documentClient, roomsTable: 'Rooms' }),
    removeConnection,
    retry: { baseDelayMs: 1 },
    ...overrides,
  });
  return { broadcaster, removeConnection };
}

/** PostToConnection calls that stay pending until released, counting how many are in flight. */
function deferPosts() {
  const pending: (() => void)[] = [];
  const state = { inFlight: 0, maxInFlight: 0 };
  apiMock.on(PostToConnectionCommand).callsFake(
    () =>
      new Promise<object>((resolve) => {
        state.inFlight += 1;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        pending.push(() => {
          state.inFlight -= 1;
          resolve({});
        });
      }),
  );
  const releaseAll = () => pending.splice(0).forEach((release) => release());
  return { pending, state, releaseAll };
}

/** Releases deferred posts until `work` settles. */
async function drain<T>(work: Promise<T>, releaseAll: () => void): Promise<T> {
  let done = false;
  void work.finally(() => {
    done = true;
  });
  while (!done) {
    releaseAll();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return work;
}

beforeEach(() => {
  apiMock.on(PostToConnectionCommand).resolves({});
  apiMock.on(DeleteConnectionCommand).resolves({});
});

afterEach(() => {
  ddbMock.reset();
  apiMock.reset();
});

describe('Class: ManagementApiBroadcaster', () => {
  describe('Method: toRoom', () => {
    it('costs exactly the Query pages and one PostToConnection per connection (N = 250, 2 pages)', async () => {
      // Prepare
      const lastKey = { room: 'chat:c1', connectionId: 'conn-0149' };
      ddbMock
        .on(QueryCommand)
        .resolvesOnce({ Items: rows(150), LastEvaluatedKey: lastKey })
        .resolvesOnce({ Items: rows(100, 150) });
      const { broadcaster, removeConnection } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 250, delivered: 250, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 2);
      expect(ddbMock).toReceiveNthCommandWith(QueryCommand, 1, {
        TableName: 'Rooms',
        ExpressionAttributeValues: { ':room': 'chat:c1' },
        ExclusiveStartKey: undefined,
      });
      expect(ddbMock).toReceiveNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: lastKey });
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 250);
      expect(new Set(postedIds()).size).toBe(250);
      expect(removeConnection).not.toHaveBeenCalled();
    });

    it('encodes the event once per protocol and reuses the bytes for every connection', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({
        Items: [
          roomRow('a', 'u1', 'lettera.v1'),
          roomRow('b', 'u2', 'socket.io'),
          roomRow('c', 'u3', 'lettera.v1'),
          roomRow('d', 'u4', 'socket.io'),
        ],
      });
      const { broadcaster } = createBroadcaster();

      // Act
      await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      const dataById = new Map(
        apiMock.commandCalls(PostToConnectionCommand).map((call) => [call.args[0].input.ConnectionId, call.args[0].input.Data]),
      );
      expect(dataById.get('a')).toBe(dataById.get('c'));
      expect(dataById.get('b')).toBe(dataById.get('d'));
      expect(Buffer.from(dataById.get('a') as Uint8Array).toString()).toBe(encodeEnvelope('lettera.v1', envelope));
      expect(Buffer.from(dataById.get('b') as Uint8Array).toString()).toBe(encodeEnvelope('socket.io', envelope));
    });

    it('skips rows whose TTL has passed and the excepted user', async () => {
      // Prepare
      const past = Math.floor(Date.now() / 1000) - 1;
      ddbMock.on(QueryCommand).resolves({
        Items: [
          roomRow('live', 'bob'),
          { ...roomRow('expired', 'carol'), expiresAt: past },
          roomRow('own-tab-1', 'alice'),
          roomRow('own-tab-2', 'alice'),
        ],
      });
      const { broadcaster } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope, { exceptUserId: 'alice' });

      // Assess
      expect(result).toEqual({ recipients: 1, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
      expect(postedIds()).toEqual(['live']);
    });

    it('removes only the gone recipient, never the sender, and delivers to the others', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({
        Items: [roomRow('sender-conn', 'sender'), roomRow('r1'), roomRow('r2'), roomRow('r3')],
      });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'r2' }).rejects(apiError(GoneException));
      const { broadcaster, removeConnection } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 4, delivered: 3, gone: 1, disconnected: 0, undeliverable: 0, failed: 0 });
      expect(removeConnection).toHaveBeenCalledTimes(1);
      expect(removeConnection).toHaveBeenCalledWith('r2', { userId: 'user-r2', reason: 'gone' });
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 4);
    });

    it('recognises GoneException by name when the class instance differs (another SDK copy)', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      const foreign = Object.assign(new Error('gone'), { name: 'GoneException', statusCode: undefined });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'r1' }).rejects(foreign);
      const { broadcaster, removeConnection } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result.gone).toBe(1);
      expect(removeConnection).toHaveBeenCalledWith('r1', { userId: 'user-r1', reason: 'gone' });
    });

    it('does not treat an error that only carries a 410 status code as gone', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      const statusOnly = Object.assign(new Error('weird'), { name: 'SomethingElse', statusCode: 410 });
      apiMock.on(PostToConnectionCommand).rejects(statusOnly);
      const { broadcaster, removeConnection } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 1, delivered: 0, gone: 0, disconnected: 0, undeliverable: 0, failed: 1 });
      expect(removeConnection).not.toHaveBeenCalled();
    });

    it('counts a gone recipient as gone even when removing it fails', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'r1' }).rejects(apiError(GoneException));
      const { broadcaster, removeConnection } = createBroadcaster();
      removeConnection.mockRejectedValue(new Error('DynamoDB down'));

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 2, delivered: 1, gone: 1, disconnected: 0, undeliverable: 0, failed: 0 });
    });

    it('retries LimitExceededException with backoff and then delivers', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock
        .on(PostToConnectionCommand, { ConnectionId: 'r1' })
        .rejectsOnce(apiError(LimitExceededException))
        .resolves({});
      const { broadcaster } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
      expect(postedIds().filter((id) => id === 'r1')).toHaveLength(2);
    });

    it('disconnects a recipient still throttled after the last attempt (DeleteConnection, rows removed), without failing the others', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'r1' }).rejects(apiError(LimitExceededException));
      const { broadcaster, removeConnection } = createBroadcaster({ retry: { maxAttempts: 4, baseDelayMs: 1 } });

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, disconnected: 1, undeliverable: 0, failed: 0 });
      expect(postedIds().filter((id) => id === 'r1')).toHaveLength(4);
      expect(apiMock).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'r1' });
      expect(apiMock).toReceiveCommandTimes(DeleteConnectionCommand, 1);
      expect(removeConnection).toHaveBeenCalledWith('r1', { userId: 'user-r1' });
    });

    it('still removes the rows of a failing recipient whose DeleteConnection fails, and counts it disconnected', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      apiMock.on(PostToConnectionCommand).rejects(Object.assign(new Error('internal'), { name: 'InternalServerError', $fault: 'server' }));
      apiMock.on(DeleteConnectionCommand).rejects(Object.assign(new Error('internal'), { name: 'InternalServerError', $fault: 'server' }));
      const { broadcaster, removeConnection } = createBroadcaster({ retry: { maxAttempts: 2, baseDelayMs: 1 } });

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result.disconnected).toBe(1);
      expect(removeConnection).toHaveBeenCalledWith('r1', { userId: 'user-r1' });
    });

    it('counts a disconnected recipient even when removing its rows fails (the record is not retried for it)', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      apiMock.on(PostToConnectionCommand).rejects(apiError(LimitExceededException));
      const { broadcaster, removeConnection } = createBroadcaster({ retry: { maxAttempts: 1, baseDelayMs: 1 } });
      removeConnection.mockRejectedValue(new Error('DynamoDB down'));

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 1, delivered: 0, gone: 0, disconnected: 1, undeliverable: 0, failed: 0 });
    });

    it('sends a chat room member joined at a position only the message events after it', async () => {
      // Prepare: joined after 5 (replayed up to it), after 4, and a member without a position.
      ddbMock.on(QueryCommand).resolves({ Items: [{ ...roomRow('at5'), afterSeq: 5 }, { ...roomRow('at4'), afterSeq: 4 }, roomRow('any')] });
      const { broadcaster } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result.recipients).toBe(2);
      expect(postedIds().sort()).toEqual(['any', 'at4']);
    });

    it('sends events without a position (typing, presence) to every member', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [{ ...roomRow('at9'), afterSeq: 9 }] });
      const { broadcaster } = createBroadcaster();
      const typing: EventEnvelope = { event: 'user:typing', data: { chatId: 'c1', userId: 'u', isTyping: true, expiresInMs: 3000 }, id: 't', ts: 1 };

      // Act
      const result = await broadcaster.toRoom('chat:c1', typing);

      // Assess
      expect(result.delivered).toBe(1);
    });

    it('fails ForbiddenException at once, without a retry loop or a disconnect (not the recipient\'s fault: the record is retried)', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'r1' }).rejects(apiError(ForbiddenException));
      const { broadcaster, removeConnection } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 1 });
      expect(postedIds().filter((id) => id === 'r1')).toHaveLength(1);
      expect(removeConnection).not.toHaveBeenCalled();
      expect(apiMock).toReceiveCommandTimes(DeleteConnectionCommand, 0);
    });

    it('counts PayloadTooLargeException as undeliverable at once: no retry, no disconnect, not failed', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'r1' }).rejects(apiError(PayloadTooLargeException));
      const { broadcaster, removeConnection } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, disconnected: 0, undeliverable: 1, failed: 0 });
      expect(postedIds().filter((id) => id === 'r1')).toHaveLength(1);
      expect(removeConnection).not.toHaveBeenCalled();
      expect(apiMock).toReceiveCommandTimes(DeleteConnectionCommand, 0);
    });

    it('disconnects a recipient whose post hangs past its timeout, without a second attempt, and still delivers to the others', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('slow'), roomRow('r2'), roomRow('r3')] });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'slow' }).callsFake(() => new Promise(() => {}));
      const { broadcaster } = createBroadcaster({ postTimeoutMs: 20, retry: { maxAttempts: 2, baseDelayMs: 1 } });

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result).toEqual({ recipients: 3, delivered: 2, gone: 0, disconnected: 1, undeliverable: 0, failed: 0 });
      expect(apiMock).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'slow' });
      const slowCalls = apiMock.commandCalls(PostToConnectionCommand, { ConnectionId: 'slow' });
      expect(slowCalls).toHaveLength(1);
      // The SDK may ignore its own timeouts; each attempt carries a signal that is aborted when it expires.
      const options = (slowCalls[0]!.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
      expect(options?.abortSignal).toBeInstanceOf(AbortSignal);
      expect(options?.abortSignal?.aborted).toBe(true);
    });

    it.each([
      ['a server fault (5xx)', Object.assign(new Error('internal'), { name: 'InternalServerError', $fault: 'server' })],
      ['a reset socket', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ])('retries %s like throttling', async (_label, transient) => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      apiMock.on(PostToConnectionCommand).rejectsOnce(transient).resolves({});
      const { broadcaster } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result.delivered).toBe(1);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 2);
    });

    it("disconnects on the SDK's request timeout without retrying it", async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      apiMock.on(PostToConnectionCommand).rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
      const { broadcaster } = createBroadcaster();

      // Act
      const result = await broadcaster.toRoom('chat:c1', envelope);

      // Assess
      expect(result.disconnected).toBe(1);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 1);
      expect(apiMock).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'r1' });
    });

    it('rejects when the room Query is throttled, posting nothing', async () => {
      // Prepare
      ddbMock
        .on(QueryCommand)
        .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
      const { broadcaster } = createBroadcaster();

      // Act
      const act = broadcaster.toRoom('chat:c1', envelope);

      // Assess
      await expect(act).rejects.toThrow('slow down');
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });

    it(`keeps at least 100 and at most POST_CONCURRENCY (${POST_CONCURRENCY}) posts in flight`, async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: rows(400) });
      const { pending, state, releaseAll } = deferPosts();
      const { broadcaster } = createBroadcaster();

      // Act
      const work = broadcaster.toRoom('chat:c1', envelope);
      await vi.waitFor(() => expect(pending.length).toBe(POST_CONCURRENCY));
      const result = await drain(work, releaseAll);

      // Assess
      expect(POST_CONCURRENCY).toBeGreaterThanOrEqual(100);
      expect(state.maxInFlight).toBe(POST_CONCURRENCY);
      expect(result.delivered).toBe(400);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 400);
    });

    it('shares one bound across concurrent broadcasts of the same instance', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: rows(30) });
      const { pending, state, releaseAll } = deferPosts();
      const { broadcaster } = createBroadcaster({ concurrency: 7 });

      // Act
      const work = Promise.all([
        broadcaster.toRoom('chat:c1', envelope),
        broadcaster.toRoom('chat:c2', envelope),
      ]);
      await vi.waitFor(() => expect(pending.length).toBe(7));
      const results = await drain(work, releaseAll);

      // Assess
      expect(state.maxInFlight).toBe(7);
      expect(results.map((result) => result.delivered)).toEqual([30, 30]);
    });
  });

  describe('Method: toMembers', () => {
    it('posts once per distinct connection', async () => {
      // Prepare
      const { broadcaster } = createBroadcaster();
      const member = { connectionId: 'x', userId: 'u', protocol: 'lettera.v1' as const };

      // Act
      const result = await broadcaster.toMembers([member, member, { ...member, connectionId: 'y' }], envelope);

      // Assess
      expect(result).toEqual({ recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 0);
      expect(postedIds().sort()).toEqual(['x', 'y']);
    });

    it('returns an empty result for no members without calling AWS', async () => {
      // Prepare
      const { broadcaster } = createBroadcaster();

      // Act
      const result = await broadcaster.toMembers([], envelope);

      // Assess
      expect(result).toEqual({ recipients: 0, delivered: 0, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });
  });
});

describe('Class: ManagementApiBroadcaster (metrics)', () => {
  type BroadcasterModule = typeof import('../../../../../lambdas/adapters/api-gateway/broadcaster');
  type MetricsModule = typeof import('../../../../../lambdas/commons/metrics');

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('counts posted, gone, throttled attempts and recipients once per broadcast, and typing posts by event', async () => {
    // Prepare
    const { ManagementApiBroadcaster: Fresh } = await importWithMetrics<BroadcasterModule>('../../../../../lambdas/adapters/api-gateway/broadcaster');
    const { publishMetrics } = (await import('../../../../../lambdas/commons/metrics')) as MetricsModule;
    apiMock.on(PostToConnectionCommand, { ConnectionId: 'gone' }).rejects(apiError(GoneException));
    apiMock.on(PostToConnectionCommand, { ConnectionId: 'busy' }).rejectsOnce(apiError(LimitExceededException)).resolves({});
    const broadcaster = new Fresh({
      managementClient,
      rooms: createRoomStore({ documentClient, roomsTable: 'Rooms' }),
      removeConnection: vi.fn<ConnectionRemover>().mockResolvedValue(undefined),
      retry: { baseDelayMs: 1 },
    });
    const typing: EventEnvelope<'user:typing'> = { event: 'user:typing', data: { chatId: 'c1', userId: 'u1', isTyping: true, expiresInMs: 5000 }, id: 't1', ts: 1 };
    const members = ['ok', 'gone', 'busy'].map((id) => ({ connectionId: id, userId: `user-${id}`, protocol: 'lettera.v1' as const }));

    // Act
    const emitted = await captureEmf(async () => {
      await broadcaster.toMembers(members, typing);
      publishMetrics();
    });

    // Assess
    expect(total(emitted, 'DeliveriesPosted')).toBe(2);
    expect(total(emitted, 'DeliveriesGone')).toBe(1);
    expect(total(emitted, 'DeliveriesFailed')).toBe(0);
    expect(total(emitted, 'DeliveriesThrottled')).toBe(1);
    expect(named(emitted, 'BroadcastRecipients')[0]?.values).toEqual([3]);
    expect(total(emitted, 'TypingPosts')).toBe(2);
    // No connection id, user id or chat id reaches a dimension.
    for (const metric of emitted) expect(Object.keys(metric.dimensions)).toEqual(['service']);
  });
});

describe('Class: ManagementApiBroadcaster (expired tokens)', () => {
  beforeEach(() => {
    ddbMock.reset();
    apiMock.reset();
  });

  it('posts nothing to a member whose token has expired and hands it to closeExpired after the others are served', async () => {
    // Prepare
    const order: string[] = [];
    const closeExpired = vi.fn(async (members: readonly unknown[]) => {
      order.push(`close:${members.length}`);
    });
    const { broadcaster } = createBroadcaster({ closeExpired });
    const past = Math.floor(Date.now() / 1000) - 1;
    ddbMock.on(QueryCommand).resolves({
      Items: [
        { ...roomRow('live'), tokenExpiresAt: FUTURE },
        { ...roomRow('expired', 'eve', 'socket.io'), tokenExpiresAt: past },
        roomRow('no-exp'),
      ],
    });
    apiMock.on(PostToConnectionCommand).callsFake((input: { ConnectionId: string }) => {
      order.push(`post:${input.ConnectionId}`);
      return {};
    });

    // Act
    const result = await broadcaster.toRoom('chat:c1', envelope);

    // Assess
    expect(postedIds().sort()).toEqual(['live', 'no-exp']);
    expect(result).toEqual({ recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
    expect(closeExpired).toHaveBeenCalledWith([{ connectionId: 'expired', userId: 'eve', protocol: 'socket.io', tokenExpiresAt: past }]);
    expect(order.at(-1)).toBe('close:1');
  });

  it('skips expired members given directly to toMembers too, and only skips them without a closer', async () => {
    // Prepare
    const { broadcaster } = createBroadcaster();
    apiMock.on(PostToConnectionCommand).resolves({});

    // Act
    const result = await broadcaster.toMembers(
      [
        { connectionId: 'a', userId: 'u1', protocol: 'lettera.v1', tokenExpiresAt: 1 },
        { connectionId: 'b', userId: 'u2', protocol: 'lettera.v1' },
      ],
      envelope,
    );

    // Assess
    expect(postedIds()).toEqual(['b']);
    expect(result.recipients).toBe(1);
  });
});
