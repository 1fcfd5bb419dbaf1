import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManagementApiBroadcaster } from '../../../../../lambdas/adapters/api-gateway/broadcaster';
import { createConnectionRemover } from '../../../../../lambdas/domain/connections';
import { processStreamBatch, type FanOutDeps } from '../../../../../lambdas/domain/fan-out/stream-batch';
import type { ConnectionRemover } from '../../../../../lambdas/domain/ports';
import { createStreamRecord } from '../../../../helpers/stream-records';
import { createDynamoStores } from '../../../../helpers/dynamo-stores';

const ddbMock = mockClient(DynamoDBDocumentClient);
const apiMock = mockClient(ApiGatewayManagementApiClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const stores = createDynamoStores(documentClient, {
  connectionsTable: 'Connections',
  roomsTable: 'Rooms',
  membershipsTable: 'Memberships',
  messagesTable: 'Messages',
  presenceTable: 'Presence',
  usersTable: 'Users',
});
const managementClient = new ApiGatewayManagementApiClient({ endpoint: 'https://example.test/stage' });

const FUTURE = Math.floor(Date.now() / 1000) + 3600;
const PAST = Math.floor(Date.now() / 1000) - 60;

type Table = 'Messages' | 'Presence' | 'Memberships' | 'Connections' | 'Users';

/** A stream record of one of the fan-out's tables, in Lambda's shape. */
function streamRecord(
  table: Table,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  keys: Record<string, unknown>,
  images: { newImage?: Record<string, unknown>; oldImage?: Record<string, unknown> } = {},
  extra: Partial<DynamoDBRecord> = {},
): DynamoDBRecord {
  return { ...createStreamRecord(eventName, { table, keys, ...images }), ...extra };
}

function message(chatId: string, messageId: string, extra: Record<string, unknown> = {}) {
  return {
    chatId,
    messageId,
    kind: 'message',
    senderId: 'alice',
    content: 'hello',
    createdAt: '2026-11-27T00:00:00.000Z',
    seq: 1,
    createdSeq: 1,
    ...extra,
  };
}

function messageInsert(chatId: string, messageId: string): DynamoDBRecord {
  return streamRecord('Messages', 'INSERT', { chatId, messageId }, { newImage: message(chatId, messageId) });
}

function roomRow(connectionId: string, userId = `user-${connectionId}`) {
  return { connectionId, userId, protocol: 'lettera.v1', expiresAt: FUTURE };
}

function batch(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

function seq(record: DynamoDBRecord): string {
  return record.dynamodb!.SequenceNumber!;
}

/** Every posted frame, decoded, by connection id. */
function posts(): { connectionId: string; frame: Record<string, unknown> }[] {
  return apiMock.commandCalls(PostToConnectionCommand).map((call) => ({
    connectionId: call.args[0].input.ConnectionId ?? '',
    frame: JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
  }));
}

function roomQuery(room: string) {
  return { TableName: 'Rooms', ExpressionAttributeValues: { ':room': room } };
}

let removeConnection: ReturnType<typeof vi.fn<ConnectionRemover>>;
let deps: FanOutDeps;

beforeEach(() => {
  removeConnection = vi.fn<ConnectionRemover>().mockResolvedValue(undefined);
  deps = {
    ...stores,
    broadcaster: new ManagementApiBroadcaster({
      managementClient,
      rooms: stores.rooms,
      removeConnection,
      retry: { maxAttempts: 3, baseDelayMs: 1 },
    }),
    connectionsTable: 'Connections',
    roomsTable: 'Rooms',
    membershipsTable: 'Memberships',
    messagesTable: 'Messages',
    presenceTable: 'Presence',
    usersTable: 'Users',
  };
  apiMock.on(PostToConnectionCommand).resolves({});
  ddbMock.on(QueryCommand).resolves({ Items: [] });
});

afterEach(() => {
  ddbMock.reset();
  apiMock.reset();
});

describe('Function: processStreamBatch', () => {
  describe('Messages stream', () => {
    it('sends message:new to N = 250 connections for exactly 2 Query pages and 250 posts', async () => {
      // Prepare
      const items = Array.from({ length: 250 }, (_, i) => roomRow(`conn-${String(i).padStart(3, '0')}`));
      const lastKey = { room: 'chat:c1', connectionId: 'conn-124' };
      ddbMock
        .on(QueryCommand)
        .resolvesOnce({ Items: items.slice(0, 125), LastEvaluatedKey: lastKey })
        .resolvesOnce({ Items: items.slice(125) });
      const record = messageInsert('c1', '01JH0000000000000000000001');

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 2);
      expect(ddbMock).toReceiveCommandWith(QueryCommand, roomQuery('chat:c1'));
      expect(ddbMock).toReceiveNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: lastKey });
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 250);
      expect(new Set(posts().map((post) => post.connectionId)).size).toBe(250);
      expect(posts()[0]!.frame).toEqual({
        event: 'message:new',
        data: {
          messageId: '01JH0000000000000000000001',
          chatId: 'c1',
          senderId: 'alice',
          content: 'hello',
          timestamp: '2026-11-27T00:00:00.000Z',
        },
        id: 'c1:1',
        ts: Date.parse('2026-11-27T00:00:00.000Z'),
        seq: 1,
      });
    });

    it('reads a chat\'s room once for all its messages in one batch, and again in the next batch', async () => {
      // Prepare
      ddbMock.on(QueryCommand, roomQuery('chat:c1')).resolves({ Items: [roomRow('bob-tab', 'bob'), roomRow('carol-tab', 'carol')] });
      const inBatch = (seq: number) =>
        streamRecord('Messages', 'INSERT', { chatId: 'c1', messageId: `m${seq}` }, { newImage: message('c1', `m${seq}`, { seq, createdSeq: seq }) });

      // Act
      const first = await processStreamBatch(deps, batch(inBatch(1), inBatch(2), inBatch(3)));
      const roomReadsAfterFirst = ddbMock.commandCalls(QueryCommand).length;
      await processStreamBatch(deps, batch(inBatch(4)));

      // Assess
      expect(first).toEqual({ batchItemFailures: [] });
      expect(roomReadsAfterFirst).toBe(1);
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 2);
      // Every message reaches both members, in position order.
      expect(posts().filter((post) => post.connectionId === 'bob-tab').map((post) => post.frame.seq)).toEqual([1, 2, 3, 4]);
      expect(posts().filter((post) => post.connectionId === 'carol-tab').map((post) => post.frame.seq)).toEqual([1, 2, 3, 4]);
    });

    it('sends message:deleted at the position of the delete when deletedAt is newly set', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      const before = message('c1', 'm1');
      const after = message('c1', 'm1', {
        content: '',
        deletedAt: '2026-11-27T00:05:00.000Z',
        deletedBy: 'alice',
        seq: 2,
      });
      const record = streamRecord('Messages', 'MODIFY', { chatId: 'c1', messageId: 'm1' }, { oldImage: before, newImage: after });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(posts().map((post) => post.frame)).toEqual([
        {
          event: 'message:deleted',
          data: { messageId: 'm1', chatId: 'c1', deletedBy: 'alice', deletedAt: '2026-11-27T00:05:00.000Z' },
          id: 'c1:2',
          ts: Date.parse('2026-11-27T00:05:00.000Z'),
          seq: 2,
        },
      ]);
    });

    it('sends message:edited at the position of the edit when content and editedAt change', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      const before = message('c1', 'm1');
      const after = message('c1', 'm1', { content: 'hello, edited', editedAt: '2026-11-27T00:01:00.000Z', seq: 2 });
      const record = streamRecord('Messages', 'MODIFY', { chatId: 'c1', messageId: 'm1' }, { oldImage: before, newImage: after });

      // Act
      await processStreamBatch(deps, batch(record));

      // Assess
      expect(posts().map((post) => post.frame)).toEqual([
        {
          event: 'message:edited',
          data: { messageId: 'm1', chatId: 'c1', senderId: 'alice', content: 'hello, edited', editedAt: '2026-11-27T00:01:00.000Z' },
          id: 'c1:2',
          ts: Date.parse('2026-11-27T00:01:00.000Z'),
          seq: 2,
        },
      ]);
    });

    it('ignores idempotency markers, TTL deletes, invisible changes and changes to deleted messages', async () => {
      // Prepare
      const marker = { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency', target: 'm1', expiresAt: FUTURE };
      const deleted = message('c1', 'm2', { content: '', deletedAt: '2026-11-27T00:05:00.000Z', deletedBy: 'alice' });
      const records = [
        streamRecord('Messages', 'INSERT', { chatId: 'c1', messageId: marker.messageId }, { newImage: marker }),
        streamRecord(
          'Messages',
          'REMOVE',
          { chatId: 'c1', messageId: marker.messageId },
          { oldImage: marker },
          { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } },
        ),
        streamRecord(
          'Messages',
          'MODIFY',
          { chatId: 'c1', messageId: 'm1' },
          { oldImage: message('c1', 'm1'), newImage: message('c1', 'm1', { seq: 7 }) },
        ),
        streamRecord('Messages', 'MODIFY', { chatId: 'c1', messageId: 'm2' }, { oldImage: deleted, newImage: { ...deleted, seq: 9 } }),
      ];

      // Act
      const response = await processStreamBatch(deps, batch(...records));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 0);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });

    it('removes only the gone recipient (not the sender) and does not report the record', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('alice-tab', 'alice'), roomRow('bob-tab', 'bob'), roomRow('carol-tab', 'carol')] });
      apiMock.on(PostToConnectionCommand, { ConnectionId: 'bob-tab' }).rejects(new GoneException({ message: 'gone', $metadata: {} }));
      const record = messageInsert('c1', 'm1');

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(removeConnection).toHaveBeenCalledTimes(1);
      expect(removeConnection).toHaveBeenCalledWith('bob-tab', { userId: 'bob', reason: 'gone' });
      expect(posts().map((post) => post.connectionId).sort()).toEqual(['alice-tab', 'bob-tab', 'carol-tab']);
    });

    it('delivers after one LimitExceededException and reports nothing', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock
        .on(PostToConnectionCommand, { ConnectionId: 'r1' })
        .rejectsOnce(new LimitExceededException({ message: 'slow down', $metadata: {} }))
        .resolves({});
      const record = messageInsert('c1', 'm1');

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 3);
    });

    it('disconnects a recipient that stays throttled and reports nothing: the chat\'s next record reaches the others at once', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1'), roomRow('r2')] });
      apiMock
        .on(PostToConnectionCommand, { ConnectionId: 'r1' })
        .rejects(new LimitExceededException({ message: 'slow down', $metadata: {} }));
      const first = messageInsert('c1', 'm1');
      const second = streamRecord('Messages', 'INSERT', { chatId: 'c1', messageId: 'm2' }, { newImage: message('c1', 'm2', { seq: 2, createdSeq: 2 }) });

      // Act
      const response = await processStreamBatch(deps, batch(first, second));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(apiMock.commandCalls(PostToConnectionCommand, { ConnectionId: 'r2' }).map((call) => JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString()).seq)).toEqual([1, 2]);
      expect(apiMock).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'r1' });
      expect(removeConnection).toHaveBeenCalledWith('r1', { userId: 'user-r1' });
    });

    it('reports the record when a post is forbidden (a permission fault, not the recipient\'s)', async () => {
      // Prepare
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      apiMock.on(PostToConnectionCommand).rejects(new ForbiddenException({ message: 'no', $metadata: {} }));
      const record = messageInsert('c1', 'm1');

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(record) }]);
      expect(apiMock).toReceiveCommandTimes(DeleteConnectionCommand, 0);
    });

    it('reports the record whose room Query is throttled and delivers the others', async () => {
      // Prepare
      ddbMock
        .on(QueryCommand, roomQuery('chat:c1'))
        .rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }))
        .on(QueryCommand, roomQuery('chat:c2'))
        .resolves({ Items: [roomRow('r2')] });
      const throttled = messageInsert('c1', 'm1');
      const fine = messageInsert('c2', 'm2');

      // Act
      const response = await processStreamBatch(deps, batch(throttled, fine));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(throttled) }]);
      expect(posts().map((post) => post.connectionId)).toEqual(['r2']);
    });

    it('reports one poison record in a batch of 5 and delivers the other 4', async () => {
      // Prepare
      for (const chat of ['c1', 'c2', 'c3', 'c4', 'c5']) {
        ddbMock.on(QueryCommand, roomQuery(`chat:${chat}`)).resolves({ Items: [roomRow(`${chat}-conn`)] });
      }
      const poison = streamRecord(
        'Messages',
        'INSERT',
        { chatId: 'c3', messageId: 'm3' },
        { newImage: { chatId: 'c3', messageId: 'm3', kind: 'message', content: 42 } },
      );
      const records = [messageInsert('c1', 'm1'), messageInsert('c2', 'm2'), poison, messageInsert('c4', 'm4'), messageInsert('c5', 'm5')];

      // Act
      const response = await processStreamBatch(deps, batch(...records));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(poison) }]);
      expect(posts().map((post) => post.connectionId).sort()).toEqual(['c1-conn', 'c2-conn', 'c4-conn', 'c5-conn']);
    });

    it("keeps a chat's order: after a failed record, the chat's later records are reported, not sent", async () => {
      // Prepare
      ddbMock
        .on(QueryCommand, roomQuery('chat:c1'))
        .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }))
        .resolves({ Items: [roomRow('r1')] });
      const first = messageInsert('c1', 'm1');
      const edit = streamRecord(
        'Messages',
        'MODIFY',
        { chatId: 'c1', messageId: 'm1' },
        { oldImage: message('c1', 'm1'), newImage: message('c1', 'm1', { content: 'v2', editedAt: '2026-11-27T00:01:00.000Z', seq: 2 }) },
      );

      // Act
      const response = await processStreamBatch(deps, batch(first, edit));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(first) }, { itemIdentifier: seq(edit) }]);
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 1);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });

    it('sends a chat\'s records in position order when the stream interleaved them (records of different items)', async () => {
      // Prepare: position 2 arrives before position 1 in the batch.
      ddbMock.on(QueryCommand).resolves({ Items: [roomRow('r1')] });
      const second = streamRecord('Messages', 'INSERT', { chatId: 'c1', messageId: 'm2' }, { newImage: message('c1', 'm2', { seq: 2, createdSeq: 2 }) });
      const first = messageInsert('c1', 'm1');

      // Act
      const response = await processStreamBatch(deps, batch(second, first));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(posts().map((post) => post.frame.seq)).toEqual([1, 2]);
    });

    it('sends a read marker as message:read to the others in the chat room, and keeps the chat\'s messages in position order around it', async () => {
      // Prepare: bob's read marker in a batch between two interleaved messages of the chat.
      ddbMock.on(QueryCommand, { TableName: 'Rooms' }).resolves({ Items: [roomRow('a1', 'alice'), roomRow('b1', 'bob')] });
      const read = streamRecord(
        'Messages',
        'INSERT',
        { chatId: 'c1', messageId: 'read#bob' },
        { newImage: { chatId: 'c1', messageId: 'read#bob', kind: 'read', userId: 'bob', readMessageId: 'm1', readSeq: 1, readAt: '2026-11-27T00:01:00.000Z' } },
      );
      const second = streamRecord('Messages', 'INSERT', { chatId: 'c1', messageId: 'm2' }, { newImage: message('c1', 'm2', { seq: 2, createdSeq: 2 }) });

      // Act
      const response = await processStreamBatch(deps, batch(second, read, messageInsert('c1', 'm1')));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const messages = posts().filter((post) => post.frame.event === 'message:new');
      expect(messages.filter((post) => post.connectionId === 'a1').map((post) => post.frame.seq)).toEqual([1, 2]);
      const reads = posts().filter((post) => post.frame.event === 'message:read');
      expect(reads).toEqual([
        { connectionId: 'a1', frame: expect.objectContaining({ data: { chatId: 'c1', userId: 'bob', messageId: 'm1', seq: 1, readAt: '2026-11-27T00:01:00.000Z' } }) },
      ]);
    });

    it('reports every record when every record fails', async () => {
      // Prepare
      ddbMock.on(QueryCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }));
      const records = [messageInsert('c1', 'm1'), messageInsert('c2', 'm2'), messageInsert('c3', 'm3')];

      // Act
      const response = await processStreamBatch(deps, batch(...records));

      // Assess
      expect(response.batchItemFailures).toEqual(records.map((record) => ({ itemIdentifier: seq(record) })));
    });

    it('reports a record from an unknown stream instead of dropping it', async () => {
      // Prepare
      const record = messageInsert('c1', 'm1');
      const stray = { ...record, eventSourceARN: record.eventSourceARN?.replace('/Messages/', '/SomethingElse/') };

      // Act
      const response = await processStreamBatch(deps, batch(stray));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(stray) }]);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });
  });

  describe('Presence stream', () => {
    function presence(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before: string[] | undefined, after: string[] | undefined) {
      const row = (ids: string[] | undefined) =>
        ids === undefined ? undefined : { userId: 'alice', updatedAt: 1_764_201_600_000, ...(ids.length > 0 && { connectionIds: new Set(ids) }) };
      return streamRecord('Presence', eventName, { userId: 'alice' }, { oldImage: row(before), newImage: row(after) });
    }

    function shareChats() {
      ddbMock
        .on(QueryCommand, { TableName: 'Memberships', IndexName: 'byUser' })
        .resolvesOnce({ Items: [{ chatId: 'c1' }], LastEvaluatedKey: { userId: 'alice', chatId: 'c1' } })
        .resolvesOnce({ Items: [{ chatId: 'c2' }] })
        .on(QueryCommand, roomQuery('chat:c1'))
        .resolves({ Items: [roomRow('alice-tab', 'alice'), roomRow('bob-tab', 'bob'), roomRow('carol-tab', 'carol')] })
        .on(QueryCommand, roomQuery('chat:c2'))
        .resolves({ Items: [roomRow('bob-tab', 'bob'), roomRow('dave-tab', 'dave'), roomRow('alice-tab-2', 'alice')] });
    }

    it('sends user:online on 0→1, once to each connection sharing a chat, never to the user', async () => {
      // Prepare
      shareChats();
      const record = presence('INSERT', undefined, ['alice-tab']);

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandWith(QueryCommand, {
        TableName: 'Memberships',
        IndexName: 'byUser',
        ExpressionAttributeValues: { ':userId': 'alice' },
      });
      // The user's chats (two pages), their block rows (none), and per chat its size (COUNT) and its room.
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 2 + 1 + 2 + 2);
      expect(posts().map((post) => post.connectionId).sort()).toEqual(['bob-tab', 'carol-tab', 'dave-tab']);
      expect(posts()[0]!.frame).toMatchObject({
        event: 'user:online',
        data: { userId: 'alice', at: new Date(1_764_201_600_000).toISOString() },
        id: expect.any(String),
      });
    });

    it.each([
      ['MODIFY', ['alice-tab'], []],
      ['REMOVE', ['alice-tab'], undefined],
    ] as const)('sends user:offline on 1→0 (%s)', async (eventName, before, after) => {
      // Prepare
      shareChats();
      const record = presence(eventName, [...before], after === undefined ? undefined : [...after]);

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(posts().map((post) => post.frame.event)).toEqual(['user:offline', 'user:offline', 'user:offline']);
      expect(posts()[0]!.frame).toMatchObject({ data: { userId: 'alice' } });
    });

    it('reads a shared chat\'s size and room once for a whole login burst in one batch', async () => {
      // Prepare
      const users = ['u0', 'u1', 'u2', 'u3', 'u4'];
      ddbMock
        .on(QueryCommand, { TableName: 'Memberships', IndexName: 'byUser' })
        .resolves({ Items: [{ chatId: 'team' }] })
        .on(QueryCommand, { TableName: 'Memberships', Select: 'COUNT' })
        .resolves({ Count: users.length })
        .on(QueryCommand, roomQuery('chat:team'))
        .resolves({ Items: users.map((userId) => roomRow(`${userId}-tab`, userId)) });
      const records = users.map((userId) =>
        streamRecord('Presence', 'INSERT', { userId }, { newImage: { userId, updatedAt: 1_764_201_600_000, connectionIds: new Set([`${userId}-tab`]) } }),
      );

      // Act
      const response = await processStreamBatch(deps, batch(...records));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const queries = ddbMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
      expect(queries.filter((input) => input.TableName === 'Rooms')).toHaveLength(1);
      expect(queries.filter((input) => input.Select === 'COUNT')).toHaveLength(1);
      // Each user hears the four others: 5 × 4 posts, none to oneself.
      expect(posts()).toHaveLength(20);
      expect(posts().every(({ connectionId, frame }) => !connectionId.startsWith(`${(frame.data as { userId: string }).userId}-`))).toBe(true);
    });

    it('reads the room again in the next batch (the snapshot lasts one batch)', async () => {
      // Prepare
      ddbMock
        .on(QueryCommand, { TableName: 'Memberships', IndexName: 'byUser' })
        .resolves({ Items: [{ chatId: 'team' }] })
        .on(QueryCommand, roomQuery('chat:team'))
        .resolves({ Items: [roomRow('bob-tab', 'bob')] });

      // Act
      await processStreamBatch(deps, batch(presence('INSERT', undefined, ['alice-tab'])));
      await processStreamBatch(deps, batch(presence('MODIFY', ['alice-tab'], [])));

      // Assess
      expect(ddbMock.commandCalls(QueryCommand).filter((call) => call.args[0].input.TableName === 'Rooms')).toHaveLength(2);
      expect(posts().map((post) => post.frame.event)).toEqual(['user:online', 'user:offline']);
    });

    it('broadcasts no presence through a chat above presenceBroadcastMaxMembers, without reading its room', async () => {
      // Prepare
      ddbMock
        .on(QueryCommand, { TableName: 'Memberships', IndexName: 'byUser' })
        .resolves({ Items: [{ chatId: 'big' }, { chatId: 'small' }] })
        .on(QueryCommand, { TableName: 'Memberships', Select: 'COUNT', ExpressionAttributeValues: { ':chatId': 'big' } })
        .resolves({ Count: 4 })
        .on(QueryCommand, { TableName: 'Memberships', Select: 'COUNT', ExpressionAttributeValues: { ':chatId': 'small' } })
        .resolves({ Count: 3 })
        .on(QueryCommand, roomQuery('chat:big'))
        .resolves({ Items: [roomRow('erin-tab', 'erin')] })
        .on(QueryCommand, roomQuery('chat:small'))
        .resolves({ Items: [roomRow('bob-tab', 'bob')] });

      // Act
      const response = await processStreamBatch({ ...deps, presenceBroadcastMaxMembers: 3 }, batch(presence('INSERT', undefined, ['alice-tab'])));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(posts().map((post) => post.connectionId)).toEqual(['bob-tab']);
      expect(ddbMock).not.toReceiveCommandWith(QueryCommand, roomQuery('chat:big'));
    });

    it.each([
      ['1→2', ['a'], ['a', 'b']],
      ['2→1', ['a', 'b'], ['b']],
    ])('sends nothing on %s', async (_label, before, after) => {
      // Prepare
      shareChats();
      const record = presence('MODIFY', before, after);

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 0);
      expect(apiMock).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });
  });

  describe('Memberships stream', () => {
    const membership = { chatId: 'c9', userId: 'erin', title: 'Team', addedAt: '2026-11-27T00:00:00.000Z', addedBy: 'alice' };

    /** Who has which connections (byUser Queries, then their rows by BatchGetItem), and who is in c9 (BatchGetItem on Memberships). */
    function connected(byUser: Record<string, string[]>, members: string[] = Object.keys(byUser)) {
      const owner = new Map(Object.entries(byUser).flatMap(([userId, ids]) => ids.map((id) => [id, userId] as const)));
      ddbMock.on(QueryCommand, { TableName: 'Connections', IndexName: 'byUser' }).callsFake((input: { ExpressionAttributeValues: { ':userId': string } }) => ({
        Items: [
          ...(byUser[input.ExpressionAttributeValues[':userId']] ?? []).map((connectionId) => ({ connectionId, protocol: 'lettera.v1', expiresAt: FUTURE })),
          { connectionId: `${input.ExpressionAttributeValues[':userId']}-stale`, protocol: 'lettera.v1', expiresAt: PAST },
        ],
      }));
      ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Record<string, string>[] }> }) => {
        const [table, { Keys }] = Object.entries(input.RequestItems)[0]!;
        const found =
          table === 'Connections'
            ? Keys.filter((key) => owner.has(key.connectionId!)).map((key) => ({
                connectionId: key.connectionId,
                userId: owner.get(key.connectionId!),
                protocol: key.connectionId!.endsWith('sio') ? 'socket.io' : 'lettera.v1',
                expiresAt: FUTURE,
                tokenExpiresAt: FUTURE,
              }))
            : Keys.filter((key) => members.includes(key.userId!)).map((key) => ({ userId: key.userId }));
        return { Responses: { [table]: found } };
      });
    }

    /** The room rows written by BatchWriteItem, in order. */
    function roomRowsPut(): Record<string, unknown>[] {
      return ddbMock
        .commandCalls(BatchWriteCommand)
        .flatMap((call) => (call.args[0].input.RequestItems?.Rooms ?? []).flatMap((request) => (request.PutRequest === undefined ? [] : [request.PutRequest.Item ?? {}])));
    }

    it('joins the added user’s live connections to the chat room, with the token’s expiry on each row', async () => {
      // Prepare
      connected({ erin: ['erin-1', 'erin-sio'] });
      ddbMock.on(BatchWriteCommand).resolves({}).on(UpdateCommand).resolves({});
      const record = streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId: 'erin' }, { newImage: membership });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandWith(QueryCommand, { TableName: 'Connections', IndexName: 'byUser', ExpressionAttributeValues: { ':userId': 'erin' } });
      expect(roomRowsPut()).toEqual([
        { room: 'chat:c9', connectionId: 'erin-1', userId: 'erin', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: FUTURE },
        { room: 'chat:c9', connectionId: 'erin-sio', userId: 'erin', protocol: 'socket.io', expiresAt: FUTURE, tokenExpiresAt: FUTURE },
      ]);
      expect(ddbMock).toReceiveCommandTimes(UpdateCommand, 2);
      expect(ddbMock).toReceiveCommandWith(UpdateCommand, {
        TableName: 'Connections',
        Key: { connectionId: 'erin-1' },
        UpdateExpression: 'ADD #rooms :room',
        ConditionExpression: 'attribute_exists(connectionId)',
        ExpressionAttributeValues: { ':room': new Set(['chat:c9']) },
      });
      expect(ddbMock).toReceiveCommandTimes(DeleteCommand, 0);
    });

    it('does not resurrect a connection that vanished meanwhile: its new room row is deleted again', async () => {
      // Prepare
      connected({ erin: ['erin-1', 'erin-2'] });
      ddbMock
        .on(BatchWriteCommand)
        .resolves({})
        .on(UpdateCommand)
        .resolves({})
        .on(UpdateCommand, { Key: { connectionId: 'erin-2' } })
        .rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }))
        .on(DeleteCommand)
        .resolves({});
      const record = streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId: 'erin' }, { newImage: membership });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandTimes(DeleteCommand, 1);
      expect(ddbMock).toReceiveCommandWith(DeleteCommand, { TableName: 'Rooms', Key: { room: 'chat:c9', connectionId: 'erin-2' } });
    });

    it('takes a joined connection out again when its user is no longer a participant (an add replayed after the removal)', async () => {
      // Prepare
      connected({ erin: ['erin-1'] }, []);
      ddbMock.on(BatchWriteCommand).resolves({}).on(UpdateCommand).resolves({}).on(DeleteCommand).resolves({});
      const record = streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId: 'erin' }, { newImage: membership });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandWith(DeleteCommand, { TableName: 'Rooms', Key: { room: 'chat:c9', connectionId: 'erin-1' } });
      expect(ddbMock).toReceiveCommandWith(UpdateCommand, { Key: { connectionId: 'erin-1' }, UpdateExpression: 'DELETE #rooms :room' });
    });

    it('removes the removed user’s connections from the chat room, telling them chat:member-removed directly', async () => {
      // Prepare
      connected({ erin: ['erin-1', 'erin-2'], alice: ['alice-1'] });
      ddbMock.on(QueryCommand, roomQuery('chat:c9')).resolves({ Items: [roomRow('alice-1', 'alice')] });
      ddbMock
        .on(DeleteCommand)
        .resolves({})
        .on(UpdateCommand)
        .resolves({})
        .on(UpdateCommand, { Key: { connectionId: 'erin-2' } })
        .rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
      const record = streamRecord('Memberships', 'REMOVE', { chatId: 'c9', userId: 'erin' }, { oldImage: membership });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandTimes(DeleteCommand, 2);
      expect(ddbMock).toReceiveCommandWith(DeleteCommand, { TableName: 'Rooms', Key: { room: 'chat:c9', connectionId: 'erin-1' } });
      expect(ddbMock).toReceiveCommandWith(UpdateCommand, {
        Key: { connectionId: 'erin-1' },
        UpdateExpression: 'DELETE #rooms :room',
        ExpressionAttributeValues: { ':room': new Set(['chat:c9']) },
      });
      expect(ddbMock).toReceiveCommandTimes(BatchWriteCommand, 0);
      expect(posts().map((post) => [post.connectionId, post.frame.event]).sort()).toEqual([
        ['alice-1', 'chat:member-removed'],
        ['erin-1', 'chat:member-removed'],
        ['erin-2', 'chat:member-removed'],
      ]);
    });

    it('applies consecutive joins of one chat as one step: the users’ lookups together, their room rows in shared batches', async () => {
      // Prepare
      const users = Array.from({ length: 30 }, (_, i) => `u${String(i).padStart(2, '0')}`);
      connected(Object.fromEntries(users.map((userId) => [userId, [`${userId}-1`]])));
      ddbMock.on(BatchWriteCommand).resolves({}).on(UpdateCommand).resolves({});
      const records = users.map((userId) =>
        streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId }, { newImage: { ...membership, userId, addedWithChat: true } }),
      );

      // Act
      const response = await processStreamBatch(deps, batch(...records));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(roomRowsPut().map((row) => row.connectionId)).toEqual(users.map((userId) => `${userId}-1`));
      // 30 rows: two BatchWriteItem calls (25 + 5), one BatchGetItem of connections, one of memberships.
      expect(ddbMock).toReceiveCommandTimes(BatchWriteCommand, 2);
      expect(ddbMock).toReceiveCommandTimes(BatchGetCommand, 2);
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 30);
    });

    it('keeps a join and a later leave of one chat in order (only same-kind neighbours merge), and fails them together', async () => {
      // Prepare
      connected({ erin: ['erin-1'], frank: ['frank-1'] });
      ddbMock.on(UpdateCommand).resolves({}).on(DeleteCommand).resolves({});
      ddbMock.on(BatchWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }));
      const erinJoins = streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId: 'erin' }, { newImage: membership });
      const frankJoins = streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId: 'frank' }, { newImage: { ...membership, userId: 'frank' } });
      const erinLeaves = streamRecord('Memberships', 'REMOVE', { chatId: 'c9', userId: 'erin' }, { oldImage: membership });

      // Act
      const response = await processStreamBatch(deps, batch(erinJoins, frankJoins, erinLeaves));

      // Assess: the merged joins failed together; the leave after them was not applied
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(erinJoins) }, { itemIdentifier: seq(frankJoins) }, { itemIdentifier: seq(erinLeaves) }]);
      expect(ddbMock).toReceiveCommandTimes(DeleteCommand, 0);
    });

    it('ignores membership MODIFYs (typing-throttle updates)', async () => {
      // Prepare
      const record = streamRecord(
        'Memberships',
        'MODIFY',
        { chatId: 'c9', userId: 'erin' },
        { oldImage: membership, newImage: { ...membership, typingAt: 1_764_201_600_000 } },
      );

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandTimes(QueryCommand, 0);
    });

    it('reports a join whose room write fails', async () => {
      // Prepare
      connected({ erin: ['erin-1'] });
      ddbMock.on(BatchWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }));
      const record = streamRecord('Memberships', 'INSERT', { chatId: 'c9', userId: 'erin' }, { newImage: membership });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(record) }]);
    });
  });

  describe('Users stream', () => {
    it('tells the blocker\'s own connections user:blocked, and reports a failed post for a retry', async () => {
      // Prepare
      ddbMock.on(QueryCommand, roomQuery('user:alice')).resolves({ Items: [roomRow('alice-tab', 'alice')] });
      const record = streamRecord('Users', 'INSERT', { userId: 'alice', sk: 'block#mallory' }, { newImage: { userId: 'alice', sk: 'block#mallory', blockedAt: 'x' } });

      // Act
      const response = await processStreamBatch(deps, batch(record));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(posts()).toEqual([{ connectionId: 'alice-tab', frame: expect.objectContaining({ event: 'user:blocked', data: expect.objectContaining({ userId: 'mallory' }) }) }]);
    });

    it('sends nothing for the blocked user\'s row', async () => {
      // Act
      const response = await processStreamBatch(deps, batch(streamRecord('Users', 'INSERT', { userId: 'mallory', sk: 'blockedBy#alice' })));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(posts()).toEqual([]);
    });
  });

  describe('Connections stream (new socket.io connections)', () => {
    const pendingInsert = () =>
      streamRecord('Connections', 'INSERT', { connectionId: 'sio-1=' }, { newImage: { connectionId: 'sio-1=', protocol: 'socket.io', state: 'pending', connectedAt: 1 } });

    it('hands the new connection to the open-packet sender', async () => {
      // Prepare
      const openSocketIo = vi.fn().mockResolvedValue(undefined);

      // Act
      const response = await processStreamBatch({ ...deps, openSocketIo }, batch(pendingInsert()));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(openSocketIo).toHaveBeenCalledWith('sio-1=');
    });

    it('reports the record when the open packet could not be sent, and when no sender is configured', async () => {
      // Prepare
      const failing = pendingInsert();
      const unconfigured = pendingInsert();
      const openSocketIo = vi.fn().mockRejectedValue(Object.assign(new Error('slow down'), { name: 'LimitExceededException' }));

      // Act
      const failed = await processStreamBatch({ ...deps, openSocketIo }, batch(failing));
      const missing = await processStreamBatch(deps, batch(unconfigured));

      // Assess
      expect(failed.batchItemFailures).toEqual([{ itemIdentifier: seq(failing) }]);
      expect(missing.batchItemFailures).toEqual([{ itemIdentifier: seq(unconfigured) }]);
    });
  });

  describe('Connections stream (connections removed by TTL)', () => {
    const TTL = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
    const openRow = { connectionId: 'c1=', userId: 'alice', protocol: 'lettera.v1', connectedAt: 1, expiresAt: PAST, rooms: new Set(['user:alice', 'chat:c1']) };
    const removal = (oldImage: Record<string, unknown> | undefined, userIdentity?: DynamoDBRecord['userIdentity']) =>
      streamRecord('Connections', 'REMOVE', { connectionId: String(oldImage?.connectionId ?? 'c1=') }, oldImage === undefined ? {} : { oldImage }, userIdentity === undefined ? {} : { userIdentity });

    it("takes a TTL-deleted connection out of its user's presence set, and nothing else", async () => {
      // Prepare: the real remover; the Connections row is gone (TTL deleted it).
      ddbMock.on(GetCommand).resolves({});
      const remover = createConnectionRemover(stores);

      // Act
      const response = await processStreamBatch({ ...deps, removeConnection: remover }, batch(removal(openRow, TTL)));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).toReceiveCommandWith(GetCommand, { TableName: 'Connections', Key: { connectionId: 'c1=' }, ConsistentRead: true });
      expect(ddbMock).toReceiveCommandWith(UpdateCommand, {
        TableName: 'Presence',
        Key: { userId: 'alice' },
        UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
        ExpressionAttributeValues: { ':ids': new Set(['c1=']), ':now': expect.any(Number) },
      });
      expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(1);
      expect(ddbMock.commandCalls(DeleteCommand)).toHaveLength(0);
      expect(ddbMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
      expect(apiMock.commandCalls(PostToConnectionCommand)).toHaveLength(0);
    });

    it('hands the connection id and the old image’s userId to the remover', async () => {
      // Act
      const response = await processStreamBatch({ ...deps, removeConnection }, batch(removal(openRow, TTL)));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(removeConnection).toHaveBeenCalledExactlyOnceWith('c1=', { userId: 'alice' });
    });

    it('ignores a delete made by a user ($disconnect or a 410 already cleaned presence)', async () => {
      // Act
      const response = await processStreamBatch({ ...deps, removeConnection }, batch(removal(openRow), removal({ ...openRow, connectionId: 'c2=' }, { type: 'User', principalId: 'AROAEXAMPLE' })));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(removeConnection).not.toHaveBeenCalled();
      expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('ignores TTL deletes of rows without a userId (pending socket.io connections, recovery sessions)', async () => {
      // Prepare
      const pending = { connectionId: 'sio-1=', protocol: 'socket.io', state: 'pending', connectedAt: 1, expiresAt: PAST };
      const session = { connectionId: 'session#pid-1', sessionUserId: 'alice', expiresAt: PAST };

      // Act
      const response = await processStreamBatch({ ...deps, removeConnection }, batch(removal(pending, TTL), removal(session, TTL)));

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(removeConnection).not.toHaveBeenCalled();
    });

    it('reports a TTL delete without an old image, or whose presence update fails, or with no remover configured', async () => {
      // Prepare
      const noImage = removal(undefined, TTL);
      const failing = removal(openRow, TTL);
      const unconfigured = removal({ ...openRow, connectionId: 'c3=' }, TTL);
      removeConnection.mockRejectedValueOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

      // Act
      const first = await processStreamBatch({ ...deps, removeConnection }, batch(noImage, failing));
      const second = await processStreamBatch(deps, batch(unconfigured));

      // Assess
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: seq(noImage) }, { itemIdentifier: seq(failing) }]);
      expect(second.batchItemFailures).toEqual([{ itemIdentifier: seq(unconfigured) }]);
    });
  });
});
