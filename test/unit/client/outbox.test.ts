import { describe, expect, it } from 'vitest';
import { ClientError } from '../../../client/src/index';
import type { Message } from '../../../protocol';
import { connected, open, server, sleep, useScriptedServer } from './harness';

useScriptedServer();

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
