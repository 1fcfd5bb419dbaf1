import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitedError, TooManyConnectionsError, UnauthorizedError } from '../../../../lambdas/commons/errors';
import {
  ConnectionNotPendingError,
  createConnectionRemover,
  loadCaller,
  openConnection,
  recordPendingConnection,
  TokenExpiredError,
  roomRowOf,
} from '../../../../lambdas/domain/connections';
import { createDynamoStores } from '../../../helpers/dynamo-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tables = { connectionsTable: 'Connections', roomsTable: 'Rooms', membershipsTable: 'Memberships', presenceTable: 'Presence' };
const stores = createDynamoStores(documentClient, tables);
const CONNECTED_AT = 1_764_204_000_000;

describe('Function: openConnection', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('writes the row, a room row per room (all membership pages, chunks of 25) and the presence entry', async () => {
    // Prepare
    const chats = Array.from({ length: 30 }, (_, i) => ({ chatId: `c${i}` }));
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: chats.slice(0, 20), LastEvaluatedKey: { chatId: 'c19', userId: 'alice' } })
      .resolvesOnce({ Items: chats.slice(20) });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});

    // Act
    const { rooms } = await openConnection(stores, {
      connectionId: 'conn-1=',
      userId: 'alice',
      protocol: 'lettera.v1',
      connectedAt: CONNECTED_AT,
      tokenExpiresAt: 1_764_207_600,
    });

    // Assess
    expect(rooms).toHaveLength(31);
    expect(rooms[0]).toBe('user:alice');
    expect(ddb).toReceiveCommandTimes(QueryCommand, 2);
    expect(ddb).toReceiveCommandWith(QueryCommand, { TableName: 'Memberships', IndexName: 'byUser' });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'Connections',
      Item: expect.objectContaining({
        connectionId: 'conn-1=',
        userId: 'alice',
        protocol: 'lettera.v1',
        connectedAt: CONNECTED_AT,
        expiresAt: CONNECTED_AT / 1000 + 2 * 3600 + 600,
        tokenExpiresAt: 1_764_207_600,
      }),
    });
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 2);
    // Every room row carries the token's exp, so a broadcast can skip an expired member without reading its row.
    const roomItems = ddb
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.Rooms ?? [])
      .map((request) => request.PutRequest?.Item);
    expect(roomItems).toHaveLength(31);
    expect(roomItems.every((item) => item?.tokenExpiresAt === 1_764_207_600)).toBe(true);
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Presence',
      Key: { userId: 'alice' },
      UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now',
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('accepts a connection that brings the user exactly to the cap, with no extra call', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { connectionIds: new Set(['a', 'b', 'conn-1=']), updatedAt: CONNECTED_AT } });

    // Act
    await openConnection({ ...stores, maxConnectionsPerUser: 3 }, { connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1', connectedAt: CONNECTED_AT });

    // Assess
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
  });

  it('refuses a connection over the cap with RATE_LIMITED and undoes everything it wrote', async () => {
    // Prepare: the presence set the ADD leaves holds 21 ids, this one included.
    const ids = new Set([...Array.from({ length: 20 }, (_, i) => `other-${i}=`), 'conn-1=']);
    ddb.on(QueryCommand).resolves({ Items: [{ chatId: 'c1' }] });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand, { UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now' }).resolves({ Attributes: { connectionIds: ids } });
    ddb.on(UpdateCommand, { UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now' }).resolves({});
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice', 'chat:c1']) } });
    ddb.on(DeleteCommand).resolves({});

    // Act
    const opening = openConnection(stores, { connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1', connectedAt: CONNECTED_AT });

    // Assess
    await expect(opening).rejects.toBeInstanceOf(TooManyConnectionsError);
    await expect(opening).rejects.toBeInstanceOf(RateLimitedError);
    await expect(opening).rejects.toMatchObject({ code: 'RATE_LIMITED', statusCode: 429, message: 'At most 20 connections per user; close one first' });
    expect(ddb).toReceiveCommandWith(BatchWriteCommand, {
      RequestItems: {
        Rooms: expect.arrayContaining([
          { DeleteRequest: { Key: { room: 'user:alice', connectionId: 'conn-1=' } } },
          { DeleteRequest: { Key: { room: 'chat:c1', connectionId: 'conn-1=' } } },
        ]),
      },
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Presence',
      UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
      ExpressionAttributeValues: expect.objectContaining({ ':ids': new Set(['conn-1=']) }),
    });
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
  });

  it('retries unprocessed room rows until they are written', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [{ chatId: 'c1' }] });
    ddb.on(PutCommand).resolves({});
    const leftover = { PutRequest: { Item: { room: 'chat:c1', connectionId: 'conn-1=' } } };
    ddb.on(BatchWriteCommand).resolvesOnce({ UnprocessedItems: { Rooms: [leftover] } }).resolves({});
    ddb.on(UpdateCommand).resolves({});

    // Act
    await openConnection(stores, { connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1', connectedAt: CONNECTED_AT });

    // Assess
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 2);
    expect(ddb).toReceiveNthCommandWith(BatchWriteCommand, 2, { RequestItems: { Rooms: [leftover] } });
  });

  it('removes what it wrote and fails when a later write is throttled', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand, { UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now' }).rejects(
      new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }),
    );
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice']) } });
    ddb.on(DeleteCommand).resolves({});

    // Act
    const opening = openConnection(stores, { connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1', connectedAt: CONNECTED_AT });

    // Assess
    await expect(opening).rejects.toThrow('throttled');
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
  });
});

