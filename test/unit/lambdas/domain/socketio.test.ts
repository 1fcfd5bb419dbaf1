import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCanceled } from '../../../helpers/transactions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '../../../../lambdas/commons/errors';
import type { ActionDeps } from '../../../../lambdas/domain/actions';
import type { ConnectionLink } from '../../../../lambdas/domain/ports';
import { handleIncomingFrame, type SocketIoDeps } from '../../../../lambdas/domain/socketio';
import { TokenExpiredError } from '../../../../lambdas/domain/connections';
import { TOKEN_EXPIRED_FRAME } from '../../../../lambdas/domain/expiry';
import { createDynamoStores } from '../../../helpers/dynamo-stores';
import { captureEmf, importWithMetrics, named, total } from '../../../helpers/emf';
import { METRIC, SERVICE_NAME } from '../../../../lambdas/commons/metric-names';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const NOW = 1_764_204_000_000;
const FUTURE_EXP = NOW / 1000 + 3600;
const PENDING = { connectionId: 'conn-1=', connectedAt: NOW - 1000, expiresAt: NOW / 1000 + 7800, protocol: 'socket.io', state: 'pending' };
const OPEN = { ...PENDING, state: 'open', userId: 'alice', pid: 'pid-1', tokenExpiresAt: FUTURE_EXP, rooms: new Set(['user:alice', 'chat:c1']) };
const STORED = { messageId: '01JH3Q7Z8W9X0YZABCDEFGHJKM', chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2025-11-27T00:40:00.000Z' };

function fakeLink(): { [K in keyof ConnectionLink]: ReturnType<typeof vi.fn> } {
  return {
    post: vi.fn().mockResolvedValue('delivered'),
    postInOrder: vi.fn().mockResolvedValue('delivered'),
    postWhenRegistered: vi.fn().mockResolvedValue('delivered'),
    disconnect: vi.fn().mockResolvedValue(undefined),
  };
}

function createDeps() {
  const link = fakeLink();
  const send = vi.fn().mockResolvedValue(STORED);
  const loadCaller = vi.fn().mockResolvedValue({ userId: 'alice', connectionId: 'conn-1=' });
  const actions = { typing: {}, messages: { send, edit: vi.fn(), remove: vi.fn(), list: vi.fn() }, loadCaller } as unknown as ActionDeps;
  const verifyToken = vi.fn(async (token: string) => {
    if (token !== 'good') throw new UnauthorizedError('Invalid token');
    return { userId: 'alice', expiresAt: FUTURE_EXP };
  });
  const deps: SocketIoDeps = {
    ...createDynamoStores(documentClient, {
      connectionsTable: 'Connections',
      roomsTable: 'Rooms',
      membershipsTable: 'Memberships',
      presenceTable: 'Presence',
      messagesTable: 'Messages',
    }),
    actions,
    verifyToken,
    link: link as unknown as ConnectionLink,
    now: () => NOW,
  };
  return { deps, link, send, loadCaller, verifyToken };
}

function givenRow(row: Record<string, unknown> | undefined): void {
  ddb.on(GetCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } }).resolves({ Item: row });
}

beforeEach(() => {
  ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Items: [{ chatId: 'c1' }, { chatId: 'c2' }] });
  ddb.on(PutCommand).resolves({});
  ddb.on(BatchWriteCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(GetCommand, { TableName: 'Messages' }).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
});

/** The chat heads the CONNECT reads. */
function givenHeads(heads: Record<string, number>): void {
  for (const [chatId, lastSeq] of Object.entries(heads)) {
    ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId, messageId: 'seq#head' } }).resolves({ Item: { lastSeq } });
  }
}

/** A session of alice holding these positions. */
function givenSession(positions: Record<string, number>): void {
  ddb.on(GetCommand, { TableName: 'Connections', Key: { connectionId: 'session#pid-1' } }).resolves({
    Item: { connectionId: 'session#pid-1', sessionUserId: 'alice', positions, expiresAt: NOW / 1000 + 60 },
  });
}

/** Message rows whose latest write is at each position, from the bySeq index. */
function givenChanges(chatId: string, afterSeq: number, seqs: number[]): void {
  ddb.on(QueryCommand, { TableName: 'Messages', ExpressionAttributeValues: { ':chatId': chatId, ':afterSeq': afterSeq } }).resolves({
    Items: seqs.map((seq) => ({ chatId, messageId: `m${seq}`, seq, createdSeq: seq, kind: 'message', senderId: 'bob', content: `m ${seq}`, createdAt: '2025-11-27T00:40:00.000Z' })),
  });
}

