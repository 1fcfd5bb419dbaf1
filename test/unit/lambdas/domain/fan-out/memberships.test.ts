/**
 * The batch-level membership cases (join, join racing a disconnect, leave,
 * merged steps, MODIFY ignored, failed room write reported) are in
 * stream-batch.test.ts;
 * this file pins how records are read and the failure paths of join/leave.
 */
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyMembershipChanges, fanOutMembership, membershipChangeOf } from '../../../../../lambdas/domain/fan-out/memberships';
import { MalformedRecordError } from '../../../../../lambdas/domain/fan-out/records';
import { createStreamRecord } from '../../../../helpers/stream-records';
import { createDynamoStores } from '../../../../helpers/dynamo-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const broadcaster = { toRoom: vi.fn(), toMembers: vi.fn() };
const deps = {
  ...createDynamoStores(DynamoDBDocumentClient.from(new DynamoDBClient({})), { connectionsTable: 'Connections', roomsTable: 'Rooms', membershipsTable: 'Memberships' }),
  broadcaster,
};
const FUTURE = Math.floor(Date.now() / 1000) + 3600;
const TOKEN_EXP = FUTURE - 600;
const keys = { chatId: 'c9', userId: 'erin' };
const membership = { ...keys, title: 'Team', addedAt: '2026-11-27T00:00:00.000Z', addedBy: 'alice' };
const throttled = () => new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'gone', $metadata: {} });

describe('Function: membershipChangeOf', () => {
  it('reads an INSERT as a join and a REMOVE as a leave', () => {
    // Act
    const join = membershipChangeOf(createStreamRecord('INSERT', { keys, newImage: membership }));
    const leave = membershipChangeOf(createStreamRecord('REMOVE', { keys, oldImage: membership }));

    // Assess
    expect(join).toEqual({ kind: 'join', chatId: 'c9', userId: 'erin', role: 'owner', addedBy: 'alice', announce: true });
    expect(leave).toEqual({ kind: 'leave', chatId: 'c9', userId: 'erin' });
  });

  it('falls back to the keys when the record carries no image', () => {
    // Act
    const leave = membershipChangeOf(createStreamRecord('REMOVE', { keys }));

    // Assess
    expect(leave).toEqual({ kind: 'leave', chatId: 'c9', userId: 'erin' });
  });

  it('ignores MODIFYs and changes DynamoDB made itself', () => {
    // Act + Assess
    expect(membershipChangeOf(createStreamRecord('MODIFY', { keys, oldImage: membership, newImage: { ...membership, typingAt: 1 } }))).toBeUndefined();
    expect(
      membershipChangeOf(createStreamRecord('REMOVE', { keys, oldImage: membership, userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } })),
    ).toBeUndefined();
  });

  it('throws MalformedRecordError for a record with neither image nor keys', () => {
    // Act + Assess
    expect(() => membershipChangeOf(createStreamRecord('INSERT'))).toThrow(
      new MalformedRecordError('INSERT membership record without image or keys'),
    );
  });

  it('throws MalformedRecordError for an image without userId', () => {
    // Act + Assess
    expect(() => membershipChangeOf(createStreamRecord('INSERT', { newImage: { chatId: 'c9' } }))).toThrow(MalformedRecordError);
  });
});

