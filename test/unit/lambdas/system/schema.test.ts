import { describe, expect, it } from 'vitest';
import { ENV } from '../../../../lambdas/commons/env';
import {
  allTables,
  connectionsTable,
  fanOutSources,
  membershipsTable,
  messagesTable,
  presenceTable,
  roomOf,
  roomsTable,
} from '../../../../lambdas/system/schema';

describe('Constant: roomOf', () => {
  it('names chat and user rooms with distinct prefixes', () => {
    // Act + Assess
    expect(roomOf.chat('c1')).toBe('chat:c1');
    expect(roomOf.user('alice')).toBe('user:alice');
    expect(roomOf.chat('x')).not.toBe(roomOf.user('x'));
  });
});

describe('Constant: allTables', () => {
  it('lists six tables with unique names and environment variables', () => {
    // Prepare
    const names = allTables.map((table) => table.name);
    const envVars = allTables.map((table) => table.envVar);

    // Assess
    expect(names).toEqual(['Connections', 'Rooms', 'Memberships', 'Messages', 'Presence', 'Users']);
    expect(new Set(envVars).size).toBe(allTables.length);
  });

  it('uses the same environment variable names the handlers read (commons/env.ts)', () => {
    // Assess
    expect(connectionsTable.envVar).toBe(ENV.connectionsTable);
    expect(roomsTable.envVar).toBe(ENV.roomsTable);
    expect(membershipsTable.envVar).toBe(ENV.membershipsTable);
    expect(messagesTable.envVar).toBe(ENV.messagesTable);
    expect(presenceTable.envVar).toBe(ENV.presenceTable);
  });

  it('has the byUser indexes the domain queries (Connections by user, Memberships by user)', () => {
    // Assess
    expect(connectionsTable.globalIndexes).toContainEqual(expect.objectContaining({ indexName: 'byUser', partitionKey: { name: 'userId', type: 'S' } }));
    expect(membershipsTable.globalIndexes).toContainEqual(
      expect.objectContaining({ indexName: 'byUser', partitionKey: { name: 'userId', type: 'S' }, sortKey: { name: 'chatId', type: 'S' } }),
    );
    expect(messagesTable.localIndexes).toContainEqual(expect.objectContaining({ indexName: 'bySeq', sortKey: { name: 'seq', type: 'N' } }));
  });

  it('expires the rows that go stale: connections, room rows and idempotency markers', () => {
    // Assess
    expect(connectionsTable.timeToLiveAttribute).toBe('expiresAt');
    expect(roomsTable.timeToLiveAttribute).toBe('expiresAt');
    expect(messagesTable.timeToLiveAttribute).toBe('expiresAt');
  });
});

describe('Constant: fanOutSources', () => {
  it('has a stream on every source', () => {
    // Assess
    for (const table of fanOutSources) expect(table.stream).toBeDefined();
  });

  it('streams old and new images where the fan-out compares them (edits, deletes, presence, leaves)', () => {
    // Assess
    expect(messagesTable.stream).toBe('NEW_AND_OLD_IMAGES');
    expect(presenceTable.stream).toBe('NEW_AND_OLD_IMAGES');
    expect(membershipsTable.stream).toBe('NEW_AND_OLD_IMAGES');
  });

  it('streams new and old images of connections (the open-packet filter reads the new, TTL cleanup the old)', () => {
    // Assess
    expect(connectionsTable.stream).toBe('NEW_AND_OLD_IMAGES');
  });

  it('does not stream the Rooms table (nothing reacts to it)', () => {
    // Assess
    expect(fanOutSources.map((table) => table.name)).not.toContain('Rooms');
  });
});
