import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { ChatSocket, ClientError, connect, type SocketOptions } from '../../../client/src/index';
import type { Message } from '../../../protocol';
import { ScriptedServer } from './scripted-server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: ScriptedServer;
const sockets: ChatSocket[] = [];

/** A socket on the scripted server with fast test timings. */
function open(options: SocketOptions = {}): ChatSocket {
  const socket = connect(server.url, {
    WebSocket,
    auth: { token: 'token-1' },
    reconnectionDelay: 10,
    reconnectionDelayMax: 40,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

function connected(socket: ChatSocket): Promise<void> {
  return new Promise((resolve) => (socket.connected ? resolve() : socket.once('connect', () => resolve())));
}

beforeEach(async () => {
  server = await ScriptedServer.start();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await server.close();
});

describe('Function: connect', () => {
  it('sends the token as a subprotocol next to lettera.v1', async () => {
    // Prepare
    const socket = open();

    // Act
    await connected(socket);

    // Assess
    const conn = await server.connection(0);
    expect(conn.protocols).toEqual(['lettera.v1', 'token-1']);
    expect(conn.url).toBe('/local');
    expect(socket.connected).toBe(true);
    expect(socket.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('puts the token in the query string when tokenTransport is query', async () => {
    // Prepare
    const socket = open({ tokenTransport: 'query', auth: { token: 'a.b.c' } });

    // Act
    await connected(socket);

    // Assess
    const conn = await server.connection(0);
    expect(conn.url).toBe('/local?token=a.b.c');
    expect(conn.protocols).toEqual(['lettera.v1']);
  });

  it('does not connect before connect() when autoConnect is false', async () => {
    // Prepare
    const socket = open({ autoConnect: false });
    await sleep(30);
    expect(server.handshakes).toHaveLength(0);

    // Act
    socket.connect();
    await connected(socket);

    // Assess
    expect(server.handshakes).toHaveLength(1);
  });

  it('emits connect_error and keeps trying when the upgrade is refused', async () => {
    // Prepare
    let refusals = 2;
    server.accept = () => (refusals-- > 0 ? 401 : true);
    const errors: Error[] = [];

    // Act
    const socket = open({ autoConnect: false });
    socket.on('connect_error', (err) => errors.push(err));
    socket.connect();
    await connected(socket);

    // Assess
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(Error);
    expect(server.handshakes).toHaveLength(3);
  });
});

describe('Method: auth', () => {
  it('calls an auth function again on every reconnect and uses the new token', async () => {
    // Prepare
    let n = 0;
    const auth = vi.fn(async () => ({ token: `token-${++n}` }));
    const socket = open({ auth });
    await connected(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));

    // Act
    (await server.connection(0)).ws.close(1001, 'Going away');
    const second = await server.connection(1);
    await vi.waitFor(() => expect(socket.connected).toBe(true));

    // Assess
    expect(auth).toHaveBeenCalledTimes(2);
    expect(second.protocols).toEqual(['lettera.v1', 'token-2']);
    expect(reasons).toEqual(['io server disconnect']);
  });

  it('accepts the socket.io callback form of auth', async () => {
    // Prepare
    const socket = open({ auth: (cb) => cb({ token: 'from-callback' }) });

    // Act
    await connected(socket);

    // Assess
    expect((await server.connection(0)).protocols).toEqual(['lettera.v1', 'from-callback']);
  });

  it('reports an auth function that throws as connect_error', async () => {
    // Prepare
    let calls = 0;
    const socket = open({
      autoConnect: false,
      auth: () => {
        if (calls++ === 0) throw new Error('refresh failed');
        return { token: 'ok' };
      },
    });
    const errors: string[] = [];
    socket.on('connect_error', (err) => errors.push(err.message));

    // Act
    socket.connect();
    await connected(socket);

    // Assess
    expect(errors).toEqual(['refresh failed']);
  });
});

describe('Method: reconnection', () => {
  it('grows the delay exponentially up to reconnectionDelayMax', async () => {
    // Prepare: jitter at its midpoint (random 0.5) leaves the base delays.
    server.accept = () => 503;
    const delays: number[] = [];
    const socket = open({ autoConnect: false, random: () => 0.5, reconnectionAttempts: 5 });
    socket.on('reconnect_attempt', (_attempt, delay) => delays.push(delay));
    const failed = new Promise<void>((resolve) => socket.once('reconnect_failed', () => resolve()));

    // Act
    socket.connect();
    await failed;

    // Assess
    expect(delays).toEqual([10, 20, 40, 40, 40]);
    expect(server.handshakes).toHaveLength(6);
    expect(socket.active).toBe(false);
  });

  it('keeps each jittered delay within randomizationFactor of its base', async () => {
    // Prepare: random 0 and ~1 are the two extremes of the ±50% jitter.
    server.accept = () => 503;
    const randoms = [0, 0.999, 0, 0.999];
    const delays: number[] = [];
    const socket = open({
      autoConnect: false,
      reconnectionDelay: 100,
      reconnectionDelayMax: 10_000,
      random: () => randoms.shift() ?? 0.5,
      reconnectionAttempts: 2,
    });
    socket.on('reconnect_attempt', (_attempt, delay) => delays.push(delay));
    const failed = new Promise<void>((resolve) => socket.once('reconnect_failed', () => resolve()));

    // Act
    socket.connect();
    await failed;

    // Assess
    expect(delays[0]).toBe(50);
    expect(delays[1]).toBeGreaterThanOrEqual(299);
    expect(delays[1]).toBeLessThanOrEqual(300);
  });

  it('does not reconnect after disconnect()', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    const conn = await server.connection(0);

    // Act
    socket.disconnect();
    await vi.waitFor(() => expect(conn.closed).toBe(true));
    await sleep(60); // several reconnectionDelays

    // Assess
    expect(reasons).toEqual(['io client disconnect']);
    expect(server.handshakes).toHaveLength(1);
    expect(socket.connected).toBe(false);
    expect(socket.active).toBe(false);
    expect(socket.id).toBeUndefined();
  });

  it('reports a dropped connection as transport close and reconnects', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));

    // Act
    (await server.connection(0)).ws.terminate();
    await server.connection(1);
    await vi.waitFor(() => expect(socket.connected).toBe(true));

    // Assess
    expect(reasons).toEqual(['transport close']);
  });
});

describe('Method: emit', () => {
  it('throws on a reserved event name', () => {
    // Prepare
    const socket = open({ autoConnect: false });

    // Act / Assess
    expect(() => socket.emit('connect' as never, {} as never)).toThrow('"connect" is a reserved event name');
    expect(() => socket.emit('disconnect' as never, {} as never)).toThrow(/reserved/);
  });

  it('delivers the ack to the callback as (null, data)', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const result = new Promise<unknown[]>((resolve) =>
      socket.emit('user:typing', { chatId: 'c1' }, (...args) => resolve(args)),
    );

    // Act
    const frame = await conn.frame((f) => f.action === 'user:typing');
    conn.ack(frame.ackId, { delivered: true });

    // Assess
    expect(frame).toEqual({ action: 'user:typing', data: { chatId: 'c1' }, ackId: 1 });
    expect(await result).toEqual([null, { delivered: true }]);
  });

  it('buffers emits while disconnected and sends them in order on connect', async () => {
    // Prepare
    const socket = open({ autoConnect: false });
    socket.emit('message:send', { chatId: 'c1', content: 'one' });
    socket.emit('message:send', { chatId: 'c1', content: 'two' });
    socket.emit('message:send', { chatId: 'c1', content: 'three' });

    // Act
    socket.connect();
    const conn = await server.connection(0);
    await conn.frame((f) => (f.data as { content: string }).content === 'three');

    // Assess
    expect(conn.frames.map((f) => (f.data as { content: string }).content)).toEqual(['one', 'two', 'three']);
  });

  it('buffers emits made after the connection dropped until the reconnect', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    (await server.connection(0)).ws.terminate();
    await dropped;

    // Act
    socket.emit('message:send', { chatId: 'c1', content: 'a' });
    socket.emit('message:send', { chatId: 'c1', content: 'b' });
    const conn = await server.connection(1);
    await conn.frame((f) => (f.data as { content: string }).content === 'b');

    // Assess
    expect(conn.frames.map((f) => (f.data as { content: string }).content)).toEqual(['a', 'b']);
  });
});