/** The chat rooms joined (TransactWrite room rows), as `room@afterSeq`. */
function joins(): string[] {
  return ddb.commandCalls(TransactWriteCommand).map((call) => {
    const put = call.args[0].input.TransactItems?.[1]?.Put?.Item as { room: string; afterSeq: number };
    return `${put.room}@${put.afterSeq}`;
  });
}

/** What a posted Socket.IO event frame carries: [event, offset]. */
const eventsOf = (frames: string[]): Array<[string, string]> =>
  frames.filter((frame) => frame.startsWith('42')).map((frame) => {
    const [event, , offset] = JSON.parse(frame.slice(2)) as [string, unknown, string];
    return [event, offset];
  });
afterEach(() => {
  ddb.reset();
});

describe('Function: handleIncomingFrame', () => {
  describe('routing between the protocols', () => {
    it('stamps lastPongAt on the pong 3 with one conditional write and no read', async () => {
      // Prepare
      const { deps } = createDeps();

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '3', false);

      // Assess
      expect(body).toBeUndefined();
      expect(ddb).toReceiveCommandTimes(GetCommand, 0);
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
      expect(ddb).toReceiveCommandWith(UpdateCommand, {
        TableName: 'Connections',
        Key: { connectionId: 'conn-1=' },
        UpdateExpression: 'SET #lastPongAt = :now',
        ConditionExpression: 'attribute_exists(connectionId)',
        ExpressionAttributeValues: { ':now': NOW },
      });
    });

    it('writes nothing more for the pong of a connection already removed', async () => {
      // Prepare
      const { deps } = createDeps();
      ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '3', false);

      // Assess
      expect(body).toBeUndefined();
      expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    });

    it('answers nothing and does not throw when the pong write fails (the sweep may judge the client later)', async () => {
      // Prepare
      const { deps, link } = createDeps();
      ddb.on(UpdateCommand).rejects(new Error('throttled'));

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '3', false);

      // Assess
      expect(body).toBeUndefined();
      expect(link.disconnect).not.toHaveBeenCalled();
    });

    it('closes a JSON connection whose token expired on its next action: the refused ack, the TOKEN_EXPIRED error frame, then the close', async () => {
      // Prepare
      const { deps, link, loadCaller } = createDeps();
      loadCaller.mockRejectedValue(new TokenExpiredError());

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', JSON.stringify({ action: 'message:send', data: { chatId: 'c1', content: 'hi' }, ackId: 4 }), false);

      // Assess
      expect(body).toBeUndefined();
      expect(JSON.parse(link.post.mock.calls[0]?.[1] as string)).toEqual({
        event: 'ack',
        ackId: 4,
        error: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' },
      });
      expect(link.disconnect).toHaveBeenCalledWith('conn-1=', { notify: true, notice: TOKEN_EXPIRED_FRAME });
      expect(JSON.parse(TOKEN_EXPIRED_FRAME)).toEqual({
        event: 'error',
        data: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' },
      });
    });

    it('closes with the error frame alone when the expired action asked for no ack', async () => {
      // Prepare
      const { deps, link, loadCaller } = createDeps();
      loadCaller.mockRejectedValue(new TokenExpiredError());

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', JSON.stringify({ action: 'user:typing', data: { chatId: 'c1' } }), false);

      // Assess
      expect(body).toBeUndefined();
      expect(link.post).not.toHaveBeenCalled();
      expect(link.disconnect).toHaveBeenCalledWith('conn-1=', { notify: true, notice: TOKEN_EXPIRED_FRAME });
    });

    it('serves a frame starting with { through the JSON protocol without reading the row first', async () => {
      // Prepare
      const { deps, loadCaller } = createDeps();

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', JSON.stringify({ action: 'message:send', data: { chatId: 'c1', content: 'hi' }, ackId: 1 }), false);

      // Assess
      expect(JSON.parse(body as string)).toEqual({ event: 'ack', ackId: 1, data: STORED });
      expect(loadCaller).toHaveBeenCalledWith('conn-1=');
      expect(ddb).toReceiveCommandTimes(GetCommand, 0);
    });

    it('answers a non-JSON frame of a JSON connection with the JSON error frame, as before', async () => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow({ connectionId: 'conn-1=', userId: 'alice', protocol: 'lettera.v1' });

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '42["message:send",{}]', false);

      // Assess
      expect(JSON.parse(body as string)).toEqual({ event: 'error', data: { code: 'BAD_REQUEST', message: 'Frame is not valid JSON' } });
      expect(link.disconnect).not.toHaveBeenCalled();
    });
  });

  describe('protocol violations (Socket.IO closes the connection)', () => {
    it.each([
      ['a binary frame', OPEN, undefined, true],
      ['a malformed packet', OPEN, '42{"not":"an array"}', false],
      ['an unknown Engine.IO type', OPEN, '9', false],
      ['a client ping (wrong heartbeat direction)', OPEN, '2', false],
      ['a binary attachment packet', OPEN, '451-["x",{"_placeholder":true,"num":0}]', false],
      ['an event before CONNECT', PENDING, '42["message:send",{}]', false],
      ['a second CONNECT', OPEN, '40{"token":"good"}', false],
    ])('deletes the connection on %s, without a 41 and without a reply', async (_name, row, frame, binary) => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(row);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', frame, binary);

      // Assess
      expect(body).toBeUndefined();
      expect(link.disconnect).toHaveBeenCalledWith('conn-1=', { notify: false });
      expect(ddb).toReceiveCommandTimes(PutCommand, 0);
    });

    it('keeps the connection on a client DISCONNECT 41, pending a new CONNECT: rooms and presence removed, the row back to pending', async () => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(OPEN);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '41', false);

      // Assess
      expect(body).toBeUndefined();
      expect(link.disconnect).not.toHaveBeenCalled();
      const deleted = ddb.commandCalls(BatchWriteCommand).flatMap((call) => call.args[0].input.RequestItems?.Rooms ?? []);
      expect(deleted.map((request) => request.DeleteRequest?.Key)).toEqual([
        { room: 'user:alice', connectionId: 'conn-1=' },
        { room: 'chat:c1', connectionId: 'conn-1=' },
      ]);
      expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', Key: { userId: 'alice' } });
      expect(ddb).toReceiveCommandWith(PutCommand, {
        TableName: 'Connections',
        Item: { connectionId: 'conn-1=', connectedAt: NOW, expiresAt: OPEN.expiresAt, protocol: 'socket.io', state: 'pending' },
        ConditionExpression: 'attribute_exists(connectionId)',
      });
    });

    it('accepts a new CONNECT after a client DISCONNECT 41', async () => {
      // Prepare
      const { deps } = createDeps();
      givenRow({ ...PENDING, connectedAt: NOW });

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good"}', false);

      // Assess
      expect(body).toMatch(/^40\{"sid":"conn-1=","pid":"/);
    });

    it('refuses a CONNECT to another namespace with 44 and keeps the connection', async () => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(PENDING);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40/admin,{"token":"good"}', false);

      // Assess
      expect(body).toBe('44/admin,{"message":"Invalid namespace"}');
      expect(link.disconnect).not.toHaveBeenCalled();
    });
  });

  describe('CONNECT', () => {
    it('verifies auth.token, opens the connection (user room, presence), joins each chat at its head and answers 40 with sid and a new pid', async () => {
      // Prepare
      const { deps, verifyToken } = createDeps();
      givenRow(PENDING);
      givenHeads({ c1: 7 });

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good"}', false);

      // Assess
      expect(verifyToken).toHaveBeenCalledWith('good');
      const reply = JSON.parse((body as string).slice(2));
      expect(body?.startsWith('40{')).toBe(true);
      expect(reply).toEqual({ sid: 'conn-1=', pid: expect.any(String) });
      expect(ddb).toReceiveCommandWith(PutCommand, {
        TableName: 'Connections',
        Item: expect.objectContaining({ connectionId: 'conn-1=', userId: 'alice', state: 'open', pid: reply.pid, tokenExpiresAt: FUTURE_EXP, lastPongAt: NOW, rooms: new Set(['user:alice', 'chat:c1', 'chat:c2']) }),
        ConditionExpression: '#state = :pending',
      });
      expect(ddb).toReceiveCommandWith(BatchWriteCommand, { RequestItems: { Rooms: [{ PutRequest: { Item: expect.objectContaining({ room: 'user:alice' }) } }] } });
      expect(joins()).toEqual(['chat:c1@7', 'chat:c2@0']);
      expect(ddb).toReceiveCommandWith(PutCommand, {
        TableName: 'Connections',
        Item: { connectionId: `session#${reply.pid}`, sessionUserId: 'alice', positions: { c1: 7, c2: 0 }, expiresAt: NOW / 1000 + 7800 },
      });
      expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', Key: { userId: 'alice' } });
    });

    it.each([
      ['a bad token', '40{"token":"bad"}', 'Invalid token'],
      ['no token', '40', 'auth.token is required'],
      ['a non-string token', '40{"token":42}', 'auth.token is required'],
    ])('answers %s with 44 and writes nothing', async (_name, frame, message) => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(PENDING);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', frame, false);

      // Assess
      expect(body).toBe(`44${JSON.stringify({ message, data: { code: 'UNAUTHORIZED' } })}`);
      expect(ddb).toReceiveCommandTimes(PutCommand, 0);
      expect(link.disconnect).not.toHaveBeenCalled();
    });

    it('answers 44 INTERNAL (no details) when the verifier itself fails', async () => {
      // Prepare
      const { deps, verifyToken } = createDeps();
      verifyToken.mockRejectedValueOnce(new Error('JWKS endpoint down'));
      givenRow(PENDING);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good"}', false);

      // Assess
      expect(body).toBe('44{"message":"Internal error","data":{"code":"INTERNAL"}}');
    });

    it('answers 44 RATE_LIMITED over the connection cap, undoing the rows, rooms and presence entry it wrote', async () => {
      // Prepare: pending when the frame arrives, open (as just written) when the rollback reads it.
      const { deps, link } = createDeps();
      ddb.on(GetCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } }).resolvesOnce({ Item: PENDING }).resolves({ Item: OPEN });
      ddb.on(UpdateCommand, { TableName: 'Presence', UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now' }).resolves({
        Attributes: { connectionIds: new Set(['conn-1=', 'a=', 'b=']) },
      });
      ddb.on(DeleteCommand).resolves({});

      // Act
      const body = await handleIncomingFrame({ ...deps, maxConnectionsPerUser: 2 }, 'conn-1=', '40{"token":"good"}', false);

      // Assess
      expect(body).toBe('44{"message":"At most 2 connections per user; close one first","data":{"code":"RATE_LIMITED"}}');
      expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now' });
      expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Connections', Key: { connectionId: 'conn-1=' } });
      // No recovery session is saved for a refused CONNECT.
      expect(ddb).not.toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sessionUserId: 'alice' }) });
      expect(link.disconnect).not.toHaveBeenCalled();
    });

    it('closes when the row stopped being pending meanwhile (a racing CONNECT or a removal)', async () => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(PENDING);
      ddb.on(PutCommand).rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good"}', false);

      // Assess
      expect(body).toBeUndefined();
      expect(link.disconnect).toHaveBeenCalledWith('conn-1=', { notify: false });
      expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
      expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 0);
    });

    it('recovers a session of the same user: 40 with the same pid and the missed events in position order, posted before any chat room is joined', async () => {
      // Prepare: the client's last event was c1:3; c2 had nothing new since the session's positions.
      const { deps, link } = createDeps();
      const order: string[] = [];
      link.postInOrder.mockImplementation(async () => {
        order.push('post');
        return 'delivered';
      });
      ddb.on(TransactWriteCommand).callsFake(() => {
        order.push('join');
        return {};
      });
      givenRow(PENDING);
      givenSession({ c1: 1, c2: 4 });
      givenHeads({ c1: 5, c2: 4 });
      givenChanges('c1', 3, [4, 5]);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good","pid":"pid-1","offset":"c1:3"}', false);

      // Assess
      expect(body).toBeUndefined();
      const [connectionId, frames] = link.postInOrder.mock.calls[0] as [string, string[]];
      expect(connectionId).toBe('conn-1=');
      expect(frames[0]).toBe('40{"sid":"conn-1=","pid":"pid-1"}');
      expect(eventsOf(frames)).toEqual([['message:new', 'c1:4'], ['message:new', 'c1:5']]);
      expect(order).toEqual(['post', 'join', 'join']);
      expect(joins()).toEqual(['chat:c1@5', 'chat:c2@4']);
      expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ connectionId: 'session#pid-1', positions: { c1: 5, c2: 4 } }) });
    });

    it('recovers a session without offset (no event received yet) from the session\'s positions in every chat', async () => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(PENDING);
      givenSession({ c1: 2, c2: 0 });
      givenHeads({ c1: 3, c2: 1 });
      givenChanges('c1', 2, [3]);
      givenChanges('c2', 0, [1]);

      // Act
      await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good","pid":"pid-1"}', false);

      // Assess
      const [, frames] = link.postInOrder.mock.calls[0] as [string, string[]];
      expect(frames[0]).toBe('40{"sid":"conn-1=","pid":"pid-1"}');
      expect(eventsOf(frames)).toEqual([['message:new', 'c1:3'], ['message:new', 'c2:1']]);
    });

    it('posts what committed between reading a head and joining, then joins at the new head', async () => {
      // Prepare: c1's head moves from 5 to 6 before the join.
      const { deps, link } = createDeps();
      givenRow(PENDING);
      givenSession({ c1: 5, c2: 0 });
      ddb.on(GetCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'seq#head' } }).resolvesOnce({ Item: { lastSeq: 5 } }).resolves({ Item: { lastSeq: 6 } });
      ddb.on(TransactWriteCommand).rejectsOnce(transactionCanceled(['ConditionalCheckFailed', 'None'])).resolves({});
      givenChanges('c1', 5, [6]);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good","pid":"pid-1"}', false);

      // Assess
      expect(body).toBe('40{"sid":"conn-1=","pid":"pid-1"}');
      expect(link.postInOrder).toHaveBeenCalledTimes(1);
      expect(eventsOf(link.postInOrder.mock.calls[0]?.[1] as string[])).toEqual([['message:new', 'c1:6']]);
      expect(joins()).toEqual(['chat:c1@5', 'chat:c1@6', 'chat:c2@0']);
    });

    it('closes the connection when a chat keeps moving past every join (the client reconnects and recovers), saving no session', async () => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(PENDING);
      ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None']));

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good"}', false);

      // Assess
      expect(body).toBeUndefined();
      expect(link.disconnect).toHaveBeenCalledWith('conn-1=', { notify: false, userId: 'alice' });
      expect(ddb).not.toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sessionUserId: 'alice' }) });
    });

    it('does not recover when another chat was written since the session\'s positions: a new pid, no replay, joined at the heads', async () => {
      // Prepare: the offset names c1, but c2 moved from 0 to 2 (what the client got of it is unknown).
      const { deps, link } = createDeps();
      givenRow(PENDING);
      givenSession({ c1: 1, c2: 0 });
      givenHeads({ c1: 3, c2: 2 });

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good","pid":"pid-1","offset":"c1:3"}', false);

      // Assess
      expect(JSON.parse((body as string).slice(2)).pid).not.toBe('pid-1');
      expect(link.postInOrder).not.toHaveBeenCalled();
      expect(joins()).toEqual(['chat:c1@3', 'chat:c2@2']);
    });

    it.each([
      ['another user', { sessionUserId: 'mallory', expiresAt: NOW / 1000 + 60 }],
      ['an expired session', { sessionUserId: 'alice', expiresAt: NOW / 1000 - 1 }],
      ['an unknown pid', undefined],
    ])('does not recover the session of %s: a new pid and no replay', async (_name, session) => {
      // Prepare
      const { deps, link } = createDeps();
      givenRow(PENDING);
      ddb.on(GetCommand, { TableName: 'Connections', Key: { connectionId: 'session#pid-1' } }).resolves({ Item: session && { connectionId: 'session#pid-1', ...session } });

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '40{"token":"good","pid":"pid-1","offset":"c1:3"}', false);

      // Assess
      expect(JSON.parse((body as string).slice(2)).pid).not.toBe('pid-1');
      expect(link.postInOrder).not.toHaveBeenCalled();
      expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
    });
  });

  describe('events', () => {
    it('runs an acked event through the action table and answers 43 with the JSON ack body', async () => {
      // Prepare
      const { deps, send } = createDeps();
      givenRow(OPEN);

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '427["message:send",{"chatId":"c1","content":"hi"}]', false);

      // Assess
      expect(body).toBe(`437[${JSON.stringify({ data: STORED })}]`);
      expect(send).toHaveBeenCalledWith('alice', { chatId: 'c1', content: 'hi' });
    });

    it('answers a failed acked event with 43 carrying the error, never internals', async () => {
      // Prepare
      const { deps, send } = createDeps();
      send.mockRejectedValueOnce(new ForbiddenError('Not a participant of this chat'));
      givenRow(OPEN);

      // Act
      const forbidden = await handleIncomingFrame(deps, 'conn-1=', '421["message:send",{"chatId":"c9","content":"hi"}]', false);
      send.mockRejectedValueOnce(new Error('DynamoDB exploded'));
      const internal = await handleIncomingFrame(deps, 'conn-1=', '422["message:send",{"chatId":"c9","content":"hi"}]', false);
      const invalid = await handleIncomingFrame(deps, 'conn-1=', '423["message:send",{"chatId":"c9"}]', false);

      // Assess
      expect(forbidden).toBe('431[{"error":{"code":"FORBIDDEN","message":"Not a participant of this chat"}}]');
      expect(internal).toBe('432[{"error":{"code":"INTERNAL","message":"Internal error"}}]');
      expect(JSON.parse((invalid as string).slice(3))).toEqual([{ error: { code: 'BAD_REQUEST', message: expect.any(String) } }]);
    });

    it('sends an error event for a failed event without ack, and nothing for a success', async () => {
      // Prepare
      const { deps } = createDeps();
      givenRow(OPEN);

      // Act
      const failed = await handleIncomingFrame(deps, 'conn-1=', '42["message:send",{"chatId":"c1"}]', false);
      const succeeded = await handleIncomingFrame(deps, 'conn-1=', '42["message:send",{"chatId":"c1","content":"hi"}]', false);

      // Assess
      expect(JSON.parse((failed as string).slice(2))).toEqual(['error', { code: 'BAD_REQUEST', message: expect.any(String) }]);
      expect(succeeded).toBeUndefined();
    });

    it('disconnects with 41 first when the token has expired since CONNECT', async () => {
      // Prepare
      const { deps, link, send } = createDeps();
      givenRow({ ...OPEN, tokenExpiresAt: NOW / 1000 - 1 });

      // Act
      const body = await handleIncomingFrame(deps, 'conn-1=', '421["message:send",{"chatId":"c1","content":"hi"}]', false);

      // Assess
      expect(body).toBeUndefined();
      expect(link.disconnect).toHaveBeenCalledWith('conn-1=', { notify: true, userId: 'alice' });
      expect(send).not.toHaveBeenCalled();
    });

    it('answers an unknown event with an ack id with an UNKNOWN_ACTION error ack, and ignores it without', async () => {
      // Prepare
      const { deps } = createDeps();
      givenRow(OPEN);

      // Act
      const acked = await handleIncomingFrame(deps, 'conn-1=', '425["room:join",{}]', false);
      const plain = await handleIncomingFrame(deps, 'conn-1=', '42["room:join",{}]', false);

      // Assess
      expect(JSON.parse((acked as string).slice(3))).toEqual([{ error: { code: 'UNKNOWN_ACTION', message: expect.any(String) } }]);
      expect(plain).toBeUndefined();
    });
  });
});

