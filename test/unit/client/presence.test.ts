import { describe, expect, it } from 'vitest';
import { queryPresence } from '../../../client/src/presence';
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
