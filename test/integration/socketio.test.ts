/**
 * The official socket.io-client against the local runtime, unchanged except
 * for its options (issue 5): handshake, auth, events, acks, mixed rooms with
 * the JSON protocol, recovery and server-side disconnect.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket, isEvent, startTestRuntime, waitFor, type LocalRuntime, type TestSocket, callHttpApi, createChat as createTestChat, type ApiResponse } from '../helpers/local-runtime';

let runtime: LocalRuntime;
const sockets: Socket[] = [];
const jsonSockets: TestSocket[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime({ schedules: false });
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await Promise.all(jsonSockets.map((s) => s.close()));
  await runtime?.stop();
});

const user = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

/** The exact options the README gives: the stage as path, no trailing slash, websocket only. */
function connectIo(auth: Record<string, unknown>, extra: Record<string, unknown> = {}): Socket {
  const url = new URL(runtime.wsUrl);
  const socket = io(url.origin, {
    path: url.pathname,
    addTrailingSlash: false,
    transports: ['websocket'],
    auth,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    ...extra,
  });
  sockets.push(socket);
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

function nextEvent<T = any>(socket: Socket, name: string, where: (...args: any[]) => boolean = () => true): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within 8 s`)), 8_000);
    const listener = (...args: T[]): void => {
      if (!where(...args)) return;
      clearTimeout(timer);
      socket.off(name, listener);
      resolve(args);
    };
    socket.on(name, listener);
  });
}

const api = (userId: string, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
  callHttpApi(runtime, userId, method, path, body);
const createChat = (owner: string, participants: string[]): Promise<string> => createTestChat(runtime, owner, participants, 'socket.io');

describe('socket.io-client on the local runtime', () => {
  it('connects with auth.token: open packet, then 40 with sid and pid', async () => {
    // Prepare
    const alice = user('alice');

    // Act
    const socket = connectIo({ token: await runtime.token(alice) });
    await connected(socket);

    // Assess
    expect(socket.id).toEqual(expect.any(String));
    expect(socket.recovered).toBe(false);
    expect(socket.io.engine.transport.name).toBe('websocket');
  });

  it('fires connect_error with the server message on a bad token, and on a missing one', async () => {
    // Prepare
    const bad = connectIo({ token: 'not-a-jwt' }, { reconnection: false });
    const missing = connectIo({}, { reconnection: false });

    // Act
    const [badError, missingError] = await Promise.all([
      new Promise<any>((resolve) => bad.once('connect_error', resolve)),
      new Promise<any>((resolve) => missing.once('connect_error', resolve)),
    ]);

    // Assess
    expect(badError.message).toBe('Invalid token');
    expect(badError.data).toEqual({ code: 'UNAUTHORIZED' });
    expect(missingError.message).toMatch(/token/);
    expect(bad.connected).toBe(false);
  });

  it('refuses other Engine.IO versions and transports at $connect with 400', async () => {
    // Act
    const statuses = await Promise.all(
      [{ EIO: '3', transport: 'websocket' }, { EIO: '4', transport: 'polling' }].map(async (query) => {
        try {
          const socket = await connectWebSocket(runtime.wsUrl, { query });
          await socket.close();
          return 200;
        } catch (err) {
          return (err as { statusCode?: number }).statusCode;
        }
      }),
    );

    // Assess
    expect(statuses).toEqual([400, 400]);
  });

  it('receives message:new with its offset, and user:typing from another user', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const bobIo = connectIo({ token: await runtime.token(bob) });
    const aliceIo = connectIo({ token: await runtime.token(alice) });
    await Promise.all([connected(bobIo), connected(aliceIo)]);

    // Act
    const message = nextEvent(bobIo, 'message:new', (data) => data.chatId === chatId);
    const sent = await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'hello over socket.io' });
    const [data, offset] = await message;
    const typing = nextEvent(bobIo, 'user:typing', (d) => d.chatId === chatId);
    const typingAck = await aliceIo.emitWithAck('user:typing', { chatId });
    const [typingData, ...typingRest] = await typing;

    // Assess
    expect(data).toMatchObject({ messageId: sent.json.messageId, chatId, senderId: alice, content: 'hello over socket.io' });
    expect(offset).toBe(`${chatId}:${sent.json.seq as number}`);
    expect(typingAck).toEqual({ data: { delivered: true } });
    expect(typingData).toMatchObject({ chatId, userId: alice, isTyping: true });
    expect(typingRest).toEqual([]);
  });

  it('emits with ack: the same results and errors as JSON acks', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const aliceIo = connectIo({ token: await runtime.token(alice) });
    await connected(aliceIo);

    // Act
    const sent = await aliceIo.emitWithAck('message:send', { chatId, content: 'acked' });
    const edited = await aliceIo.emitWithAck('message:edit', { chatId, messageId: sent.data.messageId, content: 'acked, edited' });
    const forbidden = await aliceIo.emitWithAck('message:send', { chatId: 'not-my-chat', content: 'x' });
    const invalid = await aliceIo.emitWithAck('message:send', { chatId });
    const unknown = await aliceIo.emitWithAck('room:join', {});

    // Assess
    expect(sent.data).toMatchObject({ chatId, senderId: alice, content: 'acked', messageId: expect.any(String) });
    expect(edited.data).toMatchObject({ content: 'acked, edited', editedAt: expect.any(String) });
    expect(forbidden).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(invalid.error.code).toBe('BAD_REQUEST');
    expect(unknown.error.code).toBe('UNKNOWN_ACTION');
    expect(aliceIo.connected).toBe(true);
  });

  it('serves a mixed room: a JSON client and a socket.io client see each other', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const aliceJson = await connectWebSocket(runtime.wsUrl, { token: await runtime.token(alice) });
    jsonSockets.push(aliceJson);
    const bobIo = connectIo({ token: await runtime.token(bob) });
    await connected(bobIo);

    // Act
    const toBob = nextEvent(bobIo, 'message:new', (d) => d.chatId === chatId);
    aliceJson.send({ action: 'message:send', data: { chatId, content: 'from JSON' }, ackId: 1 });
    const [fromJson] = await toBob;
    const sentByBob = await bobIo.emitWithAck('message:send', { chatId, content: 'from socket.io' });
    const toAlice = await aliceJson.nextEvent(isEvent('message:new', (d) => d.messageId === sentByBob.data.messageId), 8_000);

    // Assess
    expect(fromJson).toMatchObject({ chatId, senderId: alice, content: 'from JSON' });
    expect(toAlice.data).toMatchObject({ senderId: bob, content: 'from socket.io' });
    expect(toAlice).toMatchObject({ id: `${chatId}:${sentByBob.data.seq as number}`, seq: sentByBob.data.seq });
  });

  it('recovers after a lost connection: the missed messages are replayed in order and recovered is true', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const bobIo = connectIo({ token: await runtime.token(bob) });
    await connected(bobIo);
    const first = nextEvent(bobIo, 'message:new', (d) => d.chatId === chatId);
    await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'seen live' });
    await first;
    const received: string[] = [];
    bobIo.on('message:new', (data) => received.push(data.content));

    // Act: the server side drops the connection (as API Gateway's 2-hour cap or idle timeout would);
    // the client stays away while two messages are sent, then reconnects.
    bobIo.io.reconnection(false);
    const dropped = new Promise<string>((resolve) => bobIo.once('disconnect', resolve));
    runtime.gateway.pool.get(bobIo.id as string)?.socket.terminate();
    const reason = await dropped;
    await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'missed 1' });
    await api(alice, 'POST', `/chats/${chatId}/messages`, { content: 'missed 2' });
    await runtime.settle();
    const receivedWhileAway = [...received];
    bobIo.io.reconnection(true);
    bobIo.connect();
    await connected(bobIo);
    await waitFor(() => received.length >= 2, 8_000);

    // Assess
    expect(reason).toBe('transport close');
    expect(receivedWhileAway).toEqual([]);
    expect(bobIo.recovered).toBe(true);
    expect(received).toEqual(['missed 1', 'missed 2']);
  });

  it('disconnects from the server side with 41 when the token expires: io server disconnect, no reconnect', async () => {
    // Prepare
    const alice = user('alice');
    const chatId = await createChat(alice, [user('bob')]);
    const shortLived = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(runtime.jwtSecret));
    const socket = connectIo({ token: shortLived });
    await connected(socket);
    let reconnects = 0;
    socket.io.on('reconnect_attempt', () => (reconnects += 1));

    // Act: past exp plus the verifier's clock tolerance.
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    socket.emit('user:typing', { chatId });
    const reason = await disconnected;
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess
    expect(reason).toBe('io server disconnect');
    expect(socket.active).toBe(false);
    expect(reconnects).toBe(0);
  });

  it('keeps the connection alive with the heartbeat sweep: ping answered with pong', async () => {
    // Prepare
    const alice = user('alice');
    const socket = connectIo({ token: await runtime.token(alice) });
    await connected(socket);
    const ping = new Promise<void>((resolve) => socket.io.engine.once('ping', () => resolve()));

    // Act
    const result = (await runtime.runScheduled('heartbeat')) as { pinged: number };
    await ping;

    // Assess
    expect(result.pinged).toBeGreaterThanOrEqual(1);
    expect(socket.connected).toBe(true);
  });
});
