/**
 * The batch-level presence cases (0→1 online to co-members, 1→0 offline,
 * 1→2 / 2→1 silent) are in domain/fan-out.test.ts; this file pins the
 * transition table, the event time and the recipient set directly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coMemberConnections, fanOutPresence, presenceEventOf, presenceTransitionOf, withBatchReads, type PresenceFanOutDeps } from '../../../../../lambdas/domain/fan-out/presence';
import { MalformedRecordError } from '../../../../../lambdas/domain/fan-out/records';
import type { BroadcastResult, RoomBroadcaster } from '../../../../../lambdas/domain/ports';
import { createStreamRecord } from '../../../../helpers/stream-records';
import { createDynamoStores } from '../../../../helpers/dynamo-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const FUTURE = Math.floor(Date.now() / 1000) + 3600;
const RECORD_TIME_S = 1_764_201_600;

function createDeps() {
  const toMembers = vi.fn<RoomBroadcaster['toMembers']>(async (members): Promise<BroadcastResult> => ({
    recipients: members.length,
    delivered: members.length,
    gone: 0,
    disconnected: 0,
    undeliverable: 0,
    failed: 0,
  }));
  const broadcaster: RoomBroadcaster = { toRoom: vi.fn(), toMembers };
  const deps: PresenceFanOutDeps = { ...createDynamoStores(documentClient, { membershipsTable: 'Memberships', roomsTable: 'Rooms', usersTable: 'Users' }), broadcaster };
  return { deps, toMembers };
}

const row = (connectionIds: string[] | undefined, extra: Record<string, unknown> = {}) => ({
  userId: 'alice',
  ...(connectionIds !== undefined && connectionIds.length > 0 && { connectionIds: new Set(connectionIds) }),
  ...extra,
});

const member = (connectionId: string, userId: string) => ({ connectionId, userId, protocol: 'lettera.v1', expiresAt: FUTURE });

function aliceSharesChats(rooms: Record<string, ReturnType<typeof member>[]>, aliceBlockRows: string[] = []) {
  ddb.on(QueryCommand, { TableName: 'Users' }).resolves({ Items: aliceBlockRows.map((sk) => ({ sk })) });
  ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Items: Object.keys(rooms).map((chatId) => ({ chatId })) });
  for (const [chatId, items] of Object.entries(rooms)) {
    ddb.on(QueryCommand, { TableName: 'Rooms', ExpressionAttributeValues: { ':room': `chat:${chatId}` } }).resolves({ Items: items });
  }
}

describe('Function: presenceTransitionOf', () => {
  it.each([
    ['INSERT 0→1', 'INSERT', undefined, ['a'], 'user:online'],
    ['MODIFY attribute absent→1', 'MODIFY', [], ['a'], 'user:online'],
    ['MODIFY 1→attribute absent', 'MODIFY', ['a'], [], 'user:offline'],
    ['REMOVE of a row with connections', 'REMOVE', ['a', 'b'], undefined, 'user:offline'],
    ['MODIFY 1→2', 'MODIFY', ['a'], ['a', 'b'], undefined],
    ['MODIFY 2→1', 'MODIFY', ['a', 'b'], ['b'], undefined],
    ['MODIFY 0→0 (updatedAt only)', 'MODIFY', [], [], undefined],
    ['REMOVE of an already empty row', 'REMOVE', [], undefined, undefined],
  ] as const)('%s → %s', (_label, eventName, before, after, expected) => {
    // Prepare
    const record = createStreamRecord(eventName, {
      keys: { userId: 'alice' },
      ...(before !== undefined && { oldImage: row([...before]) }),
      ...(after !== undefined && { newImage: row([...after]) }),
    });

    // Act + Assess
    expect(presenceTransitionOf(record)).toBe(expected);
  });

  it('counts only a set of connection ids, not a number some writer left there', () => {
    // Prepare
    const record = createStreamRecord('MODIFY', { keys: { userId: 'alice' }, oldImage: row([]), newImage: { userId: 'alice', connectionIds: 3 } });

    // Act + Assess
    expect(presenceTransitionOf(record)).toBeUndefined();
  });
});

describe('Function: coMemberConnections', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('returns each co-member connection once across shared chats, never the user\'s own', async () => {
    // Prepare
    const { deps } = createDeps();
    aliceSharesChats({
      c1: [member('alice-1', 'alice'), member('bob-1', 'bob'), member('carol-1', 'carol')],
      c2: [member('bob-1', 'bob'), member('alice-2', 'alice')],
    });

    // Act
    const recipients = await coMemberConnections(deps, 'alice');

    // Assess
    expect(recipients.map((r) => r.connectionId).sort()).toEqual(['bob-1', 'carol-1']);
  });

  it('reads no room for a user in no chat', async () => {
    // Prepare
    const { deps } = createDeps();
    aliceSharesChats({});

    // Act
    const recipients = await coMemberConnections(deps, 'alice');

    // Assess
    expect(recipients).toEqual([]);
    // Her chats and her block rows; no room.
    expect(ddb).toReceiveCommandTimes(QueryCommand, 2);
  });

  it('leaves out the users alice blocked and those who blocked her, with one Query of her block rows', async () => {
    // Prepare
    const { deps } = createDeps();
    aliceSharesChats(
      { c1: [member('bob-1', 'bob'), member('carol-1', 'carol'), member('dave-1', 'dave')] },
      ['block#bob', 'blockedBy#carol'],
    );

    // Act
    const recipients = await coMemberConnections(deps, 'alice');

    // Assess
    expect(recipients.map((r) => r.connectionId)).toEqual(['dave-1']);
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 'Users',
      KeyConditionExpression: 'userId = :userId AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':userId': 'alice', ':prefix': 'block' },
    });
  });
});

describe('Function: fanOutPresence', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('sends user:online stamped with the row\'s updatedAt to the co-members', async () => {
    // Prepare
    const { deps, toMembers } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });
    const record = createStreamRecord('INSERT', { keys: { userId: 'alice' }, newImage: row(['alice-1'], { updatedAt: 1_764_205_200_000 }) });

    // Act
    const result = await fanOutPresence(deps, record);

    // Assess
    expect(result).toEqual({ recipients: 1, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
    expect(toMembers).toHaveBeenCalledWith([expect.objectContaining({ connectionId: 'bob-1' })], {
      event: 'user:online',
      data: { userId: 'alice', at: '2025-11-27T01:00:00.000Z', state: 'online' },
      id: expect.any(String),
      ts: 1_764_205_200_000,
    });
  });

  it('stamps user:offline of a removed row with the record time, not the old row\'s updatedAt', async () => {
    // Prepare
    const { deps, toMembers } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });
    const record = createStreamRecord('REMOVE', {
      keys: { userId: 'alice' },
      oldImage: row(['alice-1'], { updatedAt: 1_000 }),
      approximateCreationDateTime: RECORD_TIME_S,
    });

    // Act
    await fanOutPresence(deps, record);

    // Assess
    expect(toMembers.mock.calls[0]?.[1]).toMatchObject({
      event: 'user:offline',
      data: { userId: 'alice', at: new Date(RECORD_TIME_S * 1000).toISOString(), lastSeenAt: new Date(RECORD_TIME_S * 1000).toISOString() },
      ts: RECORD_TIME_S * 1000,
    });
  });

  it('falls back to the record time when the stored updatedAt is not a usable time', async () => {
    // Prepare
    const { deps, toMembers } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });
    const record = createStreamRecord('INSERT', {
      keys: { userId: 'alice' },
      newImage: row(['alice-1'], { updatedAt: 9e15 }),
      approximateCreationDateTime: RECORD_TIME_S,
    });

    // Act
    await fanOutPresence(deps, record);

    // Assess
    expect(toMembers.mock.calls[0]?.[1]).toMatchObject({ data: { at: new Date(RECORD_TIME_S * 1000).toISOString() } });
  });

  it('gives every event its own id, so clients do not drop a later online as a duplicate', async () => {
    // Prepare
    const { deps, toMembers } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });
    const online = () => createStreamRecord('INSERT', { keys: { userId: 'alice' }, newImage: row(['alice-1'], { updatedAt: 1 }) });

    // Act
    await fanOutPresence(deps, online());
    await fanOutPresence(deps, online());

    // Assess
    const ids = toMembers.mock.calls.map(([, envelope]) => envelope.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('does nothing, reading nothing, when there is no transition', async () => {
    // Prepare
    const { deps, toMembers } = createDeps();
    const record = createStreamRecord('MODIFY', { keys: { userId: 'alice' }, oldImage: row(['a']), newImage: row(['a', 'b']) });

    // Act
    const result = await fanOutPresence(deps, record);

    // Assess
    expect(result).toBeUndefined();
    expect(toMembers).not.toHaveBeenCalled();
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('throws MalformedRecordError for a transition without a user id', async () => {
    // Prepare
    const { deps, toMembers } = createDeps();
    const record = createStreamRecord('INSERT', { newImage: { connectionIds: new Set(['a']) } });

    // Act + Assess
    await expect(fanOutPresence(deps, record)).rejects.toBeInstanceOf(MalformedRecordError);
    expect(toMembers).not.toHaveBeenCalled();
  });
});

describe('Function: withBatchReads', () => {
  const members = [{ connectionId: 'bob-1', userId: 'bob', protocol: 'lettera.v1' as const, expiresAt: FUTURE }];

  it('reads each room and each chat size once, however many users ask at once', async () => {
    // Prepare
    const { deps } = createDeps();
    const roomsMembers = vi.fn().mockResolvedValue(members);
    const countParticipants = vi.fn().mockResolvedValue(2);
    const batchDeps = withBatchReads({ ...deps, rooms: { members: roomsMembers }, memberships: { ...deps.memberships, countParticipants } });

    // Act
    await Promise.all([batchDeps.rooms.members('chat:c1'), batchDeps.rooms.members('chat:c1'), batchDeps.rooms.members('chat:c2')]);
    await Promise.all([batchDeps.memberships.countParticipants('c1'), batchDeps.memberships.countParticipants('c1')]);

    // Assess
    expect(roomsMembers.mock.calls.map(([room]) => room)).toEqual(['chat:c1', 'chat:c2']);
    expect(countParticipants).toHaveBeenCalledTimes(1);
  });

  it('forgets a failed read, so the record\'s retry reads again', async () => {
    // Prepare
    const { deps } = createDeps();
    const roomsMembers = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue(members);
    const batchDeps = withBatchReads({ ...deps, rooms: { members: roomsMembers } });

    // Act
    const first = batchDeps.rooms.members('chat:c1');
    await expect(first).rejects.toThrow('throttled');
    const second = await batchDeps.rooms.members('chat:c1');

    // Assess
    expect(second).toEqual(members);
    expect(roomsMembers).toHaveBeenCalledTimes(2);
  });
});

describe('Function: coMemberConnections (size rule)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('reads no chat at all when presenceBroadcastMaxMembers is 0', async () => {
    // Prepare
    const { deps } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });

    // Act
    const recipients = await coMemberConnections({ ...deps, presenceBroadcastMaxMembers: 0 }, 'alice');

    // Assess
    expect(recipients).toEqual([]);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('counts a chat of exactly the maximum as small enough', async () => {
    // Prepare
    const { deps } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });
    ddb.on(QueryCommand, { TableName: 'Memberships', Select: 'COUNT' }).resolves({ Count: 100 });

    // Act
    const recipients = await coMemberConnections(deps, 'alice');

    // Assess
    expect(recipients.map((r) => r.connectionId)).toEqual(['bob-1']);
  });

  it('leaves out a chat of one more than the maximum (default 100)', async () => {
    // Prepare
    const { deps } = createDeps();
    aliceSharesChats({ c1: [member('bob-1', 'bob')] });
    ddb.on(QueryCommand, { TableName: 'Memberships', Select: 'COUNT' }).resolves({ Count: 101 });

    // Act
    const recipients = await coMemberConnections(deps, 'alice');

    // Assess
    expect(recipients).toEqual([]);
  });
});

describe('Function: presenceEventOf (states)', () => {
  const STATUS_AT = 1_764_205_260_000;
  const online = (extra: Record<string, unknown> = {}) => row(['a'], { updatedAt: 1, ...extra });

  it('carries the state and text the user had set on user:online (a state survives reconnects)', () => {
    // Prepare
    const record = createStreamRecord('MODIFY', { keys: { userId: 'alice' }, oldImage: row([], { state: 'busy', statusText: 'Focus' }), newImage: online({ state: 'busy', statusText: 'Focus' }) });

    // Act
    const event = presenceEventOf(record);

    // Assess
    expect(event?.userId).toBe('alice');
    expect(event?.envelope).toMatchObject({ event: 'user:online', data: { userId: 'alice', state: 'busy', text: 'Focus' } });
  });

  it.each([
    ['a new state', { state: 'online' }, { state: 'away' }, { state: 'away' }],
    ['a new text', { state: 'busy', statusText: 'Call' }, { state: 'busy', statusText: 'Lunch' }, { state: 'busy', text: 'Lunch' }],
    ['the text removed', { state: 'busy', statusText: 'Call' }, { state: 'busy' }, { state: 'busy' }],
    ['a first state on a row that had none', {}, { state: 'busy' }, { state: 'busy' }],
  ])('sends user:status, stamped with statusAt, for %s while online', (_label, before, after, data) => {
    // Prepare
    const record = createStreamRecord('MODIFY', { keys: { userId: 'alice' }, oldImage: online(before), newImage: online({ ...after, statusAt: STATUS_AT }) });

    // Act
    const event = presenceEventOf(record);

    // Assess
    expect(event?.envelope).toEqual({ event: 'user:status', data: { userId: 'alice', ...data, at: new Date(STATUS_AT).toISOString() }, id: expect.any(String), ts: STATUS_AT });
  });

  it.each([
    ['the same state written again', online({ state: 'away' }), online({ state: 'away', statusAt: STATUS_AT })],
    ['"online" written over no state', online(), online({ state: 'online', statusAt: STATUS_AT })],
    ['a change while offline (over HTTP)', row([], { state: 'online' }), row([], { state: 'busy', statusAt: STATUS_AT })],
  ])('sends nothing for %s', (_label, oldImage, newImage) => {
    // Prepare
    const record = createStreamRecord('MODIFY', { keys: { userId: 'alice' }, oldImage, newImage });

    // Act + Assess
    expect(presenceEventOf(record)).toBeUndefined();
  });
});