describe('Function: createConnectionRemover', () => {
  const remove = createConnectionRemover(stores);
  afterEach(() => {
    ddb.reset();
  });

  it('deletes the room rows, the presence entry and then the row', async () => {
    // Prepare
    const row = { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice', 'chat:c1']) };
    ddb.on(GetCommand).resolves({ Item: row });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({ Attributes: row });

    // Act
    await remove('conn-1=');

    // Assess
    expect(ddb).toReceiveCommandWith(BatchWriteCommand, {
      RequestItems: {
        Rooms: [
          { DeleteRequest: { Key: { room: 'user:alice', connectionId: 'conn-1=' } } },
          { DeleteRequest: { Key: { room: 'chat:c1', connectionId: 'conn-1=' } } },
        ],
      },
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Presence',
      Key: { userId: 'alice' },
      UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
      ExpressionAttributeValues: expect.objectContaining({ ':ids': new Set(['conn-1=']) }),
    });
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' }, ReturnValues: 'ALL_OLD' });
  });

  it('spares a connection whose $connect may still be running when a post answered 410', async () => {
    // Prepare: connected 5 s ago; API Gateway answers 410 until $connect returns.
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', connectedAt: Date.now() - 5_000, rooms: new Set(['chat:c1']) } });

    // Act
    await remove('conn-1=', { userId: 'alice', reason: 'gone' });

    // Assess
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
  });

  it('removes a gone connection once it is older than the $connect grace period', async () => {
    // Prepare
    const row = { connectionId: 'conn-1=', userId: 'alice', connectedAt: Date.now() - 31_000, rooms: new Set(['chat:c1']) };
    ddb.on(GetCommand).resolves({ Item: row });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({ Attributes: row });

    // Act
    await remove('conn-1=', { userId: 'alice', reason: 'gone' });

    // Assess
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 1);
  });

  it('also removes rooms joined between its read and its delete', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice']) } });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({ Attributes: { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice', 'chat:new']) } });

    // Act
    await remove('conn-1=');

    // Assess
    expect(ddb).toReceiveNthCommandWith(BatchWriteCommand, 2, {
      RequestItems: { Rooms: [{ DeleteRequest: { Key: { room: 'chat:new', connectionId: 'conn-1=' } } }] },
    });
  });

  it('is a no-op when the connection is already gone', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    await remove('conn-1=');

    // Assess
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
  });

  it('still removes the presence entry of the hinted user when the row is already gone', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});

    // Act
    await remove('conn-1=', { userId: 'bob' });

    // Assess
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Presence',
      Key: { userId: 'bob' },
      UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
      ExpressionAttributeValues: expect.objectContaining({ ':ids': new Set(['conn-1=']) }),
    });
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
  });

  it('only deletes the row of a pending Socket.IO connection (no user, rooms or presence yet)', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', protocol: 'socket.io', state: 'pending', connectedAt: CONNECTED_AT } });
    ddb.on(DeleteCommand).resolves({});

    // Act
    await remove('conn-1=');

    // Assess
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
  });

  it('keeps the row when a cleanup step fails, so running it again finishes the job', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', rooms: new Set(['user:alice']) } });
    ddb.on(BatchWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }));
    ddb.on(UpdateCommand).resolves({});

    // Act + Assess
    await expect(remove('conn-1=')).rejects.toThrow('throttled');
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
  });
});

