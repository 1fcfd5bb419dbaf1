import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ForbiddenError } from '../../../../lambdas/commons/errors';
import type { RoomBroadcaster } from '../../../../lambdas/domain/ports';
import { setTyping, type TypingDeps } from '../../../../lambdas/domain/typing';
import { createDynamoStores } from '../../../helpers/dynamo-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = 1_764_204_000_000;
const caller = { userId: 'alice', connectionId: 'conn-1=' };

function fakeBroadcaster(): RoomBroadcaster & { toRoom: ReturnType<typeof vi.fn> } {
  const result = { recipients: 1, delivered: 1, gone: 0, failed: 0 };
  return { toRoom: vi.fn().mockResolvedValue(result), toMembers: vi.fn().mockResolvedValue(result) };
}

function depsWith(broadcaster: RoomBroadcaster): TypingDeps {
  return {
    ...createDynamoStores(DynamoDBDocumentClient.from(new DynamoDBClient({})), { roomsTable: 'Rooms', membershipsTable: 'Memberships' }),
    broadcaster,
    throttleMs: 1000,
    now: () => NOW,
  };
}

describe('Function: setTyping', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('broadcasts user:typing to the chat room except the sender’s own connections', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await setTyping(depsWith(broadcaster), caller, 'c1', true);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(broadcaster.toRoom).toHaveBeenCalledWith(
      'chat:c1',
      { event: 'user:typing', data: { chatId: 'c1', userId: 'alice', isTyping: true, expiresInMs: 3000 }, id: expect.any(String), ts: NOW },
      { exceptUserId: 'alice' },
    );
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'Rooms', Key: { room: 'chat:c1', connectionId: 'conn-1=' } });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'alice' },
      ExpressionAttributeValues: { ':now': NOW, ':threshold': NOW - 1000 },
    });
  });

  it('drops a typing event inside the throttle window and sends nothing', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall({ chatId: 'c1', userId: 'alice', typingAt: NOW - 10 }) }),
    );

    // Act
    const result = await setTyping(depsWith(broadcaster), caller, 'c1', true);

    // Assess
    expect(result).toEqual({ delivered: false });
    expect(broadcaster.toRoom).not.toHaveBeenCalled();
  });

  it('never throttles stop-typing, and reopens the throttle window for the next keystroke', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await setTyping(depsWith(broadcaster), caller, 'c1', false);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'alice' },
      UpdateExpression: 'REMOVE typingAt',
      ConditionExpression: 'attribute_exists(userId)',
    });
    expect(broadcaster.toRoom).toHaveBeenCalledWith(
      'chat:c1',
      expect.objectContaining({ event: 'user:stop-typing', data: expect.objectContaining({ isTyping: false }) }),
      { exceptUserId: 'alice' },
    );
  });

  it('still stops typing when the membership was removed meanwhile', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act
    const result = await setTyping(depsWith(broadcaster), caller, 'c1', false);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(broadcaster.toRoom).toHaveBeenCalledTimes(1);
  });

  it('refuses a chat the connection is not in (no room row)', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({});

    // Act + Assess
    await expect(setTyping(depsWith(broadcaster), caller, 'other', true)).rejects.toBeInstanceOf(ForbiddenError);
    expect(broadcaster.toRoom).not.toHaveBeenCalled();
  });

  it('refuses a participant removed meanwhile (membership row gone)', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act + Assess
    await expect(setTyping(depsWith(broadcaster), caller, 'c1', true)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
