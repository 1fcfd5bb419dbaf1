import { EventEmitter } from 'node:events';
import type { WebSocket, WebSocketServer } from 'ws';
import { vi } from 'vitest';
import { ConnectionPool, type GatewayConnection } from '../../local/gateway/pool';
import type { GatewayState } from '../../local/gateway/state';

/** A ws socket that records what the gateway sends it; readyState is settable (1 OPEN, 2 CLOSING). */
export class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: { data: Buffer; binary: boolean }[] = [];
  readonly close = vi.fn();
  send(data: Buffer, options: { binary: boolean }): void {
    this.sent.push({ data, binary: options.binary });
  }
}

/** A gateway connection `conn-1=` on `socket`, connected at 2026-11-27T00:00Z. */
export function fakeConnection(socket: FakeSocket): GatewayConnection {
  return {
    connectionId: 'conn-1=',
    socket: socket as unknown as WebSocket,
    connectedAt: Date.parse('2026-11-27T00:00:00.000Z'),
    lastActiveAt: Date.parse('2026-11-27T00:01:00.000Z'),
    identity: { sourceIp: '127.0.0.1', userAgent: 'vitest' },
    suppressDisconnect: false,
    touch: vi.fn(),
  };
}

/** The gateway state the `@connections` API reads: stage `local`, an empty pool, no faults, zeroed metrics. */
export function fakeGatewayState(): GatewayState {
  return {
    api: { stage: 'local', domainName: '127.0.0.1', apiId: 'local' },
    pool: new ConnectionPool(),
    wss: {} as WebSocketServer,
    postFaults: new Map(),
    log: vi.fn(),
    metrics: { connectsAccepted: 0, disconnectsFired: 0, posts: { http: 0, channel: 0 } },
  } as unknown as GatewayState;
}
