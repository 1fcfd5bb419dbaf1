import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { transactionCanceled } from '../../../helpers/transactions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, routeHttpRequest, type HttpApiDeps } from '../../../../lambdas/handlers/http-api';
import { DEFAULT_LIMITS } from '../../../../lambdas/system/limits';
import { createHttpEvent, type HttpEventOptions } from '../../../helpers/events';
import { signToken } from '../tokens';

const ddb = mockClient(DynamoDBDocumentClient);
const MESSAGE_ID = '01JH3Q7Z8W9X0YZABCDEFGHJKM';

async function call(options: Omit<HttpEventOptions, 'headers'> & { token?: string | null; headers?: Record<string, string> }) {
  const token = options.token === undefined ? await signToken('alice') : options.token;
  const headers = { ...(token !== null && { authorization: `Bearer ${token}` }), ...options.headers };
  const result = await handler(createHttpEvent({ ...options, headers }));
  return { ...result, json: result.body === undefined ? undefined : JSON.parse(result.body) };
}

describe('Function: http-api handler', () => {
  beforeEach(() => {
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({ Item: { chatId: 'c1', userId: 'alice', title: 'Team' } });
    ddb.on(UpdateCommand, { TableName: 'Memberships' }).resolves({ Attributes: { chatId: 'c1', userId: 'alice', title: 'Team', sendCount: 1, sendWindow: 0 } });
    // The Users table: no block, counters below their limits.
    ddb.on(QueryCommand, { TableName: 'Users' }).resolves({ Items: [] });
    ddb.on(GetCommand, { TableName: 'Users' }).resolves({});
    ddb.on(UpdateCommand, { TableName: 'Users' }).resolves({ Attributes: { userId: 'alice', changeCount: 1, changeWindow: Date.now(), chatCount: 1 } });
  });
  afterEach(() => {
    ddb.reset();
  });

  it('POST /chats creates a chat with the caller included and duplicates removed (201)', async () => {
    // Prepare
    ddb.on(BatchWriteCommand).resolves({});

    // Act
    const res = await call({ method: 'POST', path: '/chats', body: { title: 'Team', participants: ['bob', 'bob', 'alice'] } });

    // Assess
    expect(res.statusCode).toBe(201);
    expect(res.json).toEqual({ chatId: expect.any(String), title: 'Team', participants: ['alice', 'bob'] });
    expect(ddb).toReceiveCommandWith(BatchWriteCommand, {
      RequestItems: { Memberships: [expect.objectContaining({ PutRequest: { Item: expect.objectContaining({ userId: 'alice', addedBy: 'alice' }) } }), expect.anything()] },
    });
  });

  it('GET /chats?limit=&cursor= lists a page of the caller’s chats with their role, read position, unread count and a next cursor, reading no participant', async () => {
    // Prepare
    ddb.on(QueryCommand, { IndexName: 'byUser' }).resolves({
      Items: [{ chatId: 'c1', userId: 'alice', title: 'Team', role: 'member' }],
      LastEvaluatedKey: { chatId: 'c1', userId: 'alice' },
    });
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, unknown> }) =>
      'Messages' in input.RequestItems
        ? { Responses: { Messages: [{ chatId: 'c1', lastSeq: 12, lastOrdinal: 9 }] } }
        : { Responses: { Memberships: [{ chatId: 'c1', readMessageId: MESSAGE_ID, readSeq: 8, readOrdinal: 6, readAt: '2026-11-29T10:00:00.000Z' }] } },
    );

    // Act
    const res = await call({ method: 'GET', path: '/chats', queryStringParameters: { limit: '1', cursor: 'c0' } });

    // Assess: 9 messages, read up to the 6th.
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      items: [{ chatId: 'c1', title: 'Team', role: 'member', unreadCount: 3, read: { messageId: MESSAGE_ID, seq: 8, readAt: '2026-11-29T10:00:00.000Z' } }],
      next: 'c1',
    });
    expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 2);
    expect(ddb).toReceiveCommandWith(QueryCommand, { IndexName: 'byUser', Limit: 1, ExclusiveStartKey: { userId: 'alice', chatId: 'c0' } });
  });

  it('POST /chats/{chatId}/read moves the caller\'s read position and writes the read marker the fan-out sends (200 with the position)', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({ Item: { chatId: 'c1', messageId: MESSAGE_ID, kind: 'message', senderId: 'bob', content: 'hi', createdAt: 't', seq: 5, createdSeq: 4, ordinal: 3 } });
    ddb.on(QueryCommand, { TableName: 'Memberships', Select: 'COUNT' }).resolves({ Count: 2 });
    ddb.on(UpdateCommand, { TableName: 'Messages' }).resolves({});

    // Act
    const res = await call({ method: 'POST', path: '/chats/c1/read', body: { messageId: MESSAGE_ID } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ chatId: 'c1', userId: 'alice', messageId: MESSAGE_ID, seq: 4, readAt: expect.any(String), moved: true });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Memberships', ExpressionAttributeValues: expect.objectContaining({ ':readSeq': 4, ':readOrdinal': 3 }) });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Messages', Key: { chatId: 'c1', messageId: 'read#alice' } });
  });

  it.each([
    ['a chat the caller is not in', { messageId: MESSAGE_ID }, 403, 'FORBIDDEN'],
    ['an unknown message', { messageId: MESSAGE_ID }, 404, 'NOT_FOUND'],
    ['a body without messageId', {}, 400, 'BAD_REQUEST'],
    ['a body that repeats the path\'s chatId', { chatId: 'c1', messageId: MESSAGE_ID }, 400, 'BAD_REQUEST'],
  ])('POST /chats/{chatId}/read refuses %s, writing nothing', async (name, body, status, code) => {
    // Prepare: no such message; the caller is a participant only for the unknown message case.
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({});
    if (name.startsWith('a chat')) ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});

    // Act
    const res = await call({ method: 'POST', path: '/chats/c1/read', body });

    // Assess
    expect(res.statusCode).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });

  it('GET /chats/{chatId}/reads pages the participants\' read positions (participants only)', async () => {
    // Prepare
    ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({
      Items: [
        { chatId: 'c1', userId: 'alice', title: 'Team', readMessageId: MESSAGE_ID, readSeq: 4, readOrdinal: 3, readAt: '2026-11-29T10:00:00.000Z' },
        { chatId: 'c1', userId: 'bob', title: 'Team' },
      ],
      LastEvaluatedKey: { chatId: 'c1', userId: 'bob' },
    });

    // Act
    const res = await call({ method: 'GET', path: '/chats/c1/reads', queryStringParameters: { limit: '2' } });
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});
    const outsider = await call({ method: 'GET', path: '/chats/c1/reads' });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ items: [{ userId: 'alice', messageId: MESSAGE_ID, seq: 4, readAt: '2026-11-29T10:00:00.000Z' }, { userId: 'bob', seq: 0 }], next: 'bob' });
    expect(outsider.statusCode).toBe(403);
  });

  it('GET /chats/{chatId}/participants pages the participants with their roles (participants only)', async () => {
    // Prepare
    ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({
      Items: [{ chatId: 'c1', userId: 'alice', title: 'Team', role: 'owner', addedAt: '2026-11-29T10:00:00.000Z', addedBy: 'alice' }],
    });

    // Act
    const res = await call({ method: 'GET', path: '/chats/c1/participants', queryStringParameters: { limit: '10' } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ items: [{ userId: 'alice', role: 'owner', addedAt: '2026-11-29T10:00:00.000Z' }] });
    expect(ddb).toReceiveCommandWith(QueryCommand, { TableName: 'Memberships', Limit: 10 });
  });

  it('refuses a bad page size or cursor with 400, reading nothing', async () => {
    // Act
    const size = await call({ method: 'GET', path: '/chats', queryStringParameters: { limit: '0' } });
    const cursor = await call({ method: 'GET', path: '/chats/c1/participants', queryStringParameters: { cursor: 'bad#id' } });

    // Assess
    expect([size.statusCode, cursor.statusCode]).toEqual([400, 400]);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('PATCH /chats/{chatId}/participants/{userId} makes a participant an owner (200); a bad role is a 400 writing nothing', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'bob' } }).resolves({
      Item: { chatId: 'c1', userId: 'bob', title: 'Team', role: 'member', addedAt: '2026-11-29T10:00:00.000Z', addedBy: 'alice' },
    });

    // Act
    const promoted = await call({ method: 'PATCH', path: '/chats/c1/participants/bob', body: { role: 'owner' } });
    const bad = await call({ method: 'PATCH', path: '/chats/c1/participants/bob', body: { role: 'admin' } });

    // Assess
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json).toEqual({ userId: 'bob', role: 'owner', addedAt: '2026-11-29T10:00:00.000Z' });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'bob' }, ExpressionAttributeValues: { ':role': 'owner' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json.error.code).toBe('BAD_REQUEST');
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
  });

  it('PUT, GET and DELETE /users/me/blocks manage the caller\'s blocks; blocking oneself is a 400', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    ddb.on(QueryCommand, { TableName: 'Users' }).resolves({ Items: [{ userId: 'alice', sk: 'block#mallory', blockedAt: '2026-11-29T10:00:00.000Z' }] });

    // Act
    const blocked = await call({ method: 'PUT', path: '/users/me/blocks/mallory' });
    const list = await call({ method: 'GET', path: '/users/me/blocks' });
    const unblocked = await call({ method: 'DELETE', path: '/users/me/blocks/mallory' });
    const self = await call({ method: 'PUT', path: '/users/me/blocks/alice' });

    // Assess
    expect(blocked.statusCode).toBe(204);
    expect(ddb).toReceiveCommandWith(PutCommand, { TableName: 'Users', Item: expect.objectContaining({ userId: 'alice', sk: 'block#mallory' }) });
    expect(list.json).toEqual({ items: [{ userId: 'mallory', blockedAt: '2026-11-29T10:00:00.000Z' }] });
    expect(unblocked.statusCode).toBe(204);
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Users', Key: { userId: 'alice', sk: 'block#mallory' } });
    expect(self.statusCode).toBe(400);
    expect(ddb).toReceiveCommandTimes(PutCommand, 2);
  });

  it('POST /chats past the creation rate is a 429 RATE_LIMITED with retry-after, writing no membership', async () => {
    // Prepare
    const openedAt = Date.now() - 1000;
    ddb.on(UpdateCommand, { TableName: 'Users' }).rejects(
      Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: marshall({ userId: 'alice', sk: 'counters', changeCount: 30, changeWindow: openedAt }) }),
    );

    // Act
    const res = await call({ method: 'POST', path: '/chats', body: { title: 'x', participants: ['victim'] } });

    // Assess
    expect(res.statusCode).toBe(429);
    expect(res.json.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers?.['retry-after'])).toBeGreaterThanOrEqual(58);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
  });

  it('POST /chats/{chatId}/participants adds a user (201) with their open connection in the room, and DELETE removes one (204) taking it out', async () => {
    // Prepare: carol has one open connection
    const future = Math.floor(Date.now() / 1000) + 3600;
    ddb.on(QueryCommand, { TableName: 'Memberships' }).resolves({ Count: 2 });
    ddb.on(QueryCommand, { TableName: 'Connections', IndexName: 'byUser' }).resolves({ Items: [{ connectionId: 'carol-1', protocol: 'lettera.v1', expiresAt: future }] });
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, unknown> }) =>
      'Connections' in input.RequestItems
        ? { Responses: { Connections: [{ connectionId: 'carol-1', userId: 'carol', protocol: 'lettera.v1', expiresAt: future, tokenExpiresAt: future }] } }
        : { Responses: { Memberships: [{ userId: 'carol' }] } },
    );
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand, { TableName: 'Connections' }).resolves({});
    ddb.on(DeleteCommand).resolves({});

    // Act
    const added = await call({ method: 'POST', path: '/chats/c1/participants', body: { userId: 'carol' } });
    const joined = ddb.commandCalls(BatchWriteCommand).length;
    const removed = await call({ method: 'DELETE', path: '/chats/c1/participants/carol' });

    // Assess
    expect(added.statusCode).toBe(201);
    expect(added.json).toEqual({ chatId: 'c1', userId: 'carol', role: 'member' });
    expect(ddb).toReceiveCommandWith(PutCommand, { TableName: 'Memberships', Item: expect.objectContaining({ chatId: 'c1', userId: 'carol', title: 'Team', addedBy: 'alice' }) });
    expect(joined).toBe(1);
    expect(ddb).toReceiveCommandWith(BatchWriteCommand, {
      RequestItems: { Rooms: [{ PutRequest: { Item: { room: 'chat:c1', connectionId: 'carol-1', userId: 'carol', protocol: 'lettera.v1', expiresAt: future, tokenExpiresAt: future } } }] },
    });
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBeUndefined();
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Memberships', Key: { chatId: 'c1', userId: 'carol' } });
    expect(ddb).toReceiveCommandWith(DeleteCommand, { TableName: 'Rooms', Key: { room: 'chat:c1', connectionId: 'carol-1' } });
  });

  it('refuses adding a participant to a chat the caller is not in (403)', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});

    // Act
    const res = await call({ method: 'POST', path: '/chats/c9/participants', body: { userId: 'carol' } });

    // Assess
    expect(res.statusCode).toBe(403);
    expect(res.json).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(ddb).toReceiveCommandTimes(PutCommand, 0);
  });

  it('POST /chats/{chatId}/messages sends (201) and returns the message with its chat position', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const res = await call({ method: 'POST', path: '/chats/c1/messages', body: { content: 'hello', clientMessageId: 'k1' } });

    // Assess
    expect(res.statusCode).toBe(201);
    expect(res.json).toMatchObject({ chatId: 'c1', senderId: 'alice', content: 'hello', seq: 1 });
    expect(res.json).not.toHaveProperty('changeId');
  });

  it('POST /chats/{chatId}/messages over the flood limit is a 429 RATE_LIMITED with retry-after, writing nothing', async () => {
    // Prepare: the window opened 2.5 s ago and is full.
    const full = { chatId: 'c1', userId: 'alice', title: 'Team', sendWindow: Date.now() - 2500, sendCount: 20 };
    ddb.on(TransactWriteCommand).rejects(transactionCanceled([{ code: 'ConditionalCheckFailed', item: full }, 'None', 'None']));

    // Act
    const res = await call({ method: 'POST', path: '/chats/c1/messages', body: { content: 'hello' } });

    // Assess
    expect(res.statusCode).toBe(429);
    expect(res.json).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(Number(res.headers?.['retry-after'])).toBeGreaterThanOrEqual(7);
    expect(Number(res.headers?.['retry-after'])).toBeLessThanOrEqual(8);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 1);
  });

  it('GET /chats/{chatId}/messages lists with limit and a next cursor', async () => {
    // Prepare
    const row = (messageId: string) => ({ chatId: 'c1', messageId, kind: 'message', senderId: 'bob', content: 'x', createdAt: '2025-11-27T00:00:00.000Z', seq: 1, createdSeq: 1 });
    ddb.on(QueryCommand).resolves({ Items: [row('01JH3Q7Z8W9X0YZABCDEFGHJK1'), row('01JH3Q7Z8W9X0YZABCDEFGHJK2')] });

    // Act
    const res = await call({ method: 'GET', path: '/chats/c1/messages', queryStringParameters: { limit: '1', after: '01JH3Q7Z8W9X0YZABCDEFGHJK0' } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ items: [expect.objectContaining({ messageId: '01JH3Q7Z8W9X0YZABCDEFGHJK1', timestamp: '2025-11-27T00:00:00.000Z' })], next: '01JH3Q7Z8W9X0YZABCDEFGHJK1' });
  });

  it('GET /chats/{chatId}/messages?afterSeq= lists messages by the position of their latest write, with seq and a next position', async () => {
    // Prepare: an edit (position 3) of a message created before the cursor, then two new messages.
    const row = (messageId: string, seq: number, extra: object = {}) => ({ chatId: 'c1', messageId, kind: 'message', senderId: 'bob', content: 'x', createdAt: '2025-11-27T00:00:00.000Z', seq, createdSeq: seq, ...extra });
    ddb.on(QueryCommand, { IndexName: 'bySeq' }).resolves({
      Items: [
        row('01JH3Q7Z8W9X0YZABCDEFGHJK0', 3, { createdSeq: 1, content: 'fixed', editedAt: '2025-11-27T00:01:00.000Z' }),
        row('01JH3Q7Z8W9X0YZABCDEFGHJK4', 4),
        row('01JH3Q7Z8W9X0YZABCDEFGHJK5', 5),
      ],
    });

    // Act
    const res = await call({ method: 'GET', path: '/chats/c1/messages', queryStringParameters: { limit: '2', afterSeq: '2' } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      items: [
        { messageId: '01JH3Q7Z8W9X0YZABCDEFGHJK0', chatId: 'c1', senderId: 'bob', content: 'fixed', timestamp: '2025-11-27T00:00:00.000Z', editedAt: '2025-11-27T00:01:00.000Z', seq: 3 },
        expect.objectContaining({ messageId: '01JH3Q7Z8W9X0YZABCDEFGHJK4', seq: 4 }),
      ],
      next: '4',
    });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 'Messages',
      IndexName: 'bySeq',
      KeyConditionExpression: 'chatId = :chatId AND seq > :afterSeq',
      ExpressionAttributeValues: { ':chatId': 'c1', ':afterSeq': 2 },
      ConsistentRead: true,
      Limit: 3,
    });
  });

  it('GET ?afterSeq= refuses a caller who is not a participant (403) without reading messages', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Memberships' }).resolves({});

    // Act
    const res = await call({ method: 'GET', path: '/chats/c9/messages', queryStringParameters: { afterSeq: '0' } });

    // Assess
    expect(res.statusCode).toBe(403);
    expect(res.json).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('refuses the former changedAfter cursor with 400 naming afterSeq, reading nothing', async () => {
    // Act
    const res = await call({ method: 'GET', path: '/chats/c1/messages', queryStringParameters: { changedAfter: MESSAGE_ID } });

    // Assess
    expect(res.statusCode).toBe(400);
    expect(res.json).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('afterSeq') } });
    expect(ddb).toReceiveCommandTimes(GetCommand, 0);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('PATCH edits (200) and DELETE deletes (204) a message', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: 'Messages' }).resolves({ Item: { chatId: 'c1', messageId: MESSAGE_ID, kind: 'message', senderId: 'alice', content: 'old', createdAt: 't', seq: 1, createdSeq: 1 } });
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const edited = await call({ method: 'PATCH', path: `/chats/c1/messages/${MESSAGE_ID}`, body: { content: 'new' } });
    const deleted = await call({ method: 'DELETE', path: `/chats/c1/messages/${MESSAGE_ID}` });

    // Assess
    expect(edited.statusCode).toBe(200);
    expect(edited.json).toMatchObject({ messageId: MESSAGE_ID, content: 'new', editedAt: expect.any(String), timestamp: 't', seq: 2 });
    expect(deleted.statusCode).toBe(204);
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 2);
  });

  it.each([
    ['no Authorization header', { method: 'GET', path: '/chats', token: null }, 401, 'UNAUTHORIZED'],
    ['a Basic scheme', { method: 'GET', path: '/chats', token: null, headers: { authorization: 'Basic YTpi' } }, 401, 'UNAUTHORIZED'],
    ['a bad token', { method: 'GET', path: '/chats', token: 'abc.def.ghi' }, 401, 'UNAUTHORIZED'],
    ['an unknown route', { method: 'GET', path: '/admin' }, 404, 'NOT_FOUND'],
    ['a non-JSON body', { method: 'POST', path: '/chats', body: '{"participants":' }, 400, 'BAD_REQUEST'],
    ['participants not an array', { method: 'POST', path: '/chats', body: { participants: 'bob' } }, 400, 'BAD_REQUEST'],
    ['an invalid participant id', { method: 'POST', path: '/chats', body: { participants: ['bob#1'] } }, 400, 'BAD_REQUEST'],
    ['too many participants', { method: 'POST', path: '/chats', body: { participants: Array.from({ length: DEFAULT_LIMITS.maxChatParticipants }, (_, i) => `u${i}`) } }, 400, 'BAD_REQUEST'],
    ['an unknown body field', { method: 'POST', path: '/chats', body: { participants: [], admin: true } }, 400, 'BAD_REQUEST'],
    ['a spoofed senderId', { method: 'POST', path: '/chats/c1/messages', body: { content: 'x', senderId: 'bob' } }, 400, 'BAD_REQUEST'],
    ['empty content', { method: 'POST', path: '/chats/c1/messages', body: { content: '   ' } }, 400, 'BAD_REQUEST'],
    ['oversized content', { method: 'POST', path: '/chats/c1/messages', body: { content: 'x'.repeat(4001) } }, 413, 'PAYLOAD_TOO_LARGE'],
    ['a limit of 0', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { limit: '0' } }, 400, 'BAD_REQUEST'],
    ['a limit above the maximum', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { limit: '101' } }, 400, 'BAD_REQUEST'],
    ['a non-numeric limit', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { limit: '1e2' } }, 400, 'BAD_REQUEST'],
    ['a malformed cursor', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { before: 'idem#alice#k' } }, 400, 'BAD_REQUEST'],
    ['both cursors', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { before: MESSAGE_ID, after: MESSAGE_ID } }, 400, 'BAD_REQUEST'],
    ['a negative afterSeq', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { afterSeq: '-1' } }, 400, 'BAD_REQUEST'],
    ['a non-integer afterSeq', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { afterSeq: '1.5' } }, 400, 'BAD_REQUEST'],
    ['a message id as afterSeq', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { afterSeq: MESSAGE_ID } }, 400, 'BAD_REQUEST'],
    ['afterSeq with after', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { afterSeq: '3', after: MESSAGE_ID } }, 400, 'BAD_REQUEST'],
    ['afterSeq with before', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { afterSeq: '3', before: MESSAGE_ID } }, 400, 'BAD_REQUEST'],
    ['afterSeq with a limit above the maximum', { method: 'GET', path: '/chats/c1/messages', queryStringParameters: { afterSeq: '3', limit: '101' } }, 400, 'BAD_REQUEST'],
    ['a bad message id in the path', { method: 'PATCH', path: '/chats/c1/messages/nope', body: { content: 'x' } }, 400, 'BAD_REQUEST'],
  ] as const)('refuses %s', async (_name, options, status, code) => {
    // Act
    const res = await call(options as Parameters<typeof call>[0]);

    // Assess
    expect(res.statusCode).toBe(status);
    expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
    expect(ddb).toReceiveCommandTimes(TransactWriteCommand, 0);
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 0);
  });

  it('surfaces DynamoDB throttling as a 500 with no internals', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' }));

    // Act
    const res = await call({ method: 'POST', path: '/chats/c1/messages', body: { content: 'hi' } });

    // Assess
    expect(res.statusCode).toBe(500);
    expect(res.json).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
  });
});