describe('Method: emitWithAck', () => {
  it('resolves with the ack data', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const stored: Message = { messageId: 'M1', chatId: 'c1', senderId: 'u1', content: 'hi', timestamp: '2026-01-01T00:00:00.000Z' };

    // Act
    const pending = socket.emitWithAck('message:send', { chatId: 'c1', content: 'hi' });
    conn.ack((await conn.frame()).ackId, stored);

    // Assess
    await expect(pending).resolves.toEqual(stored);
  });

  it('rejects with a ClientError carrying the server code', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    const pending = socket.emitWithAck('message:delete', { chatId: 'c1', messageId: 'M1' });
    const frame = await conn.frame();
    conn.send({ event: 'ack', ackId: frame.ackId, error: { code: 'FORBIDDEN', message: 'not the sender' } });

    // Assess
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', message: 'not the sender' });
  });

  it('rejects with DISCONNECTED when the connection drops before the ack', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const pending = socket.emitWithAck('message:send', { chatId: 'c1', content: 'x' });
    await conn.frame();

    // Act
    conn.ws.terminate();

    // Assess
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});

describe('Method: timeout', () => {
  it('calls the ack with a TIMEOUT error when no ack comes', async () => {
    // Prepare
    const socket = open();
    await connected(socket);

    // Act
    const err = await new Promise<unknown>((resolve) =>
      socket.timeout(30).emit('message:send', { chatId: 'c1', content: 'x' }, (e) => resolve(e)),
    );

    // Assess
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
  });

  it('rejects emitWithAck with TIMEOUT and ignores a late ack', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    const pending = socket.timeout(30).emitWithAck('message:send', { chatId: 'c1', content: 'x' });
    const frame = await conn.frame();
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT' });
    conn.ack(frame.ackId, { late: true });
    await sleep(20);

    // Assess
    expect(socket.connected).toBe(true);
  });

  it('drops a buffered emit whose ack timed out', async () => {
    // Prepare
    const socket = open({ autoConnect: false });
    const err = new Promise<unknown>((resolve) =>
      socket.timeout(10).emit('message:send', { chatId: 'c1', content: 'stale' }, (e) => resolve(e)),
    );
    socket.emit('message:send', { chatId: 'c1', content: 'fresh' });
    await err;

    // Act
    socket.connect();
    const conn = await server.connection(0);
    await conn.frame();

    // Assess
    expect(conn.frames.map((f) => (f.data as { content: string }).content)).toEqual(['fresh']);
  });
});

