/**
 * What the gateway's parts share: settings, the route table and the pool.
 * server.ts builds it; upgrade, connection and connections-api read it.
 */
import type { WebSocketServer } from 'ws';
import type { LambdaHandler } from '../lambda';
import type { PostFaults } from './faults';
import type { ConnectionPool } from './pool';
import type { ApiInfo } from './request-format';

/** Route key (`$connect`, `$disconnect`, `$default` or a custom key) → handler. */
export type RouteHandlers = Readonly<Record<string, LambdaHandler>>;

/** What the gateway has done so far. */
export interface GatewayMetrics {
  /** `$connect` invocations that accepted the connection (2xx, or no `$connect` route). */
  connectsAccepted: number;
  /** `$disconnect` invocations started (one per accepted connection, whatever the timing). */
  disconnectsFired: number;
  /** PostToConnection requests answered, by the way they came (HTTP, or the in-process channel of post-channel.ts). */
  posts: { http: number; channel: number };
}

export interface GatewayState {
  readonly api: ApiInfo;
  readonly pool: ConnectionPool;
  readonly wss: WebSocketServer;
  routes: RouteHandlers;
  readonly returnResponseRoutes: ReadonlySet<string>;
  readonly selectionExpression: string;
  readonly integrationTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
  /** The subprotocol `$connect` returned, per upgrade request, for handleProtocols. */
  readonly acceptedProtocols: WeakMap<object, string>;
  /** Handler invocations still running; close() waits for them. */
  readonly inflight: Set<Promise<unknown>>;
  /**
   * Resolves when the gateway starts accepting (Gateway.open()): an upgrade
   * arriving earlier waits, so no client connects before the handlers and
   * stream pollers behind it run. `closing` is then set when it never will.
   */
  readonly accepting: Promise<void>;
  closing: boolean;
  /** Injected PostToConnection faults (tests and demos; empty by default). */
  postFaults: PostFaults;
  /** Counts for tests and tools, like API Gateway's ConnectCount metric. */
  readonly metrics: GatewayMetrics;
  /** Where handler failures and gateway notices go. */
  readonly log: (message: string, error?: unknown) => void;
}
