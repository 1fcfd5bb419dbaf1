/**
 * Issue 11 item 4 on the local runtime, with real `ws` clients and the HTTP
 * API: when `POST /chats` (or an add) returns, every open connection of the
 * participants is already in the chat's room, so a message sent at once
 * reaches them all; a removal takes them out before it returns; and a
 * connection opened while the chat was being created, which the create's
 * own join could not see, is put in the room by the Memberships stream.
 *
 * The 1,000-participant version of the first case runs in `npm run bench`
 * ("create 1,000"): it takes over a minute on this machine.
 *
 * `$connect` runs in this file's process, through the same domain function
 * as the real handler (openConnection over the DynamoDB stores), so one
 * test can hold a connection between reading its user's chats and writing
 * its row: exactly the window a create can fall into.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { WebSocketRouteEvent } from '../../lambdas/adapters/api-gateway/events';
import { acceptedResult, parseConnectRequest } from '../../lambdas/adapters/api-gateway/connect-request';
import { createTokenVerifier } from '../../lambdas/adapters/jwt-verifier';
import { openConnection } from '../../lambdas/domain/connections';
import { roomOf } from '../../lambdas/system/schema';
import { JSON_SUBPROTOCOL } from '../../protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStores } from '../helpers/dynamo-stores';
import {
  connectionIdsOf as connectionIdsOfUser,
  connectWebSocket,
  isEvent,
  setPostFaults as setRuntimePostFaults,
  useTestRuntime,
  type LocalRuntime,
  type TestSocket,
} from '../helpers/local-runtime';

const SECRET = 'room-joins-test-secret-that-is-long-enough';
const verify = createTokenVerifier({ source: { kind: 'secret', secret: SECRET } });

/** A `$connect` of one user held after it read the user's chats, until released. */
let held: { userId: string; chatsRead: () => void; release: Promise<void> } | undefined;

async function connectHandler(event: unknown): Promise<unknown> {
  const request = parseConnectRequest(event as WebSocketRouteEvent);
  if (request.token === undefined) return { statusCode: 401 };
  const identity = await verify(request.token).catch(() => undefined);
  if (identity === undefined) return { statusCode: 401 };
  const runtime = suite.runtime();
  const stores = createDynamoStores(runtime.documentClient, {
    connectionsTable: runtime.tableNames.CONNECTIONS_TABLE,
    roomsTable: runtime.tableNames.ROOMS_TABLE,
    presenceTable: runtime.tableNames.PRESENCE_TABLE,
    membershipsTable: runtime.tableNames.MEMBERSHIPS_TABLE,
  });
  const hold = held?.userId === identity.userId ? held : undefined;
  const memberships = {
    async chatIdsOfUser(userId: string) {
      const chatIds = await stores.memberships.chatIdsOfUser(userId);
      if (hold !== undefined) {
        hold.chatsRead();
        await hold.release;
      }
      return chatIds;
    },
  };
  await openConnection(
    { ...stores, memberships },
    { connectionId: request.connectionId, userId: identity.userId, protocol: JSON_SUBPROTOCOL, connectedAt: request.connectedAt, tokenExpiresAt: identity.expiresAt },
  );
  return acceptedResult(request);
}

const suite = useTestRuntime('joins', { jwtSecret: SECRET, handlers: { connect: connectHandler } });
const { user, connect, api } = suite;
let runtime: LocalRuntime;
beforeAll(() => {
  runtime = suite.runtime();
});

/** The connection ids in a chat's room, straight from the Rooms table. */
async function roomOfChat(chatId: string): Promise<string[]> {
  const { Items } = await runtime.documentClient.send(
    new QueryCommand({ TableName: runtime.tableNames.ROOMS_TABLE, KeyConditionExpression: 'room = :room', ExpressionAttributeValues: { ':room': roomOf.chat(chatId) }, ConsistentRead: true }),
  );
  return (Items ?? []).map((item) => item.connectionId as string);
}

const connectionIdsOf = (userId: string): Promise<string[]> => connectionIdsOfUser(runtime, userId);
const setPostFaults = (faults: Record<string, string>): Promise<void> => setRuntimePostFaults(runtime, faults);

const PARTICIPANTS = 40;