describe('Method: on', () => {
  it('delivers server events with their id and returns an unsubscribe function', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const seen: unknown[] = [];
    const off = socket.on('user:online', (data, meta) => seen.push([data, meta.id]));

    // Act
    conn.event('user:online', { userId: 'u2', at: 't1' }, 'e1');
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    off();
    conn.event('user:online', { userId: 'u3', at: 't2' }, 'e2');
    await sleep(20);

    // Assess
    expect(seen).toEqual([[{ userId: 'u2', at: 't1' }, 'e1']]);
  });

  it('delivers an event repeated with the same id only once', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const contents: string[] = [];
    socket.on('message:new', (msg) => contents.push(msg.content));
    const msg = { messageId: 'M1', chatId: 'c1', senderId: 'u2', content: 'hello', timestamp: 't' };

    // Act
    conn.event('message:new', msg, 'M1');
    conn.event('message:new', msg, 'M1');
    conn.event('message:new', { ...msg, messageId: 'M2', content: 'next' }, 'M2');
    await vi.waitFor(() => expect(contents).toContain('next'));

    // Assess
    expect(contents).toEqual(['hello', 'next']);
  });

  it('emits server error frames as error events', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const errors: unknown[] = [];
    socket.on('error', (data) => errors.push(data));

    // Act
    conn.send({ event: 'error', data: { code: 'BAD_REQUEST', message: 'invalid JSON' } });

    // Assess
    await vi.waitFor(() => expect(errors).toEqual([{ code: 'BAD_REQUEST', message: 'invalid JSON' }]));
  });

  it('calls a once listener a single time', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const listener = vi.fn();
    socket.once('user:offline', listener);

    // Act
    conn.event('user:offline', { userId: 'u2', at: 't1' }, 'e1');
    conn.event('user:offline', { userId: 'u2', at: 't2' }, 'e2');
    await sleep(30);

    // Assess
    expect(listener).toHaveBeenCalledTimes(1);
  });
});

