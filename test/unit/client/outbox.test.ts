import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientError, DEFAULTS } from '../../../client/src/index';
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
    const stored: Message = { messageId: 'M1', chatId: 'c1', senderId: 'u1', content: 'hi', timestamp: '2026-01-01T00:00:00.000Z', seq: 1 };

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
    const pending = socket.emitWithAck('message:edit', { chatId: 'c1', messageId: 'M1', content: 'x' });
    await conn.frame();

    // Act
    conn.ws.terminate();

    // Assess
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('gives a message:send without a clientMessageId one of its own, in the data object, and keeps one given', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const data: { chatId: string; content: string; clientMessageId?: string } = { chatId: 'c1', content: 'x' };

    // Act
    socket.emit('message:send', data);
    socket.emit('message:send', { chatId: 'c1', content: 'y', clientMessageId: 'mine' });
    socket.emit('message:edit', { chatId: 'c1', messageId: 'M1', content: 'z' });
    await conn.frame((f) => f.action === 'message:edit');

    // Assess
    expect(data.clientMessageId).toMatch(/^[0-9a-f]{16}$/);
    expect(conn.frames.map((f) => (f.data as { clientMessageId?: string }).clientMessageId)).toEqual([data.clientMessageId, 'mine', undefined]);
  });

  it('sends a message:send again, with the same clientMessageId, when its connection closed before the ack', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const first = await server.connection(0);
    const pending = socket.emitWithAck('message:send', { chatId: 'c1', content: 'x' });
    const sent = await first.frame();
    const later = socket.emitWithAck('message:send', { chatId: 'c1', content: 'later' }); // must stay after

    // Act
    first.ws.terminate();
    const second = await server.connection(1);
    const again = await second.frame();
    second.ack(again.ackId, { messageId: 'M1', seq: 1 });
    const laterAgain = await second.frame((f) => (f.data as { content: string }).content === 'later');
    second.ack(laterAgain.ackId, { messageId: 'M2', seq: 2 });

    // Assess
    await expect(pending).resolves.toEqual({ messageId: 'M1', seq: 1 });
    await expect(later).resolves.toEqual({ messageId: 'M2', seq: 2 });
    expect(again).toEqual(sent);
    expect(second.frames.map((f) => (f.data as { content: string }).content)).toEqual(['x', 'later']);
  });

  it('sends a message:send again on the replacement when the connection it went out on closes after the renewal overlap', async () => {
    // Prepare
    const socket = open({ maxConnectionAge: 150, connectionOverlap: 50 });
    await connected(socket);
    const first = await server.connection(0);
    const pending = socket.emitWithAck('message:send', { chatId: 'c1', content: 'x' });
    const sent = await first.frame();

    // Act: no ack on the first connection; it closes 50 ms after the replacement opened.
    const second = await server.connection(1);
    const again = await second.frame((f) => f.action === 'message:send');
    second.ack(again.ackId, { messageId: 'M1', seq: 1 });

    // Assess
    await expect(pending).resolves.toEqual({ messageId: 'M1', seq: 1 });
    expect(again).toEqual(sent);
    await vi.waitFor(() => expect(first.closed).toBe(true));
  });

  it("fails the oldest ack awaited on the connection with GATEWAY_ERROR on API Gateway's error frame", async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const oldest = socket.emitWithAck('message:send', { chatId: 'c1', content: 'slow' });
    const newer = socket.emitWithAck('message:send', { chatId: 'c1', content: 'fine' });
    const second = await conn.frame((f) => (f.data as { content: string }).content === 'fine');

    // Act: the frame API Gateway sends when an integration fails or passes 29 s, without an ack id.
    conn.send({ message: 'Internal server error', connectionId: 'abc=', requestId: 'r-1' });
    conn.ack(second.ackId, { messageId: 'M2', seq: 2 });

    // Assess
    const err = await oldest.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'GATEWAY_ERROR', message: 'Internal server error' });
    await expect(newer).resolves.toEqual({ messageId: 'M2', seq: 2 });
  });

  it('reports a gateway error frame as an error event when no ack is awaited', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const reported = new Promise<unknown>((resolve) => socket.once('error', resolve));

    // Act
    conn.send({ message: 'Forbidden', connectionId: 'abc=', requestId: 'r-2' });

    // Assess
    expect(await reported).toEqual({ code: 'GATEWAY_ERROR', message: 'Forbidden' });
  });
});

describe('Option: ackTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An emit on a socket that never connects, so only the ack timeout can settle it. */
  function unansweredEmit(ackTimeout?: number): { settled: unknown[] } {
    const socket = open({ autoConnect: false, ...(ackTimeout === undefined ? {} : { ackTimeout }) });
    const settled: unknown[] = [];
    socket.emit('message:send', { chatId: 'c1', content: 'x' }, (err) => settled.push(err?.code));
    return { settled };
  }

  it('fails an ack with TIMEOUT after 30 s by default, longer than the 29 s integration timeout', () => {
    // Prepare
    vi.useFakeTimers();
    const { settled } = unansweredEmit();

    // Act
    vi.advanceTimersByTime(29_999);
    const before = [...settled];
    vi.advanceTimersByTime(1);

    // Assess
    expect(DEFAULTS.ackTimeout).toBe(30_000);
    expect(before).toEqual([]);
    expect(settled).toEqual(['TIMEOUT']);
  });

  it('waits forever with ackTimeout: 0', () => {
    // Prepare
    vi.useFakeTimers();
    const { settled } = unansweredEmit(0);

    // Act
    vi.advanceTimersByTime(24 * 3600_000);

    // Assess
    expect(settled).toEqual([]);
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