describe('Function: http-api handler (GET /presence)', () => {
  beforeEach(() => {
    ddb.on(QueryCommand, { TableName: 'Users' }).resolves({ Items: [] });
    // alice is in c1; bob and carol are too, mallory is not.
    ddb.on(QueryCommand, { TableName: 'Memberships', IndexName: 'byUser' }).resolves({ Items: [{ chatId: 'c1' }] });
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Array<Record<string, string>> }> }) => {
      const members = new Set(['bob', 'carol']);
      const memberships = input.RequestItems.Memberships?.Keys.filter((key) => members.has(key.userId as string));
      const presence = input.RequestItems.Presence?.Keys.filter((key) => key.userId === 'bob').map((key) => ({ ...key, connectionIds: new Set(['b1']) }));
      return { Responses: { ...(memberships && { Memberships: memberships }), ...(presence && { Presence: presence }) } };
    });
  });
  afterEach(() => {
    ddb.reset();
  });

  it('answers 200 with each user\'s presence, in the order asked', async () => {
    // Act
    const res = await call({ method: 'GET', path: '/presence', queryStringParameters: { userIds: 'carol,bob' } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ users: [{ userId: 'carol', online: false }, { userId: 'bob', online: true, state: 'online' }] });
    expect(ddb).toReceiveCommandWith(BatchGetCommand, { RequestItems: { Presence: expect.objectContaining({ Keys: [{ userId: 'carol' }, { userId: 'bob' }] }) } });
  });

  it('answers 403 FORBIDDEN, naming nobody, when one user shares no chat with the caller', async () => {
    // Act
    const res = await call({ method: 'GET', path: '/presence', queryStringParameters: { userIds: 'bob,mallory' } });

    // Assess
    expect(res.statusCode).toBe(403);
    expect(res.json.error.code).toBe('FORBIDDEN');
    expect(res.body).not.toMatch(/mallory|bob/);
    expect(ddb).not.toReceiveCommandWith(BatchGetCommand, { RequestItems: { Presence: expect.anything() } });
  });

  it.each([
    ['no userIds', {}],
    ['an empty userIds', { userIds: '' }],
    ['101 users', { userIds: Array.from({ length: 101 }, (_, i) => `u${i}`).join(',') }],
    ['an invalid id', { userIds: 'bob,<script>' }],
    ['an unknown parameter', { userIds: 'bob', chatId: 'c1' }],
  ])('answers 400 BAD_REQUEST for %s, reading nothing', async (_label, queryStringParameters) => {
    // Act
    const res = await call({ method: 'GET', path: '/presence', queryStringParameters });

    // Assess
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('BAD_REQUEST');
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 0);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 0);
  });

  it('answers 401 without a token', async () => {
    // Act
    const res = await call({ method: 'GET', path: '/presence', queryStringParameters: { userIds: 'bob' }, token: null });

    // Assess
    expect(res.statusCode).toBe(401);
  });
});

