/**
 * End to end on the local runtime with the real handlers: real `ws` clients,
 * the HTTP API, DynamoDB Local streams and the fan-out.
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect as connectClient, type ChatSocket } from '../../client/src/index';
import { DEFAULT_LIMITS } from '../../lambdas/system/limits';

const { maxConnectionsPerUser: MAX_CONNECTIONS_PER_USER, messageRateLimit: MESSAGE_RATE_LIMIT, messageRateWindowMs: MESSAGE_RATE_WINDOW_MS } = DEFAULT_LIMITS;
import { abortedUpgrade, openAndCloseAfter, connectionIdsOf as connectionIdsOfUser, connectWebSocket, isEvent, upgradeStatus, useTestRuntime, waitFor, type ApiResponse, type Frame, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

const suite = useTestRuntime('e2e');
const { user, connect, api, createChat } = suite;
let runtime: LocalRuntime;
beforeAll(() => {
  runtime = suite.runtime();
});

const connectionIdsOf = (userId: string): Promise<string[]> => connectionIdsOfUser(runtime, userId);

const eventsNamed = (socket: TestSocket, prefix: string) => socket.received.filter((f) => typeof f?.event === 'string' && f.event.startsWith(prefix));

describe('Local runtime: end to end', () => {
  it('delivers message:new, message:edited and message:deleted to participants and never to an outsider', async () => {
    // Prepare
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs, carolWs] = [await connect(alice), await connect(bob), await connect(carol)];

    // Act
    const sent = await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'hello bob' });
    const messageId = sent.json.messageId as string;
    const newForBob = await bobWs.nextEvent(isEvent('message:new', (d) => d.messageId === messageId));
    const newForAlice = await aliceWs.nextEvent(isEvent('message:new', (d) => d.messageId === messageId));
    await api(alice, 'PATCH', `/chats/${chatId}/messages/${messageId}`, { content: 'hello, bob' });
    const edited = await bobWs.nextEvent(isEvent('message:edited', (d) => d.messageId === messageId));
    await api(alice, 'DELETE', `/chats/${chatId}/messages/${messageId}`);
    const deleted = await bobWs.nextEvent(isEvent('message:deleted', (d) => d.messageId === messageId));
    await runtime.settle();

    // Assess
    expect(newForBob.data).toMatchObject({ chatId, senderId: alice, content: 'hello bob' });
    expect(sent.json.seq).toBe(1);
    expect(newForAlice).toMatchObject({ id: `${chatId}:1`, seq: 1 });
    expect(edited).toMatchObject({ id: `${chatId}:2`, seq: 2 });
    expect(deleted).toMatchObject({ id: `${chatId}:3`, seq: 3 });
    expect(edited.data).toMatchObject({ content: 'hello, bob' });
    expect(deleted.data).toMatchObject({ deletedBy: alice });
    expect(eventsNamed(carolWs, 'message:')).toEqual([]);
  });

  it('delivers typing to the other participant only', async () => {
    // Prepare
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs, carolWs] = [await connect(alice), await connect(bob), await connect(carol)];

    // Act
    aliceWs.send({ action: 'user:typing', data: { chatId }, ackId: 1 });
    const ack = await aliceWs.nextEvent(isEvent('ack'));
    const typing = await bobWs.nextEvent(isEvent('user:typing'));
    aliceWs.send({ action: 'user:stop-typing', data: { chatId }, ackId: 2 });
    const stopped = await bobWs.nextEvent(isEvent('user:stop-typing'));
    await aliceWs.nextEvent((f) => f?.event === 'ack' && f.ackId === 2);

    // Assess
    expect(ack).toMatchObject({ ackId: 1 });
    expect(typing.data).toMatchObject({ chatId, userId: alice, isTyping: true });
    expect(stopped.data).toMatchObject({ chatId, userId: alice, isTyping: false });
    expect(eventsNamed(aliceWs, 'user:typing')).toEqual([]);
    expect(eventsNamed(carolWs, 'user:')).toEqual([]);
  });

  it('sends user:online and user:offline to users sharing a chat, counting two tabs once', async () => {
    // Prepare
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    await createChat(alice, [bob]);
    const [aliceWs, carolWs] = [await connect(alice), await connect(carol)];
    const forBob = (name: string) => isEvent(name, (d) => d.userId === bob);

    // Act
    const firstTab = await connect(bob);
    await aliceWs.nextEvent(forBob('user:online'));
    const secondTab = await connect(bob);
    await runtime.settle();
    await firstTab.close();
    await runtime.settle();
    const offlineAfterOneTab = aliceWs.received.filter(forBob('user:offline')).length;
    await secondTab.close();
    await aliceWs.nextEvent(forBob('user:offline'));
    await runtime.settle();

    // Assess
    expect(aliceWs.received.filter(forBob('user:online'))).toHaveLength(1);
    expect(offlineAfterOneTab).toBe(0);
    expect(aliceWs.received.filter(forBob('user:offline'))).toHaveLength(1);
    expect(carolWs.received.filter(forBob('user:online'))).toHaveLength(0);
  });

  it('delivers the next message to a participant added while connected', async () => {
    // Prepare
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    const chatId = await createChat(alice, [bob]);
    const carolWs = await connect(carol);

    // Act
    const added = await api(alice, 'POST', `/chats/${chatId}/participants`, { userId: carol });
    await runtime.settle();
    const sent = await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'welcome carol' });
    const received = await carolWs.nextEvent(isEvent('message:new', (d) => d.messageId === sent.json.messageId));

    // Assess
    expect(added.status).toBe(201);
    expect(received.data).toMatchObject({ chatId, content: 'welcome carol' });
  });

  it('cleans up a client that vanished without a close on the next fan-out', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    await connect(alice);
    await connect(bob);
    const [bobConnection] = await connectionIdsOf(bob);
    // Established for a minute: a 410 within 30 s of connecting may only mean
    // $connect has not returned yet, and such a connection is spared.
    await runtime.documentClient.send(
      new UpdateCommand({
        TableName: runtime.tableNames.CONNECTIONS_TABLE,
        Key: { connectionId: bobConnection },
        UpdateExpression: 'SET connectedAt = :minuteAgo',
        ExpressionAttributeValues: { ':minuteAgo': Date.now() - 60_000 },
      }),
    );
    runtime.gateway.pool.vanish(bobConnection as string); // No close frame, no $disconnect.

    // Act
    await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'anyone there?' });
    await runtime.settle();

    // Assess
    expect(bobConnection).toEqual(expect.any(String));
    // Generous: on a loaded 2-core machine the stream poll, the fan-out and the remover queue behind other suites.
    await waitFor(async () => (await connectionIdsOf(bob)).length === 0, 15_000);
    const { Items } = await runtime.documentClient.send(
      new ScanCommand({ TableName: runtime.tableNames.ROOMS_TABLE, FilterExpression: 'connectionId = :c', ExpressionAttributeValues: { ':c': bobConnection } }),
    );
    expect(Items).toEqual([]);
  }, 30_000);

  it('sends user:offline for a client whose $disconnect was lost once TTL removes its connection row', async () => {
    // Prepare: bob is online, then vanishes (no $disconnect) and nobody ever posts to him.
    const [alice, bob] = [user('alice'), user('bob')];
    await createChat(alice, [bob]);
    const aliceWs = await connect(alice);
    await connect(bob);
    await aliceWs.nextEvent(isEvent('user:online', (d) => d.userId === bob));
    const [bobConnection] = await connectionIdsOf(bob);
    runtime.gateway.pool.vanish(bobConnection as string);

    // Act: two hours later, as far as TTL is concerned. DynamoDB Local runs TTL itself on its own
    // background schedule (about 10 s on an idle machine, more under load), hence the long wait.
    await runtime.documentClient.send(
      new UpdateCommand({
        TableName: runtime.tableNames.CONNECTIONS_TABLE,
        Key: { connectionId: bobConnection },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 },
      }),
    );
    const offline = await aliceWs.nextEvent(isEvent('user:offline', (d) => d.userId === bob), 60_000);

    // Assess
    expect(offline.data).toMatchObject({ userId: bob });
    expect(await connectionIdsOf(bob)).toEqual([]);
    const { Items } = await runtime.documentClient.send(
      new QueryCommand({ TableName: runtime.tableNames.PRESENCE_TABLE, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': bob } }),
    );
    expect(Items?.[0]?.connectionIds).toBeUndefined();
  }, 75_000);

  it('refuses bad tokens at the upgrade with 401 and leaves no rows', async () => {
    // Prepare
    const mallory = user('mallory');
    const key = (secret: string) => new TextEncoder().encode(secret);
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(mallory).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key(runtime.jwtSecret));
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(mallory).setExpirationTime('1h').sign(key('some-other-secret-of-enough-length!!'));

    // Act
    const statuses = [
      await upgradeStatus(runtime.wsUrl),
      await upgradeStatus(runtime.wsUrl, { token: 'not-a-jwt' }),
      await upgradeStatus(runtime.wsUrl, { token: expired }),
      await upgradeStatus(runtime.wsUrl, { token: forged }),
    ];

    // Assess
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(await connectionIdsOf(mallory)).toEqual([]);
    const { Items } = await runtime.documentClient.send(
      new ScanCommand({ TableName: runtime.tableNames.ROOMS_TABLE, FilterExpression: 'userId = :u', ExpressionAttributeValues: { ':u': mallory } }),
    );
    expect(Items).toEqual([]);
  });

  it('recovers edits and deletes of older messages made while a client library socket was offline', async () => {
    // Prepare: bob's client library socket sees three messages live (sent idempotently, so marker rows exist).
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const send = async (content: string): Promise<string> =>
      (await api(alice, 'POST', `/chats/${chatId}/messages`, { content, clientMessageId: randomUUID() })).json.messageId as string;
    const client: ChatSocket = connectClient(runtime.wsUrl, {
      WebSocket,
      auth: async () => ({ token: await runtime.token(bob) }),
      httpUrl: runtime.httpUrl,
    });
    const events: string[] = [];
    try {
      client.on('message:new', (m, meta) => events.push(`new ${m.content}${meta.recovered ? ' (recovered)' : ''}`));
      client.on('message:edited', (m, meta) => events.push(`edited ${m.content}${meta.recovered ? ' (recovered)' : ''}`));
      client.on('message:deleted', (m, meta) => events.push(`deleted ${m.messageId}${meta.recovered ? ' (recovered)' : ''}`));
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      const [first, second, third] = [await send('one'), await send('two'), await send('three')];
      await waitFor(() => events.length === 3);
      client.disconnect();

      // Act: while bob is offline, alice edits the first, deletes the second and sends a fourth; bob comes back.
      await api(alice, 'PATCH', `/chats/${chatId}/messages/${first}`, { content: 'one, edited' });
      await api(alice, 'DELETE', `/chats/${chatId}/messages/${second}`);
      await send('four');
      await runtime.settle();
      client.connect();
      await waitFor(() => events.length === 6);

      // Assess: in position order, once each.
      expect(third).toEqual(expect.any(String));
      expect(events).toEqual(['new one', 'new two', 'new three', 'edited one, edited (recovered)', `deleted ${second} (recovered)`, 'new four (recovered)']);
    } finally {
      client.disconnect();
    }
  });
});

describe('Local runtime: abuse guards', () => {
  it('refuses a flooding sender with 429 after the limit, over HTTP and the WebSocket, and leaves another participant unaffected', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs] = [await connect(alice), await connect(bob)];

    // Act: the whole limit at once, then one more over HTTP and one over the WebSocket.
    const accepted: ApiResponse[] = [];
    for (let i = 0; i < MESSAGE_RATE_LIMIT; i++) accepted.push(await api(alice, 'POST', `/chats/${chatId}/messages`, { content: `flood ${i}` }));
    const refused = await fetch(`${runtime.httpUrl}/chats/${chatId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await runtime.token(alice)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'one too many' }),
    });
    aliceWs.send({ action: 'message:send', data: { chatId, content: 'one too many, again' }, ackId: 'flood' });
    const refusedAck = await aliceWs.nextEvent((frame: Frame) => frame?.event === 'ack' && frame.ackId === 'flood');
    const fromBob = await api(bob, 'POST', `/chats/${chatId}/messages`, { content: 'still heard' });
    const bobHears = await bobWs.nextEvent(isEvent('message:new', (d) => d.messageId === fromBob.json?.messageId));
    const history = await api(bob, 'GET', `/chats/${chatId}/messages?limit=100`);

    // Assess
    expect(accepted.map((res) => res.status)).toEqual(Array.from({ length: MESSAGE_RATE_LIMIT }, () => 201));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(MESSAGE_RATE_WINDOW_MS / 1000);
    expect(refusedAck).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(fromBob.status).toBe(201);
    expect(bobHears.data).toMatchObject({ senderId: bob, content: 'still heard' });
    const contents = (history.json.items as { content: string }[]).map((m) => m.content);
    expect(contents).toHaveLength(MESSAGE_RATE_LIMIT + 1);
    expect(contents).not.toContain('one too many');
    expect(contents).not.toContain('one too many, again');
  });

  it('refuses the connection over the per-user cap with 429 at the upgrade, leaving no rows, and lets it in once one closes', async () => {
    // Prepare
    const alice = user('alice');
    const token = await runtime.token(alice);
    const open: TestSocket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_USER; i++) open.push(await connect(alice));

    // Act
    const refusedStatus = await upgradeStatus(runtime.wsUrl, { token });
    const idsAtCap = await connectionIdsOf(alice);
    await open[0]!.close();
    await waitFor(async () => (await connectionIdsOf(alice)).length === MAX_CONNECTIONS_PER_USER - 1);
    const again = await connect(alice);

    // Assess
    expect(refusedStatus).toBe(429);
    expect(idsAtCap).toHaveLength(MAX_CONNECTIONS_PER_USER);
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('leaves no connection rows behind upgrades aborted right after the request or clients closed 0-20 ms after opening', async () => {
    // Prepare
    const alice = user('alice');
    const token = await runtime.token(alice);
    const { gateway } = runtime;
    const acceptedBefore = gateway.metrics.connectsAccepted;
    // Connections without a $disconnect that are not open: the earlier tests' vanished clients lose theirs on purpose.
    const unpaired = (): number => gateway.metrics.connectsAccepted - gateway.metrics.disconnectsFired - gateway.pool.size;
    const unpairedBefore = unpaired();

    // Act
    // A FIN after the request, or a close after opening: the server has seen every request once these resolve.
    await Promise.all([
      ...Array.from({ length: 5 }, () => abortedUpgrade(runtime.wsUrl, { token })),
      ...[1, 2, 5, 10, 20].map((ms) => abortedUpgrade(runtime.wsUrl, { token, closeAfterMs: ms })),
      ...[0, 1, 2, 5, 10, 15, 20].map((ms) => openAndCloseAfter(runtime.wsUrl, ms, 'open', { token })),
    ]);
    // Every connection accepted here and no longer open has had its $disconnect.
    await waitFor(async () => {
      await gateway.idle();
      return unpaired() === unpairedBefore;
    }, 15_000);
    const accepted = gateway.metrics.connectsAccepted - acceptedBefore;
    await runtime.settle();
    const rows = await connectionIdsOf(alice);
    const open: TestSocket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_USER; i++) open.push(await connect(alice));

    // Assess: every request reached $connect and was accepted, each was cleaned up, and the cap counts none of them.
    expect(accepted).toBe(17);
    expect(rows).toEqual([]);
    expect(open.every((socket) => socket.ws.readyState === WebSocket.OPEN)).toBe(true);
    await Promise.all(open.map((socket) => socket.close()));
  });
});