describe('Method: keepalive', () => {
  it('sends a ping action with a ping: ackId and swallows its ack', async () => {
    // Prepare
    const socket = open({ keepaliveInterval: 20 });
    await connected(socket);
    const conn = await server.connection(0);
    const errors = vi.fn();
    socket.on('error', errors);

    // Act
    const ping = await conn.frame((f) => f.action === 'ping');
    conn.ack(ping.ackId, {});
    conn.send({ event: 'pong' });
    await sleep(20);

    // Assess
    expect(ping).toEqual({ action: 'ping', ackId: 'ping:1' });
    expect(errors).not.toHaveBeenCalled();
    expect(socket.connected).toBe(true);
  });
});

describe('Method: renewal before the 2-hour cap', () => {
  it('opens the new connection before closing the old one and loses or repeats nothing', async () => {
    // Prepare
    let n = 0;
    const socket = open({ maxConnectionAge: 150, connectionOverlap: 50, auth: () => ({ token: `t${++n}` }) });
    await connected(socket);
    const first = await server.connection(0);
    const disconnects = vi.fn();
    socket.on('disconnect', disconnects);
    const contents: string[] = [];
    socket.on('message:new', (msg) => contents.push(msg.content));
    const msg = (id: string) => ({ messageId: id, chatId: 'c1', senderId: 'u2', content: id, timestamp: 't' });

    // Act: during the overlap both connections get the same broadcast.
    const second = await server.connection(1);
    expect(first.closed).toBe(false);
    first.event('message:new', msg('M1'), 'M1');
    second.event('message:new', msg('M1'), 'M1');
    await vi.waitFor(() => expect(first.closed).toBe(true));
    socket.emit('message:send', { chatId: 'c1', content: 'after' });
    second.event('message:new', msg('M2'), 'M2');
    await vi.waitFor(() => expect(contents).toContain('M2'));

    // Assess
    expect(contents).toEqual(['M1', 'M2']);
    expect(second.protocols).toEqual(['lettera.v1', 't2']);
    expect(disconnects).not.toHaveBeenCalled();
    expect(socket.connected).toBe(true);
    // Later renewals may have happened meanwhile; the send went out on a newer connection.
    await vi.waitFor(() => expect(server.connections.slice(1).flatMap((c) => c.frames).map((f) => f.action)).toContain('message:send'));
    expect(first.frames.filter((f) => f.action === 'message:send')).toHaveLength(0);
  });
});

