import { describe, expect, it, vi } from 'vitest';
import { connected, open, server, sleep, useScriptedServer } from './harness';

useScriptedServer();

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
