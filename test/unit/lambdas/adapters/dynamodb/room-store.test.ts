import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoomStore } from '../../../../../lambdas/adapters/dynamodb/room-store';

const ddbMock = mockClient(DynamoDBDocumentClient);
const rooms = createRoomStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), roomsTable: 'Rooms', messagesTable: 'Messages' });
const FUTURE = Math.floor(Date.now() / 1000) + 3600;

describe('Function: createRoomStore (members)', () => {
  afterEach(() => {
    ddbMock.reset();
  });

  it("reads only the attributes a post needs, with the token's expiry, strongly consistently, and defaults the protocol", async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({
      Items: [{ connectionId: 'a', userId: 'u1', expiresAt: FUTURE }, { userId: 'no-connection-id' }, { connectionId: 'b', userId: 'u2', protocol: 'socket.io', afterSeq: 7 }],
    });

    // Act
    const members = await rooms.members('chat:c1');

    // Assess
    expect(members).toEqual([
      { connectionId: 'a', userId: 'u1', protocol: 'lettera.v1' },
      { connectionId: 'b', userId: 'u2', protocol: 'socket.io', afterSeq: 7 },
    ]);
    expect(ddbMock).toReceiveCommandWith(QueryCommand, {
      TableName: 'Rooms',
      ProjectionExpression: '#connectionId, #userId, #protocol, #expiresAt, #tokenExpiresAt, #afterSeq',
      ConsistentRead: true,
    });
  });

  it("keeps a member whose token has expired, with its tokenExpiresAt, for the broadcaster to close", async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({
      Items: [
        { connectionId: 'a', userId: 'u1', protocol: 'socket.io', expiresAt: FUTURE, tokenExpiresAt: 1 },
        { connectionId: 'b', userId: 'u2', expiresAt: FUTURE, tokenExpiresAt: 'not a number' },
      ],
    });

    // Act
    const members = await rooms.members('chat:c1');

    // Assess
    expect(members).toEqual([
      { connectionId: 'a', userId: 'u1', protocol: 'socket.io', tokenExpiresAt: 1 },
      { connectionId: 'b', userId: 'u2', protocol: 'lettera.v1' },
    ]);
  });
});

describe('Function: createRoomStore (joinAt)', () => {
  afterEach(() => {
    ddbMock.reset();
  });

  const row = { room: 'chat:c1', connectionId: 'a', userId: 'u1', protocol: 'socket.io' as const, expiresAt: FUTURE };

  it('writes the room row only while the chat head is at the position, in one transaction', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act
    const joined = await rooms.joinAt({ ...row, afterSeq: 4 }, 'c1');

    // Assess
    expect(joined).toBe(true);
    expect(ddbMock).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        { ConditionCheck: { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'seq#head' }, ConditionExpression: 'lastSeq = :seq', ExpressionAttributeValues: { ':seq': 4 } } },
        { Put: { TableName: 'Rooms', Item: { ...row, afterSeq: 4 } } },
      ],
    });
  });

  it('joins a chat without writes on the head not existing yet, and says false when the head moved', async () => {
    // Prepare
    const cancelled = Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] });
    ddbMock.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled);

    // Act
    const first = await rooms.joinAt({ ...row, afterSeq: 0 }, 'c1');
    const second = await rooms.joinAt({ ...row, afterSeq: 0 }, 'c1');

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(ddbMock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]).toEqual({
      ConditionCheck: { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'seq#head' }, ConditionExpression: 'attribute_not_exists(lastSeq)' },
    });
  });

  it('lets any other error through', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));

    // Act / Assess
    await expect(rooms.joinAt({ ...row, afterSeq: 1 }, 'c1')).rejects.toThrow('slow down');
  });
});