describe('Function: recordPendingConnection', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('writes a pending socket.io row without a userId (so it stays out of byUser), with the connection TTL', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});

    // Act
    await recordPendingConnection(stores, { connectionId: 'conn-1=', connectedAt: CONNECTED_AT });

    // Assess
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'Connections',
      Item: { connectionId: 'conn-1=', connectedAt: CONNECTED_AT, expiresAt: CONNECTED_AT / 1000 + 7800, protocol: 'socket.io', state: 'pending' },
    });
  });
});

describe('Function: openConnection (Socket.IO CONNECT)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('opens the pending row (state, pid) on the condition that it is still pending', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [{ chatId: 'c1' }] });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});

    // Act
    const { rooms } = await openConnection(
      stores,
      { connectionId: 'conn-1=', userId: 'alice', protocol: 'socket.io', connectedAt: CONNECTED_AT, socketIo: { pid: 'p1', openedAt: 1 } },
    );

    // Assess
    expect(rooms).toEqual(['user:alice', 'chat:c1']);
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'Connections',
      Item: expect.objectContaining({ connectionId: 'conn-1=', userId: 'alice', protocol: 'socket.io', state: 'open', pid: 'p1' }),
      ConditionExpression: '#state = :pending',
    });
  });

  it('fails with ConnectionNotPendingError and writes no rooms when the row is not pending any more', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));

    // Act
    const opening = openConnection(
      stores,
      { connectionId: 'conn-1=', userId: 'alice', protocol: 'socket.io', connectedAt: CONNECTED_AT, socketIo: { pid: 'p1', openedAt: 1 } },
    );

    // Assess
    await expect(opening).rejects.toBeInstanceOf(ConnectionNotPendingError);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });
});

describe('Function: loadCaller', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('returns the row of a registered connection (strongly consistent read)', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice' } });

    // Act
    const caller = await loadCaller(stores, 'conn-1=');

    // Assess
    expect(caller.userId).toBe('alice');
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { connectionId: 'conn-1=' }, ConsistentRead: true });
  });

  it.each([
    ['unknown', undefined],
    ['pending (Socket.IO)', { connectionId: 'conn-1=', userId: 'alice', state: 'pending' }],
    ['pending without a user yet', { connectionId: 'conn-1=', protocol: 'socket.io', state: 'pending' }],
  ])('refuses a connection that is %s', async (_name, item) => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: item });

    // Act + Assess
    await expect(loadCaller(stores, 'conn-1=')).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('Function: loadCaller (token expiry)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('raises TokenExpiredError, a TOKEN_EXPIRED error (401), once the token has expired', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', tokenExpiresAt: 100 } });

    // Act
    const loading = loadCaller({ ...stores, now: () => 101_000 }, 'conn-1=');

    // Assess
    await expect(loading).rejects.toBeInstanceOf(TokenExpiredError);
    await expect(loading).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', statusCode: 401 });
  });

  it('accepts the caller up to the second of its exp, and refuses it from the next one', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'conn-1=', userId: 'alice', tokenExpiresAt: 100 } });

    // Act
    const atExp = await loadCaller({ ...stores, now: () => 100_999 }, 'conn-1=');
    const after = loadCaller({ ...stores, now: () => 101_000 }, 'conn-1=');

    // Assess
    expect(atExp.userId).toBe('alice');
    await expect(after).rejects.toBeInstanceOf(TokenExpiredError);
  });
});

describe('Function: roomRowOf', () => {
  it("copies the connection's user, protocol, TTL and token expiry onto the room row", () => {
    // Act
    const row = roomRowOf(
      { connectionId: 'conn-1=', userId: 'alice', protocol: 'socket.io', expiresAt: 500, tokenExpiresAt: 400 },
      'chat:c1',
    );

    // Assess
    expect(row).toEqual({ room: 'chat:c1', connectionId: 'conn-1=', userId: 'alice', protocol: 'socket.io', expiresAt: 500, tokenExpiresAt: 400 });
  });

  it('leaves the token expiry out when the connection has none', () => {
    // Act
    const row = roomRowOf({ connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1', expiresAt: 500 }, 'user:alice');

    // Assess
    expect(row).not.toHaveProperty('tokenExpiresAt');
  });
});