describe('Function: fanOutMembership', () => {
  beforeEach(() => {
    broadcaster.toRoom.mockReset().mockResolvedValue({ recipients: 1, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
    broadcaster.toMembers.mockReset().mockResolvedValue({ recipients: 1, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
  });
  afterEach(() => {
    ddb.reset();
  });

  /**
   * erin's connections as the byUser index lists them, and their rows as
   * BatchGetItem reads them (by default erin's, unexpired; `rows` overrides
   * one by id, undefined: gone); erin is a participant unless `member` is false.
   */
  function erinHas(connections: Record<string, unknown>[], rows: Record<string, Record<string, unknown> | undefined> = {}, member = true) {
    ddb.on(QueryCommand, { TableName: 'Connections', IndexName: 'byUser' }).resolves({ Items: connections });
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Record<string, string>[] }> }) => {
      const [table, { Keys }] = Object.entries(input.RequestItems)[0]!;
      if (table === 'Memberships') return { Responses: { Memberships: member ? Keys.map((key) => ({ userId: key.userId })) : [] } };
      const found = Keys.flatMap((key) => {
        const id = key.connectionId!;
        const row = id in rows ? rows[id] : { connectionId: id, userId: 'erin', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: TOKEN_EXP };
        return row === undefined ? [] : [row];
      });
      return { Responses: { [table]: found } };
    });
  }

  function roomRowsPut(): Record<string, unknown>[] {
    return ddb.commandCalls(BatchWriteCommand).flatMap((call) => (call.args[0].input.RequestItems?.Rooms ?? []).map((request) => request.PutRequest?.Item ?? {}));
  }

  it('joins only unexpired connections, with the row\'s protocol and token expiry', async () => {
    // Prepare
    erinHas(
      [
        { connectionId: 'erin-1', expiresAt: FUTURE },
        { connectionId: 'erin-expired', protocol: 'socket.io', expiresAt: Math.floor(Date.now() / 1000) - 1 },
        { connectionId: 'erin-no-ttl', protocol: 'socket.io' },
        { protocol: 'socket.io', expiresAt: FUTURE },
      ],
    );
    ddb.on(BatchWriteCommand).resolves({}).on(UpdateCommand).resolves({});

    // Act
    await fanOutMembership(deps, createStreamRecord('INSERT', { keys, newImage: membership }));

    // Assess
    expect(roomRowsPut()).toEqual([{ room: 'chat:c9', connectionId: 'erin-1', userId: 'erin', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: TOKEN_EXP }]);
  });

  it("joins nothing for a connection whose token has expired, or whose row is gone, pending or someone else's", async () => {
    // Prepare
    const ids = ['erin-expired', 'erin-gone', 'erin-pending', 'not-erin'];
    erinHas(ids.map((connectionId) => ({ connectionId, protocol: 'lettera.v1', expiresAt: FUTURE })), {
      'erin-expired': { connectionId: 'erin-expired', userId: 'erin', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: Math.floor(Date.now() / 1000) - 1 },
      'erin-gone': undefined,
      'erin-pending': { connectionId: 'erin-pending', protocol: 'socket.io', state: 'pending', expiresAt: FUTURE },
      'not-erin': { connectionId: 'not-erin', userId: 'mallory', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: TOKEN_EXP },
    });

    // Act
    await fanOutMembership(deps, createStreamRecord('INSERT', { keys, newImage: membership }));

    // Assess: one strongly consistent read of the four rows, no write
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 1);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, { RequestItems: { Connections: { Keys: ids.map((connectionId) => ({ connectionId })), ConsistentRead: true } } });
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });

  it('writes nothing for a user with no live connection', async () => {
    // Prepare
    erinHas([]);

    // Act
    await fanOutMembership(deps, createStreamRecord('INSERT', { keys, newImage: membership }));

    // Assess
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });

  it('fails the join, keeping the room row for the retry, when the rooms-set update fails for another reason', async () => {
    // Prepare
    erinHas([{ connectionId: 'erin-1', protocol: 'lettera.v1', expiresAt: FUTURE }]);
    ddb.on(BatchWriteCommand).resolves({}).on(UpdateCommand).rejects(throttled());

    // Act
    const attempt = fanOutMembership(deps, createStreamRecord('INSERT', { keys, newImage: membership }));

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 0);
  });

  it('leaves a connection that vanished meanwhile without error', async () => {
    // Prepare
    erinHas([{ connectionId: 'erin-1', protocol: 'lettera.v1', expiresAt: FUTURE }]);
    ddb.on(DeleteCommand).resolves({}).on(UpdateCommand).rejects(conditionFailed());

    // Act
    await fanOutMembership(deps, createStreamRecord('REMOVE', { keys, oldImage: membership }));

    // Assess
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Rooms', Key: { room: 'chat:c9', connectionId: 'erin-1' } });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { ConditionExpression: 'attribute_exists(connectionId)', UpdateExpression: 'DELETE #rooms :room' });
  });

  it('fails the leave when the rooms-set update fails for another reason', async () => {
    // Prepare
    erinHas([{ connectionId: 'erin-1', protocol: 'lettera.v1', expiresAt: FUTURE }]);
    ddb.on(DeleteCommand).resolves({}).on(UpdateCommand).rejects(throttled());

    // Act + Assess
    await expect(fanOutMembership(deps, createStreamRecord('REMOVE', { keys, oldImage: membership }))).rejects.toThrow('throttled');
  });

  it('reads every page of the user\'s connections', async () => {
    // Prepare
    erinHas([]);
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ connectionId: 'erin-1', expiresAt: FUTURE }], LastEvaluatedKey: { userId: 'erin', connectionId: 'erin-1' } })
      .resolvesOnce({ Items: [{ connectionId: 'erin-2', expiresAt: FUTURE }] });
    ddb.on(DeleteCommand).resolves({}).on(UpdateCommand).resolves({});

    // Act
    await fanOutMembership(deps, createStreamRecord('REMOVE', { keys }));

    // Assess
    expect(ddb).toReceiveCommandTimes(QueryCommand, 2);
    expect(ddb).toReceiveCommandTimes(DeleteCommand, 2);
  });

  it('reads nothing for a MODIFY', async () => {
    // Act
    await fanOutMembership(deps, createStreamRecord('MODIFY', { keys, oldImage: membership, newImage: { ...membership, typingAt: 5 } }));

    // Assess
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('announces chat:member-added to the room after the new participant\'s connections joined it', async () => {
    // Prepare
    const order: string[] = [];
    erinHas([{ connectionId: 'erin-1', protocol: 'lettera.v1', expiresAt: FUTURE }]);
    ddb.on(BatchWriteCommand).callsFake(() => {
      order.push('join');
      return {};
    }).on(UpdateCommand).resolves({});
    broadcaster.toRoom.mockImplementation(async () => {
      order.push('announce');
      return { recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
    });
    const added = { ...membership, role: 'member' };

    // Act
    await fanOutMembership(deps, createStreamRecord('INSERT', { keys, newImage: added }));

    // Assess
    expect(order).toEqual(['join', 'announce']);
    expect(broadcaster.toRoom).toHaveBeenCalledWith('chat:c9', expect.objectContaining({
      event: 'chat:member-added',
      data: { chatId: 'c9', userId: 'erin', role: 'member', addedBy: 'alice' },
    }));
  });

  it('announces nothing for the rows a chat is created with (they still join)', async () => {
    // Prepare
    erinHas([{ connectionId: 'erin-1', protocol: 'lettera.v1', expiresAt: FUTURE }]);
    ddb.on(BatchWriteCommand).resolves({}).on(UpdateCommand).resolves({});

    // Act
    await fanOutMembership(deps, createStreamRecord('INSERT', { keys, newImage: { ...membership, role: 'member', addedWithChat: true } }));

    // Assess
    expect(roomRowsPut()).toHaveLength(1);
    expect(broadcaster.toRoom).not.toHaveBeenCalled();
  });

  it('announces chat:member-removed to the room and to the participant\'s own connections (which may have left it already), then they leave', async () => {
    // Prepare
    const order: string[] = [];
    erinHas([{ connectionId: 'erin-1', protocol: 'lettera.v1', expiresAt: FUTURE }]);
    ddb.on(DeleteCommand).callsFake(() => {
      order.push('leave');
      return {};
    }).on(UpdateCommand).resolves({});
    broadcaster.toRoom.mockImplementation(async () => {
      order.push('announce to room');
      return { recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
    });
    broadcaster.toMembers.mockImplementation(async () => {
      order.push('announce to erin');
      return { recipients: 1, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
    });

    // Act
    const result = await fanOutMembership(deps, createStreamRecord('REMOVE', { keys, oldImage: membership }));

    // Assess
    const removed = expect.objectContaining({ event: 'chat:member-removed', data: { chatId: 'c9', userId: 'erin' } });
    // Not twice to erin: the room's broadcast skips her connections.
    expect(broadcaster.toRoom).toHaveBeenCalledWith('chat:c9', removed, { exceptUserId: 'erin' });
    expect(broadcaster.toMembers).toHaveBeenCalledWith([expect.objectContaining({ connectionId: 'erin-1', userId: 'erin', tokenExpiresAt: TOKEN_EXP })], removed);
    expect(order).toEqual(['announce to room', 'announce to erin', 'leave']);
    // One event: the same id for the room and for erin's own connections.
    expect(broadcaster.toMembers.mock.calls[0]![1]).toBe(broadcaster.toRoom.mock.calls[0]![1]);
    expect(result).toEqual({ recipients: 3, delivered: 3, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
  });

  it('announces chat:role-changed for a MODIFY that changes the role, reading no connection', async () => {
    // Act
    await fanOutMembership(deps, createStreamRecord('MODIFY', { keys, oldImage: { ...membership, role: 'member' }, newImage: { ...membership, role: 'owner' } }));

    // Assess
    expect(broadcaster.toRoom).toHaveBeenCalledWith('chat:c9', expect.objectContaining({ event: 'chat:role-changed', data: { chatId: 'c9', userId: 'erin', role: 'owner' } }));
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('returns the announcement\'s result, so failed posts get the record retried', async () => {
    // Prepare
    broadcaster.toRoom.mockResolvedValue({ recipients: 2, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 1 });

    // Act
    const result = await fanOutMembership(deps, createStreamRecord('MODIFY', { keys, oldImage: { ...membership, role: 'owner' }, newImage: { ...membership, role: 'member' } }));

    // Assess
    expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 1 });
  });
});

describe('Function: applyMembershipChanges', () => {
  it('refuses changes of different kinds or chats in one step', async () => {
    // Prepare
    const changes = [
      { kind: 'leave', chatId: 'c9', userId: 'erin' },
      { kind: 'leave', chatId: 'c8', userId: 'frank' },
    ] as const;

    // Act + Assess
    await expect(applyMembershipChanges(deps, changes)).rejects.toThrow('one kind of change in one chat at a time');
  });
});
