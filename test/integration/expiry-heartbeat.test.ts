/**
 * Issue 10, items 1 and 6 against the local runtime with real clients:
 * a connection whose token expires stops receiving and is closed (JSON:
 * TOKEN_EXPIRED error frame; Socket.IO: 41); a Socket.IO client that stops
 * answering pings is removed and goes offline; a client `41` keeps the
 * connection, which accepts a new CONNECT.
 *
 * The ping timeout is shortened (SOCKETIO_PING_TIMEOUT_MS, read by the
 * handlers at start) and the sweep is run by hand (`runScheduled`), so no
 * test waits for a schedule.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callHttpApi,
  connectWebSocket,
  createChat,
  isEvent,
  startTestRuntime,
  type Frame,
  type LocalRuntime,
  type TestSocket,
} from '../helpers/local-runtime';

const PING_TIMEOUT_MS = 300;

let runtime: LocalRuntime;
const sockets: TestSocket[] = [];
const ioSockets: Socket[] = [];

beforeAll(async () => {
  const previous = process.env.SOCKETIO_PING_TIMEOUT_MS;
  process.env.SOCKETIO_PING_TIMEOUT_MS = String(PING_TIMEOUT_MS);
  try {
    runtime = await startTestRuntime({ schedules: false });
  } finally {
    if (previous === undefined) delete process.env.SOCKETIO_PING_TIMEOUT_MS;
    else process.env.SOCKETIO_PING_TIMEOUT_MS = previous;
  }
});
afterAll(async () => {
  for (const socket of ioSockets) socket.disconnect();
  await Promise.all(sockets.map((socket) => socket.close()));
  await runtime?.stop();
});

const user = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A token that expires `seconds` from now. */
async function shortToken(userId: string, seconds: number): Promise<{ token: string; exp: number }> {
  const exp = Math.floor(Date.now() / 1000) + seconds;
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setExpirationTime(exp).sign(new TextEncoder().encode(runtime.jwtSecret));
  return { token, exp };
}

/** Waits until the second after `exp` has begun: the token is then expired for the server. */
async function pastExp(exp: number): Promise<void> {
  const wait = (exp + 1) * 1000 - Date.now() + 50;
  if (wait > 0) await sleep(wait);
}

async function json(token: string): Promise<TestSocket> {
  const socket = await connectWebSocket(runtime.wsUrl, { token });
  sockets.push(socket);
  return socket;
}

/** A raw WebSocket speaking Engine.IO: it answers nothing on its own (no pong). */
async function rawEngineIo(token: string): Promise<TestSocket> {
  const socket = await connectWebSocket(runtime.wsUrl, { query: { EIO: '4', transport: 'websocket' } });
  sockets.push(socket);
  await socket.nextEvent((frame: Frame) => typeof frame === 'string' && frame.startsWith('0{'), 8_000);
  socket.send(`40${JSON.stringify({ token })}`);
  await socket.nextEvent((frame: Frame) => typeof frame === 'string' && frame.startsWith('40{'), 8_000);
  return socket;
}

function connectIo(token: string): Socket {
  const url = new URL(runtime.wsUrl);
  const socket = io(url.origin, { path: url.pathname, addTrailingSlash: false, transports: ['websocket'], auth: { token }, reconnection: false });
  ioSockets.push(socket);
  return socket;
}

const send = (userId: string, chatId: string, content: string) =>
  callHttpApi(runtime, userId, 'POST', `/chats/${chatId}/messages`, { content });