describe('Function: handleIncomingFrame (metrics)', () => {
  it('counts an accepted Socket.IO CONNECT as ConnectionsOpened and a refused token by reason', async () => {
    // Prepare: the module graph afresh, so its metrics are on and its error classes are the ones it knows.
    const fresh = await importWithMetrics<typeof import('../../../../lambdas/domain/socketio')>('../../../../lambdas/domain/socketio');
    const { publishMetrics } = (await import('../../../../lambdas/commons/metrics')) as typeof import('../../../../lambdas/commons/metrics');
    const errors = (await import('../../../../lambdas/commons/errors')) as typeof import('../../../../lambdas/commons/errors');
    const { deps, verifyToken } = createDeps();
    verifyToken.mockImplementation(async (token: string) => {
      if (token !== 'good') throw new errors.UnauthorizedError('Invalid token');
      return { userId: 'alice', expiresAt: FUTURE_EXP };
    });
    givenRow(PENDING);

    // Act
    const emitted = await captureEmf(async () => {
      await fresh.handleIncomingFrame(deps, 'conn-1=', '40{"token":"good"}', false);
      await fresh.handleIncomingFrame(deps, 'conn-1=', '40{"token":"forged"}', false);
      publishMetrics();
    });
    vi.unstubAllEnvs();

    // Assess
    expect(total(emitted, METRIC.connectionsOpened)).toBe(1);
    expect(named(emitted, METRIC.connectionsRefused).map((metric) => metric.dimensions)).toEqual([{ service: SERVICE_NAME, reason: 'unauthorized' }]);
  });
});
