import { describe, expect, it } from 'vitest';
import type { ConnectionRow, PendingConnectionRow, RoomRow } from '../../../../lambdas/domain/ports';
import { createRoomJoiner, joinChatRoom, leaveChatRoom, openConnectionsOf, ROOM_JOIN_CONCURRENCY, type RoomJoinDeps } from '../../../../lambdas/domain/room-joins';

// The wall clock: leaves (and the joiner) judge expiry by Date.now(), so fixed dates would expire under the tests.
const NOW = Date.now();
const FUTURE = Math.floor(NOW / 1000) + 3600;
const PAST = Math.floor(NOW / 1000) - 60;

type Row = ConnectionRow | PendingConnectionRow;

/**
 * In-memory Connections (with its byUser index), Rooms and Memberships,
 * counting what the join asks for and how many lookups run at once.
 */
function world(options: { rows?: Row[]; members?: string[]; chatId?: string } = {}) {
  const connections = new Map((options.rows ?? []).map((row) => [row.connectionId, { ...row }]));
  const rooms = new Map<string, RoomRow>();
  const members = new Set(options.members ?? []);
  const calls = { ofUser: 0, getMany: 0, putAll: 0, addRoom: 0, inFlight: 0, maxInFlight: 0 };
  const deps: RoomJoinDeps = {
    connections: {
      async ofUser(userId) {
        calls.ofUser += 1;
        calls.inFlight += 1;
        calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        calls.inFlight -= 1;
        return [...connections.values()]
          .filter((row) => 'userId' in row && row.userId === userId)
          .map((row) => ({ connectionId: row.connectionId, protocol: row.protocol, expiresAt: row.expiresAt }));
      },
      async getMany(ids) {
        calls.getMany += 1;
        return ids.flatMap((id) => {
          const row = connections.get(id);
          return row === undefined ? [] : [{ ...row }];
        });
      },
      async addRoom(connectionId, room) {
        calls.addRoom += 1;
        const row = connections.get(connectionId);
        if (row === undefined || !('userId' in row)) return false;
        row.rooms = new Set([...(row.rooms ?? []), room]);
        return true;
      },
      async removeRoom(connectionId, room) {
        const row = connections.get(connectionId);
        if (row !== undefined && 'userId' in row) row.rooms?.delete(room);
      },
    },
    rooms: {
      async putAll(rows) {
        calls.putAll += 1;
        for (const row of rows) rooms.set(`${row.room}|${row.connectionId}`, { ...row });
      },
      async delete(room, connectionId) {
        rooms.delete(`${room}|${connectionId}`);
      },
    },
    memberships: {
      async membersAmong(_chatId, userIds) {
        return new Set(userIds.filter((userId) => members.has(userId)));
      },
    },
  };
  const roomOfChat = (chatId: string) => [...rooms.values()].filter((row) => row.room === `chat:${chatId}`);
  return { deps, connections, rooms, members, calls, roomOfChat };
}

const open = (connectionId: string, userId: string, extra: Partial<ConnectionRow> = {}): ConnectionRow => ({
  connectionId,
  userId,
  connectedAt: NOW - 1000,
  expiresAt: FUTURE,
  protocol: 'lettera.v1',
  tokenExpiresAt: FUTURE,
  ...extra,
});

describe('Function: openConnectionsOf', () => {
  it('lists the users\' open connections, leaving out rows past their TTL, gone, pending or someone else\'s', async () => {
    // Prepare
    const { deps } = world({
      rows: [open('a1', 'alice'), open('a2', 'alice', { protocol: 'socket.io' }), open('a-old', 'alice', { expiresAt: PAST }), open('b1', 'bob')],
    });
    // A row that changed hands between the index and the read (the index is eventually consistent).
    const getMany = deps.connections.getMany;
    deps.connections.getMany = async (ids) => (await getMany(ids)).map((row) => (row.connectionId === 'a2' ? { ...row, userId: 'mallory' } : row));

    // Act
    const rows = await openConnectionsOf(deps, ['alice', 'alice'], NOW);

    // Assess
    expect(rows.map((row) => row.connectionId)).toEqual(['a1']);
  });
});