describe('Function: http-api handler (PUT /users/me/status)', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('sets the caller\'s status (200) with one conditional UpdateItem on their Presence row', async () => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Presence' }).resolves({});

    // Act
    const res = await call({ method: 'PUT', path: '/users/me/status', body: { state: 'away', text: 'Back at 3' } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ userId: 'alice', state: 'away', text: 'Back at 3', at: expect.any(String) });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { TableName: 'Presence', Key: { userId: 'alice' }, ExpressionAttributeValues: expect.objectContaining({ ':state': 'away', ':text': 'Back at 3' }) });
  });

  it.each([
    ['an unknown state', { state: 'gone' }, 400, 'BAD_REQUEST'],
    ['a text over the cap', { state: 'busy', text: 'x'.repeat(101) }, 413, 'PAYLOAD_TOO_LARGE'],
    ['no body', undefined, 400, 'BAD_REQUEST'],
  ])('refuses %s (%i), writing nothing', async (_label, body, status, code) => {
    // Act
    const res = await call({ method: 'PUT', path: '/users/me/status', ...(body !== undefined && { body }) });

    // Assess
    expect(res.statusCode).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 0);
  });

  it('answers 429 with retry-after for a change within the throttle', async () => {
    // Prepare
    ddb.on(UpdateCommand, { TableName: 'Presence' }).rejects(Object.assign(new Error('throttled'), { name: 'ConditionalCheckFailedException' }));

    // Act
    const res = await call({ method: 'PUT', path: '/users/me/status', body: { state: 'busy' } });

    // Assess
    expect(res.statusCode).toBe(429);
    expect(res.json.error.code).toBe('RATE_LIMITED');
    expect(res.headers?.['retry-after']).toBe('1');
  });
});

