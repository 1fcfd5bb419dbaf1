import { describe, expect, it, vi } from 'vitest';
import { connected, open, server, sleep, useScriptedServer } from './harness';

useScriptedServer();

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

  it('delivers a message event repeated at the same chat position only once, with its seq', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const contents: string[] = [];
    socket.on('message:new', (msg, meta) => contents.push(`${msg.content} @${meta.seq}`));
    const msg = { messageId: 'M1', chatId: 'c1', senderId: 'u2', content: 'hello', timestamp: 't' };

    // Act: the repeat has a new event id (a second post of the same write).
    conn.event('message:new', msg, 'e1', 1);
    conn.event('message:new', msg, 'e1-again', 1);
    conn.event('message:new', { ...msg, messageId: 'M2', content: 'next' }, 'e2', 2);
    await vi.waitFor(() => expect(contents).toContain('next @2'));

    // Assess
    expect(contents).toEqual(['hello @1', 'next @2']);
    expect(socket.position('c1')).toBe(2);
  });

  it('delivers an event without a chat position repeated with the same id only once', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const users: string[] = [];
    socket.on('user:online', (data) => users.push(data.userId));

    // Act
    conn.event('user:online', { userId: 'u2', at: 't' }, 'p1');
    conn.event('user:online', { userId: 'u2', at: 't' }, 'p1');
    conn.event('user:online', { userId: 'u3', at: 't' }, 'p2');
    await vi.waitFor(() => expect(users).toContain('u3'));

    // Assess
    expect(users).toEqual(['u2', 'u3']);
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

describe('Property: state', () => {
  it('goes idle, opening, open, waiting, open and idle again through a drop and a disconnect', async () => {
    // Prepare
    const socket = open({ autoConnect: false });
    const seen: string[] = [socket.state];
    socket.on('connect', () => seen.push(socket.state));
    socket.on('disconnect', () => seen.push(socket.state));

    // Act
    socket.connect();
    seen.push(socket.state);
    await connected(socket);
    (await server.connection(0)).ws.terminate();
    await server.connection(1);
    await vi.waitFor(() => expect(seen).toHaveLength(5));
    socket.disconnect();

    // Assess
    expect(seen).toEqual(['idle', 'opening', 'open', 'waiting', 'open', 'idle']);
    expect(socket.connected).toBe(false);
    expect(socket.active).toBe(false);
  });

  it('is idle, not active, in the disconnect listener when reconnection is off', async () => {
    // Prepare
    const socket = open({ reconnection: false });
    await connected(socket);
    const during: unknown[] = [];
    socket.on('disconnect', (reason) => during.push([reason, socket.state, socket.active, socket.id]));

    // Act
    (await server.connection(0)).ws.close(1001, 'Going away');
    await vi.waitFor(() => expect(during).toHaveLength(1));
    await sleep(60); // several reconnectionDelays

    // Assess
    expect(during).toEqual([['io server disconnect', 'idle', false, undefined]]);
    expect(server.handshakes).toHaveLength(1);
  });
});