describe('Function: joinChatRoom', () => {
  it('writes each open connection\'s room row as $connect does (protocol, TTL, token expiry) and adds the room to its rooms set', async () => {
    // Prepare
    const { deps, roomOfChat, connections } = world({ rows: [open('a1', 'alice'), open('b1', 'bob', { protocol: 'socket.io', tokenExpiresAt: FUTURE - 5 })], members: ['alice', 'bob'] });

    // Act
    const result = await joinChatRoom(deps, 'c1', ['alice', 'bob'], NOW);

    // Assess
    expect(result).toEqual({ connections: 2 });
    expect(roomOfChat('c1')).toEqual([
      { room: 'chat:c1', connectionId: 'a1', userId: 'alice', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: FUTURE },
      { room: 'chat:c1', connectionId: 'b1', userId: 'bob', protocol: 'socket.io', expiresAt: FUTURE, tokenExpiresAt: FUTURE - 5 },
    ]);
    expect([...((connections.get('a1') as ConnectionRow).rooms ?? [])]).toEqual(['chat:c1']);
  });

  it('joins no connection whose token has expired', async () => {
    // Prepare
    const { deps, roomOfChat } = world({ rows: [open('a1', 'alice', { tokenExpiresAt: PAST })], members: ['alice'] });

    // Act
    const result = await joinChatRoom(deps, 'c1', ['alice'], NOW);

    // Assess
    expect(result).toEqual({ connections: 0 });
    expect(roomOfChat('c1')).toEqual([]);
  });

  it('deletes the room row again for a connection removed between the read and the rooms-set update', async () => {
    // Prepare
    const { deps, roomOfChat, connections } = world({ rows: [open('a1', 'alice'), open('a2', 'alice')], members: ['alice'] });
    const putAll = deps.rooms.putAll;
    deps.rooms.putAll = async (rows) => {
      await putAll(rows);
      connections.delete('a2'); // its $disconnect ran meanwhile
    };

    // Act
    const result = await joinChatRoom(deps, 'c1', ['alice'], NOW);

    // Assess
    expect(result).toEqual({ connections: 1 });
    expect(roomOfChat('c1').map((row) => row.connectionId)).toEqual(['a1']);
  });

  it('takes a user removed from the chat meanwhile out again (their membership is read after the rows are written)', async () => {
    // Prepare
    const { deps, roomOfChat, connections } = world({ rows: [open('a1', 'alice'), open('b1', 'bob')], members: ['alice'] });

    // Act
    const result = await joinChatRoom(deps, 'c1', ['alice', 'bob'], NOW);

    // Assess
    expect(result).toEqual({ connections: 1 });
    expect(roomOfChat('c1').map((row) => row.connectionId)).toEqual(['a1']);
    expect([...((connections.get('b1') as ConnectionRow).rooms ?? [])]).toEqual([]);
  });

  it('joins 200 users in one step: lookups at most ROOM_JOIN_CONCURRENCY at once, one read of the rows and one write call', async () => {
    // Prepare
    const users = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const { deps, roomOfChat, calls } = world({ rows: users.map((userId) => open(`${userId}-1`, userId)), members: users });

    // Act
    const result = await joinChatRoom(deps, 'c1', users, NOW);

    // Assess
    expect(result).toEqual({ connections: 200 });
    expect(roomOfChat('c1')).toHaveLength(200);
    expect(calls.ofUser).toBe(200);
    expect(calls.maxInFlight).toBe(ROOM_JOIN_CONCURRENCY);
    expect([calls.getMany, calls.putAll]).toEqual([1, 1]);
  });

  it('reads nothing more and writes nothing for users without an open connection', async () => {
    // Prepare
    const { deps, calls } = world({ members: ['alice'] });

    // Act
    const result = await joinChatRoom(deps, 'c1', ['alice'], NOW);

    // Assess
    expect(result).toEqual({ connections: 0 });
    expect([calls.getMany, calls.putAll, calls.addRoom]).toEqual([0, 0, 0]);
  });
});

describe('Function: leaveChatRoom', () => {
  it('takes every connection of the users out of the room and their rooms sets, expired tokens included, sparing the others', async () => {
    // Prepare
    const { deps, roomOfChat, connections } = world({ rows: [open('a1', 'alice'), open('b1', 'bob', { tokenExpiresAt: PAST }), open('c1', 'carol')], members: ['alice', 'bob', 'carol'] });
    await joinChatRoom(deps, 'c1', ['alice', 'carol'], NOW);
    await deps.rooms.putAll([{ room: 'chat:c1', connectionId: 'b1', userId: 'bob', protocol: 'lettera.v1', expiresAt: FUTURE, tokenExpiresAt: PAST }]);

    // Act
    const result = await leaveChatRoom(deps, 'c1', ['alice', 'bob']);

    // Assess
    expect(result).toEqual({ connections: 2 });
    expect(roomOfChat('c1').map((row) => row.connectionId)).toEqual(['c1']);
    expect([...((connections.get('a1') as ConnectionRow).rooms ?? [])]).toEqual([]);
  });
});

describe('Function: createRoomJoiner', () => {
  it('joins and leaves through the same steps', async () => {
    // Prepare
    const { deps, roomOfChat } = world({ rows: [open('a1', 'alice')], members: ['alice'] });
    const joiner = createRoomJoiner(deps);

    // Act
    const joined = await joiner.join('c1', ['alice']);
    const inRoom = roomOfChat('c1').length;
    const left = await joiner.leave('c1', ['alice']);

    // Assess
    expect([joined, inRoom, left, roomOfChat('c1').length]).toEqual([{ connections: 1 }, 1, { connections: 1 }, 0]);
  });
});