describe('Method: typing', () => {
  it('throttles user:typing and sends user:stop-typing once on stopTyping', async () => {
    // Prepare
    let now = 1_000;
    const socket = open({ now: () => now, typingThrottle: 2000, typingIdle: 60_000 });
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    socket.typing('c1');
    socket.typing('c1');
    now += 1999;
    socket.typing('c1');
    now += 1;
    socket.typing('c1');
    socket.stopTyping('c1');
    socket.stopTyping('c1');
    socket.emit('user:typing', { chatId: 'end-marker' });
    await conn.frame((f) => (f.data as { chatId: string }).chatId === 'end-marker');

    // Assess
    expect(conn.frames.slice(0, -1)).toEqual([
      { action: 'user:typing', data: { chatId: 'c1' } },
      { action: 'user:typing', data: { chatId: 'c1' } },
      { action: 'user:stop-typing', data: { chatId: 'c1' } },
    ]);
  });

  it('sends user:stop-typing by itself after typingIdle without keystrokes', async () => {
    // Prepare
    const socket = open({ typingIdle: 20 });
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    socket.typing('c1');
    const stop = await conn.frame((f) => f.action === 'user:stop-typing');

    // Assess
    expect(stop).toEqual({ action: 'user:stop-typing', data: { chatId: 'c1' } });
    expect(conn.frames.map((f) => f.action)).toEqual(['user:typing', 'user:stop-typing']);
  });

  it('drops typing while disconnected instead of buffering it', async () => {
    // Prepare
    const socket = open({ autoConnect: false });
    socket.typing('c1');
    socket.stopTyping('c1');
    socket.emit('message:send', { chatId: 'c1', content: 'buffered' });

    // Act
    socket.connect();
    const conn = await server.connection(0);
    await conn.frame();

    // Assess
    expect(conn.frames.map((f) => f.action)).toEqual(['message:send']);
  });

  it('expires a received typing indicator with a local user:stop-typing', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const stops: unknown[] = [];
    socket.on('user:stop-typing', (data, meta) => stops.push({ data, local: meta.local }));

    // Act
    conn.event('user:typing', { chatId: 'c1', userId: 'u2', isTyping: true, expiresInMs: 20 }, 't1');

    // Assess
    await vi.waitFor(() =>
      expect(stops).toEqual([{ data: { chatId: 'c1', userId: 'u2', isTyping: false, expiresInMs: 0 }, local: true }]),
    );
  });

  it('cancels the local expiry when the real user:stop-typing arrives', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const stops: unknown[] = [];
    socket.on('user:stop-typing', (_data, meta) => stops.push(meta.local ?? false));

    // Act
    conn.event('user:typing', { chatId: 'c1', userId: 'u2', isTyping: true, expiresInMs: 40 }, 't1');
    conn.event('user:stop-typing', { chatId: 'c1', userId: 'u2', isTyping: false, expiresInMs: 0 }, 't2');
    await vi.waitFor(() => expect(stops).toHaveLength(1));
    await sleep(80);

    // Assess
    expect(stops).toEqual([false]);
  });

  it('restarts the expiry when the indicator is refreshed', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const stops: unknown[] = [];
    socket.on('user:stop-typing', (_data, meta) => stops.push(meta.local));
    const typing = { chatId: 'c1', userId: 'u2', isTyping: true, expiresInMs: 60 };

    // Act
    conn.event('user:typing', typing, 't1');
    conn.event('user:typing', typing, 't2');
    conn.event('user:typing', typing, 't3');
    await vi.waitFor(() => expect(stops).toHaveLength(1));
    await sleep(100);

    // Assess: one expiry for the three refreshes.
    expect(stops).toEqual([true]);
  });
});

