import { describe, expect, it } from 'vitest';
import { autoAway, queryPresence } from '../../../client/src/presence';
import { connected, open, server, useScriptedServer } from './harness';

useScriptedServer();

describe('Function: queryPresence', () => {
  it('asks presence:query in parts of 100 and answers one entry per user, in the order given', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);
    const userIds = Array.from({ length: 250 }, (_, i) => `u${i}`);

    // Act
    const pending = queryPresence(socket, [...userIds, 'u3']);
    await conn.frame(() => conn.frames.length >= 3);
    const frames = conn.frames.slice(0, 3);
    // Answered out of order: the result keeps the order asked.
    for (const frame of [...frames].reverse()) {
      const asked = (frame.data as { userIds: string[] }).userIds;
      conn.ack(frame.ackId, { users: asked.map((userId) => ({ userId, online: userId === 'u7' })) });
    }
    const users = await pending;

    // Assess
    expect(frames.map((frame) => frame.action)).toEqual(['presence:query', 'presence:query', 'presence:query']);
    expect(frames.map((frame) => (frame.data as { userIds: string[] }).userIds.length)).toEqual([100, 100, 50]);
    expect(users.map((user) => user.userId)).toEqual(userIds);
    expect(users.filter((user) => user.online)).toEqual([{ userId: 'u7', online: true }]);
  });

  it('rejects with the server\'s code when a part is refused', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    const pending = queryPresence(socket, ['bob', 'mallory']);
    const frame = await conn.frame();
    conn.send({ event: 'ack', ackId: frame.ackId, error: { code: 'FORBIDDEN', message: 'Presence can only be asked for users who share a chat with you' } });

    // Assess
    await expect(pending).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('sends nothing for an empty list', async () => {
    // Prepare
    const socket = open();
    await connected(socket);

    // Act
    const users = await queryPresence(socket, []);

    // Assess
    expect(users).toEqual([]);
  });
});

describe('Function: autoAway', () => {
  /** A stand-in for `document`: dispatches the activity events autoAway listens to. */
  const target = () => new EventTarget();
  const statusFrames = () => server.connections[0]?.frames.filter((frame) => frame.action === 'user:status') ?? [];
  const nthStatus = async (n: number) => {
    const conn = await server.connection(0);
    await conn.frame(() => statusFrames().length >= n);
    return statusFrames()[n - 1];
  };
  const ackAll = async () => {
    const conn = await server.connection(0);
    for (const frame of statusFrames()) conn.ack(frame.ackId, { ok: true });
  };

  it('sends the chosen status on connect, away after the idle time, and online again on activity', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const events = target();

    // Act
    const presence = autoAway(socket, { awayAfter: 50, target: events });
    const first = await nthStatus(1);
    const away = await nthStatus(2);
    events.dispatchEvent(new Event('keydown'));
    const back = await nthStatus(3);
    presence.stop();

    // Assess
    expect(first?.data).toEqual({ state: 'online' });
    expect(away?.data).toEqual({ state: 'away' });
    expect(back?.data).toEqual({ state: 'online' });
    expect(presence.status).toEqual({ state: 'online' });
  });

  it('keeps busy (and its text) when idle, and keeps the text through away', async () => {
    // Prepare
    const socket = open();
    await connected(socket);

    // Act: the text is chosen at once, before the idle time can run out.
    const presence = autoAway(socket, { awayAfter: 40, target: target() });
    presence.setStatus('online', 'On call duty');
    const withText = await nthStatus(2);
    const away = await nthStatus(3);
    presence.setStatus('busy', 'Focus');
    const busy = await nthStatus(4);
    presence.stop();

    // Assess
    expect(withText?.data).toEqual({ state: 'online', text: 'On call duty' });
    expect(away?.data).toEqual({ state: 'away', text: 'On call duty' });
    expect(busy?.data).toEqual({ state: 'busy', text: 'Focus' });
    expect(presence.status).toEqual({ state: 'busy', text: 'Focus' });
  });

  it('sends a change refused with RATE_LIMITED again a second later', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const presence = autoAway(socket, { awayAfter: 60_000, target: target() });
    const conn = await server.connection(0);
    const first = await nthStatus(1);

    // Act
    presence.setStatus('busy');
    const refused = await nthStatus(2);
    conn.ack(first?.ackId, { ok: true });
    conn.send({ event: 'ack', ackId: refused?.ackId, error: { code: 'RATE_LIMITED', message: 'At most one status change per 1000 ms' } });
    const retried = await nthStatus(3);
    await ackAll();
    presence.stop();

    // Assess
    expect(refused?.data).toEqual({ state: 'busy' });
    expect(retried?.data).toEqual({ state: 'busy' });
  });

  it('sends nothing after stop()', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const events = target();
    const presence = autoAway(socket, { awayAfter: 60_000, target: events });
    await nthStatus(1);

    // Act
    presence.stop();
    events.dispatchEvent(new Event('pointerdown'));
    presence.setStatus('busy');
    socket.emit('user:typing', { chatId: 'end-marker' });
    const conn = await server.connection(0);
    await conn.frame((frame) => frame.action === 'user:typing');

    // Assess
    expect(statusFrames()).toHaveLength(1);
  });

  it('sends the status again on every reconnect', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const presence = autoAway(socket, { awayAfter: 60_000, target: target() });
    await nthStatus(1);
    presence.setStatus('busy', 'Focus');
    await nthStatus(2);

    // Act
    (await server.connection(0)).ws.close();
    const second = await server.connection(1);
    const resent = await second.frame((frame) => frame.action === 'user:status');
    presence.stop();

    // Assess
    expect(resent.data).toEqual({ state: 'busy', text: 'Focus' });
  });
});