describe('Function: routeHttpRequest', () => {
  const fakeDeps = () =>
    ({
      chats: { listForUser: vi.fn().mockResolvedValue({ items: [] }) },
      reads: { withUnread: vi.fn(async (_userId: string, page: unknown) => page) },
      messages: { remove: vi.fn().mockResolvedValue(undefined), send: vi.fn() },
      verifyToken: vi.fn().mockResolvedValue({ userId: 'alice' }),
    }) as unknown as HttpApiDeps & { messages: { remove: ReturnType<typeof vi.fn>; send: ReturnType<typeof vi.fn> } };

  it('dispatches on routeKey and reads pathParameters, not rawPath', async () => {
    // Prepare: a rawPath that would match no route; API Gateway already selected it.
    const deps = fakeDeps();
    const event = createHttpEvent({
      method: 'DELETE',
      path: '/v1/anything',
      routeKey: 'DELETE /chats/{chatId}/messages/{messageId}',
      pathParameters: { chatId: 'c1', messageId: MESSAGE_ID },
      headers: { authorization: 'Bearer t' },
    });

    // Act
    const result = await routeHttpRequest(deps, event);

    // Assess
    expect(result.statusCode).toBe(204);
    expect(deps.messages.remove).toHaveBeenCalledWith('alice', { chatId: 'c1', messageId: MESSAGE_ID });
  });

  it('gives POST /chats\' room join what the invocation can spare (its remaining time less 2 s)', async () => {
    // Prepare
    const create = vi.fn().mockResolvedValue({ chatId: 'c9', title: 'Team', participants: ['alice', 'bob'] });
    const deps = { ...fakeDeps(), chats: { create } } as unknown as HttpApiDeps;
    const event = createHttpEvent({ method: 'POST', path: '/chats', body: { title: 'Team', participants: ['bob'] }, headers: { authorization: 'Bearer t' } });

    // Act
    const withContext = await routeHttpRequest(deps, event, { getRemainingTimeInMillis: () => 9_500 });
    await routeHttpRequest(deps, event);

    // Assess
    expect(withContext.statusCode).toBe(201);
    expect(create).toHaveBeenNthCalledWith(1, 'alice', { title: 'Team', participants: ['bob'] }, { joinBudgetMs: 7_500 });
    expect(create).toHaveBeenNthCalledWith(2, 'alice', { title: 'Team', participants: ['bob'] }, {});
  });

  it('answers 404 NOT_FOUND for a route key it has no handler for, before verifying any token', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const results = await Promise.all(
      ['$default', 'OPTIONS /chats', 'constructor'].map((routeKey) =>
        routeHttpRequest(deps, createHttpEvent({ method: 'GET', path: '/chats', routeKey, headers: { authorization: 'Bearer t' } })),
      ),
    );

    // Assess
    for (const result of results) {
      expect(result.statusCode).toBe(404);
      expect(JSON.parse(result.body as string)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    }
    expect(deps.verifyToken).not.toHaveBeenCalled();
  });

  it('parses a message body with the message:send action, refusing a chatId the path already gives', async () => {
    // Prepare
    const deps = fakeDeps();
    const send = (body: unknown) =>
      routeHttpRequest(deps, createHttpEvent({ method: 'POST', path: '/chats/c1/messages', body, headers: { authorization: 'Bearer t' } }));

    // Act
    const clash = await send({ content: 'hi', chatId: 'c2' });
    const missing = await send({});
    const notObject = await send([1]);

    // Assess
    expect(clash.statusCode).toBe(400);
    expect(JSON.parse(clash.body as string).error.message).toBe('body has unknown field(s): chatId');
    expect(JSON.parse(missing.body as string).error.message).toBe('body.content is required');
    expect(JSON.parse(notObject.body as string).error.message).toBe('body must be an object');
    expect(deps.messages.send).not.toHaveBeenCalled();
  });

  it('sets no CORS headers: API Gateway owns CORS', async () => {
    // Act
    const result = await routeHttpRequest(fakeDeps(), createHttpEvent({ method: 'GET', path: '/chats', headers: { authorization: 'Bearer t', origin: 'https://app.example.com' } }));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(Object.keys(result.headers ?? {}).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

