import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { vi } from 'vitest';
import type { GatewayConnection } from '../../local/gateway/pool';

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