describe('Method: recovery', () => {
  let http: Server;
  let httpUrl: string;
  let history: Message[];
  /** false: a server that predates `changedAfter` (ignores it, items without changeId). */
  let changesSupported: boolean;
  const requests: { url: string; authorization?: string }[] = [];
  const PAGE = 2;
  /** A 26-character (ULID-shaped) id that sorts like `prefix`. */
  const U = (prefix: string): string => prefix.padEnd(26, '0');

  const message = (id: string, extra: Partial<Message> = {}): Message => ({
    messageId: id,
    chatId: 'c1',
    senderId: 'u2',
    content: `content ${id}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    ...extra,
  });

  beforeEach(async () => {
    requests.length = 0;
    history = [];
    changesSupported = true;
    // A tiny history endpoint: GET /chats/{chatId}/messages?after= or ?changedAfter=, pages of PAGE with `next`.
    http = createServer((req, res) => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const url = new URL(req.url ?? '/', 'http://x');
      const match = /^\/chats\/([^/]+)\/messages$/.exec(url.pathname);
      if (!match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no"}}');
        return;
      }
      if (match[1] === 'forbidden') {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"FORBIDDEN","message":"not a participant"}}');
        return;
      }
      const changedAfter = url.searchParams.get('changedAfter');
      const after = url.searchParams.get('after') ?? '';
      const chat = history.filter((m) => m.chatId === match[1]).map((m) => ({ ...m, changeId: m.changeId ?? m.messageId }));
      const rest =
        changesSupported && changedAfter !== null
          ? chat.filter((m) => m.changeId > changedAfter).sort((a, b) => (a.changeId < b.changeId ? -1 : 1))
          : chat.filter((m) => m.messageId > after).map((m) => (changesSupported ? m : { ...m, changeId: undefined }));
      const items = rest.slice(0, PAGE);
      const body = rest.length > PAGE ? { items, next: 'opaque-cursor' } : { items };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('fetches what a chat missed from a server without changedAfter and delivers it in order, once', async () => {
    // Prepare
    changesSupported = false;
    const socket = open({ httpUrl, auth: { token: 'jwt-1' } });
    await connected(socket);
    const first = await server.connection(0);
    const events: string[] = [];
    const recoveredFlags: boolean[] = [];
    socket.on('message:new', (m, meta) => {
      events.push(`new ${m.messageId}`);
      recoveredFlags.push(meta.recovered ?? false);
    });
    socket.on('message:edited', (m) => events.push(`edited ${m.messageId} ${m.content}`));
    socket.on('message:deleted', (m) => events.push(`deleted ${m.messageId} by ${m.deletedBy}`));
    first.event('message:new', message('01A'), '01A');
    await vi.waitFor(() => expect(events).toHaveLength(1));
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    first.ws.terminate();
    await dropped;
    history = [
      message('01A'),
      message('01B'),
      message('01C', { content: 'fixed', editedAt: '2026-01-01T00:01:00.000Z' }),
      message('01D', { content: '', deletedAt: '2026-01-01T00:02:00.000Z' }),
    ];

    // Act
    const second = await server.connection(1);
    await vi.waitFor(() => expect(events).toHaveLength(5));
    second.event('message:new', message('01B'), '01B'); // the at-least-once repeat
    second.event('message:edited', { ...message('01C', { content: 'fixed' }), editedAt: '2026-01-01T00:01:00.000Z' }, 'change-9');
    second.event('message:new', message('01E'), '01E');
    await vi.waitFor(() => expect(events).toHaveLength(6));

    // Assess
    expect(events).toEqual([
      'new 01A',
      'new 01B',
      'new 01C',
      'edited 01C fixed',
      'deleted 01D by u2',
      'new 01E',
    ]);
    expect(recoveredFlags).toEqual([false, true, true, false]);
    // The changedAfter probe is answered without change ids: the client falls back to after.
    expect(requests.map((r) => r.url)).toEqual([
      '/chats/c1/messages?changedAfter=01A',
      '/chats/c1/messages?after=01A',
      '/chats/c1/messages?after=01C',
    ]);
    expect(requests.every((r) => r.authorization === 'Bearer jwt-1')).toBe(true);
  });

  it('delivers edits and deletes of older messages made while offline, in change order, once', async () => {
    // Prepare: three messages seen live, then offline.
    const socket = open({ httpUrl });
    await connected(socket);
    const first = await server.connection(0);
    const events: string[] = [];
    const recoveredFlags: boolean[] = [];
    socket.on('message:new', (m, meta) => {
      events.push(`new ${m.messageId}`);
      recoveredFlags.push(meta.recovered ?? false);
    });
    socket.on('message:edited', (m, meta) => {
      events.push(`edited ${m.messageId} ${m.content}`);
      recoveredFlags.push(meta.recovered ?? false);
    });
    socket.on('message:deleted', (m, meta) => {
      events.push(`deleted ${m.messageId}`);
      recoveredFlags.push(meta.recovered ?? false);
    });
    for (const id of [U('01A'), U('01B'), U('01C')]) first.event('message:new', message(id), id);
    await vi.waitFor(() => expect(events).toHaveLength(3));
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    first.ws.terminate();
    await dropped;
    // While offline: 01A edited (change 01D), 01E sent, 01B deleted (change 01F).
    const editedAt = '2026-01-01T00:01:00.000Z';
    const deletedAt = '2026-01-01T00:02:00.000Z';
    history = [
      message(U('01A'), { content: 'fixed', editedAt, changeId: U('01D') }),
      message(U('01B'), { content: '', deletedAt, changeId: U('01F') }),
      message(U('01C')),
      message(U('01E')),
    ];

    // Act
    const second = await server.connection(1);
    await vi.waitFor(() => expect(events).toHaveLength(6));
    // The at-least-once repeats of the same edit and delete, then something new.
    second.event('message:edited', { ...message(U('01A'), { content: 'fixed' }), editedAt }, U('01D'));
    second.event('message:deleted', { messageId: U('01B'), chatId: 'c1', deletedBy: 'u2', deletedAt }, U('01F'));
    second.event('message:edited', { ...message(U('01C'), { content: 'later' }), editedAt: '2026-01-01T00:03:00.000Z' }, U('01G'));
    await vi.waitFor(() => expect(events).toHaveLength(7));

    // Assess
    expect(events).toEqual([
      `new ${U('01A')}`,
      `new ${U('01B')}`,
      `new ${U('01C')}`,
      `edited ${U('01A')} fixed`,
      `new ${U('01E')}`,
      `deleted ${U('01B')}`,
      `edited ${U('01C')} later`,
    ]);
    expect(recoveredFlags).toEqual([false, false, false, true, true, true, false]);
    // Pages chained by the last item's changeId.
    expect(requests.map((r) => r.url)).toEqual([`/chats/c1/messages?changedAfter=${U('01C')}`, `/chats/c1/messages?changedAfter=${U('01E')}`]);

    // Act: offline again; the cursor is now the live edit's change id.
    requests.length = 0;
    second.ws.terminate();
    await server.connection(2);
    await vi.waitFor(() => expect(requests).toHaveLength(1));

    // Assess
    expect(requests[0]?.url).toBe(`/chats/c1/messages?changedAfter=${U('01G')}`);
  });

  it('holds live message events until the recovered ones are delivered', async () => {
    // Prepare
    const socket = open({ httpUrl });
    socket.trackChat('c1', '01A');
    await connected(socket);
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    (await server.connection(0)).ws.terminate();
    await dropped;
    history = [message('01B'), message('01C')];
    const ids: string[] = [];
    socket.on('message:new', (m) => ids.push(m.messageId));
    // The live event arrives as soon as the connection opens, before the history answers.
    socket.once('connect', () => void server.connection(1).then((c) => c.event('message:new', message('01D'), '01D')));

    // Act
    await vi.waitFor(() => expect(ids).toHaveLength(3));

    // Assess
    expect(ids).toEqual(['01B', '01C', '01D']);
  });

  it('reports a failed history request as recovery_error and still delivers live events', async () => {
    // Prepare
    const socket = open({ httpUrl, chats: ['forbidden'] });
    await connected(socket);
    const failures: unknown[] = [];
    socket.on('recovery_error', (err, chatId) => failures.push([(err as ClientError).code, chatId]));
    const ids: string[] = [];
    socket.on('message:new', (m) => ids.push(m.messageId));

    // Act
    (await server.connection(0)).ws.terminate();
    const second = await server.connection(1);
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    second.event('message:new', message('01Z'), '01Z');

    // Assess
    await vi.waitFor(() => expect(ids).toEqual(['01Z']));
    expect(failures).toEqual([['FORBIDDEN', 'forbidden']]);
  });
});

describe('Method: disconnect during the auth function', () => {
  it('opens one connection when connect() follows disconnect() while auth is pending', async () => {
    // Prepare
    let release: (() => void) | undefined;
    const socket = open({
      autoConnect: false,
      auth: () => new Promise((resolve) => (release = () => resolve({ token: 'slow' }))),
    });
    socket.connect();
    const firstRelease = release;

    // Act
    socket.disconnect();
    socket.connect();
    firstRelease?.();
    release?.();
    await connected(socket);
    await sleep(30);

    // Assess
    expect(server.handshakes).toHaveLength(1);
  });
});