describe('token expiry while connected', () => {
  it('JSON: after exp the connection gets TOKEN_EXPIRED and nothing more, and is closed; the others still get the broadcast', async () => {
    // Prepare
    const alice = user('alice');
    const bob = user('bob');
    const chatId = await createChat(runtime, bob, [alice]);
    const { token, exp } = await shortToken(alice, 2);
    const aliceWs = await json(token);
    const bobWs = await json(await runtime.token(bob));

    // Act
    await pastExp(exp);
    expect((await send(bob, chatId, 'after exp')).status).toBe(201);
    await bobWs.nextEvent(isEvent('message:new', (data) => data.content === 'after exp'), 8_000);
    await aliceWs.closed;
    expect((await send(bob, chatId, 'after close')).status).toBe(201);
    await bobWs.nextEvent(isEvent('message:new', (data) => data.content === 'after close'), 8_000);

    // Assess
    expect(aliceWs.received.filter(isEvent('message:new'))).toEqual([]);
    expect(aliceWs.received.at(-1)).toEqual({ event: 'error', data: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' } });
  });

  it('JSON: ping does not keep an expired connection open: the sweep closes it with TOKEN_EXPIRED', async () => {
    // Prepare
    const carol = user('carol');
    const { token, exp } = await shortToken(carol, 2);
    const carolWs = await json(token);
    await pastExp(exp);
    carolWs.send({ action: 'ping', ackId: 'ping:1' });
    await carolWs.nextEvent((frame: Frame) => frame?.event === 'ack' && frame.ackId === 'ping:1', 8_000);

    // Act
    const result = (await runtime.runScheduled('heartbeat')) as { expired: number };
    await carolWs.closed;

    // Assess
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect(carolWs.received.at(-1)).toEqual({ event: 'error', data: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' } });
  });

  it('Socket.IO: after exp a broadcast is not delivered; the client gets 41 (io server disconnect) instead', async () => {
    // Prepare
    const dave = user('dave');
    const erin = user('erin');
    const chatId = await createChat(runtime, erin, [dave]);
    const { token, exp } = await shortToken(dave, 2);
    const socket = connectIo(token);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const received: string[] = [];
    socket.on('message:new', (message: { content: string }) => received.push(message.content));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

    // Act
    await pastExp(exp);
    expect((await send(erin, chatId, 'after exp')).status).toBe(201);
    const reason = await disconnected;

    // Assess
    expect(reason).toBe('io server disconnect');
    expect(received).toEqual([]);
  });
});

describe('Socket.IO heartbeat', () => {
  it('removes a client that does not answer a ping within pingTimeout, and its user goes offline; a client that answers stays', async () => {
    // Prepare
    const ghost = user('ghost');
    const frank = user('frank');
    const healthy = user('healthy');
    await createChat(runtime, frank, [ghost, healthy]);
    const frankWs = await json(await runtime.token(frank));
    const ghostWs = await rawEngineIo(await runtime.token(ghost));
    await frankWs.nextEvent(isEvent('user:online', (data) => data.userId === ghost), 8_000);
    const answering = connectIo(await runtime.token(healthy));
    await new Promise<void>((resolve, reject) => {
      answering.once('connect', () => resolve());
      answering.once('connect_error', reject);
    });

    // Act: the first sweep pings everyone; the ghost never answers; the next sweep, past pingTimeout, judges.
    await runtime.runScheduled('heartbeat');
    await ghostWs.nextEvent((frame: Frame) => frame === 2, 8_000); // the ping `2` (parsed as JSON)
    await sleep(PING_TIMEOUT_MS + 200);
    const result = (await runtime.runScheduled('heartbeat')) as { unresponsive: number };
    await ghostWs.closed;
    const offline = await frankWs.nextEvent(isEvent('user:offline', (data) => data.userId === ghost), 8_000);

    // Assess
    expect(result.unresponsive).toBeGreaterThanOrEqual(1);
    expect(offline.data.userId).toBe(ghost);
    expect(answering.connected).toBe(true);
  });

  it('keeps the connection on a client 41 (the user goes offline), and accepts a new CONNECT on it', async () => {
    // Prepare
    const gina = user('gina');
    const hank = user('hank');
    await createChat(runtime, hank, [gina]);
    const hankWs = await json(await runtime.token(hank));
    const ginaWs = await rawEngineIo(await runtime.token(gina));
    await hankWs.nextEvent(isEvent('user:online', (data) => data.userId === gina), 8_000);

    // Act
    ginaWs.send('41');
    await hankWs.nextEvent(isEvent('user:offline', (data) => data.userId === gina), 8_000);
    ginaWs.send(`40${JSON.stringify({ token: await runtime.token(gina) })}`);
    const reply = await ginaWs.nextEvent((frame: Frame) => typeof frame === 'string' && frame.startsWith('40{'), 8_000);
    const online = await hankWs.nextEvent(isEvent('user:online', (data) => data.userId === gina), 8_000);

    // Assess
    expect(JSON.parse((reply as string).slice(2))).toEqual({ sid: expect.any(String), pid: expect.any(String) });
    expect(online.data.userId).toBe(gina);
    expect(ginaWs.ws.readyState).toBe(ginaWs.ws.OPEN);
  });
});
