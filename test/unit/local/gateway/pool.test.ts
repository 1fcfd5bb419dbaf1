import type { WebSocket } from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { ConnectionPool, type GatewayConnection } from '../../../../local/gateway/pool';

function fakeConnection(connectionId: string) {
  const terminate = vi.fn();
  const connection: GatewayConnection = {
    connectionId,
    socket: { terminate } as unknown as WebSocket,
    connectedAt: 1,
    lastActiveAt: 1,
    identity: { sourceIp: '127.0.0.1' },
    suppressDisconnect: false,
    touch: () => undefined,
  };
  return { connection, terminate };
}

describe('Class: ConnectionPool', () => {
  it('finds an added connection by id and counts it', () => {
    // Prepare
    const pool = new ConnectionPool();
    const { connection } = fakeConnection('AbC+d/eF12345g=');

    // Act
    pool.add(connection);

    // Assess
    expect(pool.get('AbC+d/eF12345g=')).toBe(connection);
    expect(pool.size).toBe(1);
    expect(pool.ids()).toEqual(['AbC+d/eF12345g=']);
  });

  it('answers undefined for an unknown id', () => {
    // Act + Assess
    expect(new ConnectionPool().get('nope')).toBeUndefined();
  });

  it('removes and returns a connection, after which it is gone', () => {
    // Prepare
    const pool = new ConnectionPool();
    const { connection } = fakeConnection('c1');
    pool.add(connection);

    // Act
    const removed = pool.remove('c1');
    const again = pool.remove('c1');

    // Assess
    expect(removed).toBe(connection);
    expect(again).toBeUndefined();
    expect(pool.get('c1')).toBeUndefined();
    expect(pool.size).toBe(0);
  });

  it('vanish: drops the socket without a close frame and suppresses $disconnect', () => {
    // Prepare
    const pool = new ConnectionPool();
    const { connection, terminate } = fakeConnection('c1');
    pool.add(connection);

    // Act
    const vanished = pool.vanish('c1');

    // Assess
    expect(vanished).toBe(true);
    expect(terminate).toHaveBeenCalledTimes(1);
    expect(connection.suppressDisconnect).toBe(true);
    expect(pool.get('c1')).toBeUndefined();
  });

  it('vanish: reports false for an unknown id', () => {
    // Act + Assess
    expect(new ConnectionPool().vanish('nope')).toBe(false);
  });
});
