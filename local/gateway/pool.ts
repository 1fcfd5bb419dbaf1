/**
 * The registry of open connections, keyed by connectionId (architect's
 * pool.js). A connection enters only after its upgrade completed, so the
 * @connections API answers 410 while `$connect` is still running.
 */
import type { WebSocket } from 'ws';

export interface ConnectionIdentity {
  readonly sourceIp: string;
  readonly userAgent?: string;
}

/** One open WebSocket and what API Gateway tracks about it. */
export interface GatewayConnection {
  readonly connectionId: string;
  readonly socket: WebSocket;
  /** Epoch ms, fixed for the connection's life (every event carries it). */
  readonly connectedAt: number;
  /** Epoch ms of the last data frame in either direction. */
  lastActiveAt: number;
  readonly identity: ConnectionIdentity;
  /** When set, closing this connection does not invoke `$disconnect`. */
  suppressDisconnect: boolean;
  /** Resets the idle timer; called on every data frame in either direction. */
  touch(): void;
}

/**
 * Open connections by id.
 *
 * @example
 * const pool = new ConnectionPool();
 * pool.get('AbC+d/eF12345g=')?.socket.send('hi');
 */
export class ConnectionPool {
  readonly #connections = new Map<string, GatewayConnection>();

  add(connection: GatewayConnection): void {
    this.#connections.set(connection.connectionId, connection);
  }

  get(connectionId: string): GatewayConnection | undefined {
    return this.#connections.get(connectionId);
  }

  /** Removes and returns a connection; later lookups see it as gone. */
  remove(connectionId: string): GatewayConnection | undefined {
    const connection = this.#connections.get(connectionId);
    this.#connections.delete(connectionId);
    return connection;
  }

  ids(): string[] {
    return [...this.#connections.keys()];
  }

  get size(): number {
    return this.#connections.size;
  }

  /**
   * Drops a connection at TCP level without a close frame and without
   * `$disconnect`: what a vanished client looks like once API Gateway's
   * best-effort `$disconnect` has been lost. Its rows stay behind until a
   * PostToConnection gets GoneException.
   */
  vanish(connectionId: string): boolean {
    const connection = this.remove(connectionId);
    if (connection === undefined) return false;
    connection.suppressDisconnect = true;
    connection.socket.terminate();
    return true;
  }
}