describe('Local runtime: joins before messages', () => {
  it(`puts all ${PARTICIPANTS} connected participants in the room before POST /chats returns, so a message sent at once reaches them all`, { timeout: 120_000 }, async () => {
    // Prepare
    const owner = user('owner');
    const others = Array.from({ length: PARTICIPANTS - 1 }, (_, i) => user(`p${i}`));
    const sockets: TestSocket[] = [];
    for (const userId of [owner, ...others]) sockets.push(await connect(userId));
    await runtime.settle(30_000);

    // Act
    const created = await api(owner, 'POST', '/chats', { title: 'forty', participants: others });
    const inRoom = await roomOfChat(created.json.chatId);
    const sent = await api(owner, 'POST', `/chats/${created.json.chatId}/messages`, { content: 'right after the create' });

    // Assess
    expect(created.status).toBe(201);
    expect(inRoom).toHaveLength(PARTICIPANTS);
    expect(sent.status).toBe(201);
    const heard = await Promise.all(sockets.map((socket) => socket.nextEvent(isEvent('message:new'), 30_000)));
    expect(heard.map((frame) => frame.data.messageId)).toEqual(Array(PARTICIPANTS).fill(sent.json.messageId));
  });

  it('puts an added participant\'s connections in the room before the add returns, and takes them out before the removal returns', { timeout: 60_000 }, async () => {
    // Prepare
    const [owner, dave] = [user('owner'), user('dave')];
    const chatId = (await api(owner, 'POST', '/chats', { title: 'adds', participants: [] })).json.chatId as string;
    const [tab1, tab2] = [await connect(dave), await connect(dave)];
    const daveConnections = await connectionIdsOf(dave);

    // Act: add, then a message at once
    const added = await api(owner, 'POST', `/chats/${chatId}/participants`, { userId: dave });
    const afterAdd = await roomOfChat(chatId);
    const first = await api(owner, 'POST', `/chats/${chatId}/messages`, { content: 'welcome' });

    // Assess
    expect(added.status).toBe(201);
    expect(afterAdd).toEqual(expect.arrayContaining(daveConnections));
    expect((await tab1.nextEvent(isEvent('message:new'), 10_000)).data.messageId).toBe(first.json.messageId);
    expect((await tab2.nextEvent(isEvent('message:new'), 10_000)).data.messageId).toBe(first.json.messageId);

    // Act: remove, then a message at once
    const removed = await api(owner, 'DELETE', `/chats/${chatId}/participants/${dave}`);
    const afterRemove = await roomOfChat(chatId);
    const second = await api(owner, 'POST', `/chats/${chatId}/messages`, { content: 'after dave left' });
    await runtime.settle(30_000);

    // Assess: out of the room when the call returned; nothing after it reached dave
    expect(removed.status).toBe(204);
    expect(afterRemove.filter((id) => daveConnections.includes(id))).toEqual([]);
    expect(second.status).toBe(201);
    expect([...tab1.received, ...tab2.received].filter((frame) => frame?.data?.messageId === second.json.messageId)).toEqual([]);
    // dave's tabs still hear that he was removed (the stream tells his own connections directly)
    expect((await tab1.nextEvent(isEvent('chat:member-removed'), 10_000)).data).toEqual({ chatId, userId: dave });
  });

  it('joins a connection opened during the create (its $connect read the chats before the chat existed) through the Memberships stream', { timeout: 60_000 }, async () => {
    // Prepare: the Memberships stream is kept busy by an earlier batch (an announcement to a
    // connection whose posts take 2 s), so this chat's INSERTs are fanned out after erin's
    // $connect has finished, as they would be in AWS, where the stream lags the call.
    const [owner, erin, slow, newcomer] = [user('owner'), user('erin'), user('slow'), user('newcomer')];
    const busyChat = (await api(owner, 'POST', '/chats', { title: 'busy', participants: [slow] })).json.chatId as string;
    const ownerWs = await connect(owner);
    await connect(slow);
    const [slowConnection] = await connectionIdsOf(slow);
    await setPostFaults({ [slowConnection as string]: 'slow:2000' });
    // erin's $connect reads her chats (none yet), then waits
    let chatsRead!: () => void;
    const wasRead = new Promise<void>((resolve) => (chatsRead = resolve));
    let release!: () => void;
    held = { userId: erin, chatsRead, release: new Promise<void>((resolve) => (release = resolve)) };
    const opening = connectWebSocket(runtime.wsUrl, { token: await runtime.token(erin) });
    await wasRead;
    await api(owner, 'POST', `/chats/${busyChat}/participants`, { userId: newcomer });
    await ownerWs.nextEvent(isEvent('chat:member-added'), 10_000);

    // Act: the chat is created (its join cannot see erin's connection: it has no row yet), then $connect goes on
    const created = await api(owner, 'POST', '/chats', { title: 'late', participants: [erin] });
    const chatId = created.json.chatId as string;
    const missedByCreate = await roomOfChat(chatId);
    release();
    const erinWs = await opening;
    held = undefined;
    const [erinConnection] = await connectionIdsOf(erin);
    await runtime.settle(30_000);
    await setPostFaults({});

    // Assess: the create could not put her in; the stream did, and messages reach her
    expect(created.status).toBe(201);
    expect(missedByCreate).not.toContain(erinConnection);
    expect(await roomOfChat(chatId)).toContain(erinConnection);
    const sent = await api(owner, 'POST', `/chats/${chatId}/messages`, { content: 'caught up' });
    expect((await erinWs.nextEvent(isEvent('message:new'), 10_000)).data.messageId).toBe(sent.json.messageId);
    await erinWs.close();
  });
});
