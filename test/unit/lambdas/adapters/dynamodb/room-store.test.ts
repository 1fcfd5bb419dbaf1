import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoomStore } from '../../../../../lambdas/adapters/dynamodb/room-store';

const ddbMock = mockClient(DynamoDBDocumentClient);
const rooms = createRoomStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), roomsTable: 'Rooms' });
const FUTURE = Math.floor(Date.now() / 1000) + 3600;

describe('Function: createRoomStore (members)', () => {
  afterEach(() => {
    ddbMock.reset();
  });

  it("reads only the attributes a post needs, with the token's expiry, and defaults the protocol", async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({
      Items: [{ connectionId: 'a', userId: 'u1', expiresAt: FUTURE }, { userId: 'no-connection-id' }],
    });

    // Act
    const members = await rooms.members('user:u1');

    // Assess
    expect(members).toEqual([{ connectionId: 'a', userId: 'u1', protocol: 'lettera.v1' }]);
    expect(ddbMock).toReceiveCommandWith(QueryCommand, {
      TableName: 'Rooms',
      ProjectionExpression: '#connectionId, #userId, #protocol, #expiresAt, #tokenExpiresAt',
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
