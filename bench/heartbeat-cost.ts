/**
 * The monthly cost of keeping socket.io connections alive under each
 * heartbeat mode: a price model for the docs, not Lambda code. The numbers
 * in docs/socketio-heartbeat.md and in the comment of
 * lambdas/system/heartbeat.ts come from it, so they can be recomputed when
 * prices or assumptions change. Lambda duration is left out: a warm pong
 * handler runs for a few milliseconds.
 */
import { API_GATEWAY_IDLE_TIMEOUT_MS, API_GATEWAY_MAX_CONNECTION_MS, type HeartbeatConfig } from '../lambdas/system/heartbeat';

/**
 * Prices in dollars per unit (us-east-1, on-demand), from the public pricing
 * pages of Amazon API Gateway (WebSocket APIs), AWS Lambda and DynamoDB.
 */
export const PRICES = Object.freeze({
  apiGatewayMessage: 1.0 / 1e6,
  connectionMinute: 0.25 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
});

/** Who is connected, and how idle they are. */
export interface CostScenario {
  /** Connections open for the whole period. */
  connections: number;
  /** @default 30 */
  days?: number;
  /** Chats per user: one room row each (plus the user room) per connect. @default 5 */
  chatsPerUser?: number;
  /**
   * Share of 10-minute windows in which a connection carries no traffic, so
   * API Gateway would close it without pings. @default 1 (all idle: the worst case)
   */
  idleShare?: number;
  /** Bytes of one Connections row, for the sweep's Scan. @default 200 */
  connectionRowBytes?: number;
}

/** Dollar amounts for one month (or the scenario's `days`). */
export interface HeartbeatCost {
  connectionMinutes: number;
  /** Reconnects forced by the 2-hour cap: the same in both modes. */
  capReconnects: number;
  /** What the mode itself costs: pings and sweeps, or idle reconnects. */
  heartbeat: number;
  total: number;
  /** Counts behind the amounts. */
  counts: { pings: number; sweeps: number; reconnects: number };
}

/**
 * What one reconnect costs: the close of the old connection and the full
 * Engine.IO + Socket.IO handshake of the new one, with recovery.
 * - messages: open packet out, `40{auth}` in, `40{sid,pid}` out;
 * - Lambda: $disconnect, $connect, the open-packet sender, $default (CONNECT);
 * - writes: connection put + state update + delete, room rows put and
 *   deleted (chats + user room), presence add and remove, recovery session put;
 * - reads: connection row and memberships (eventually consistent, 0.5 RRU
 *   each) and one replay query page per chat.
 */
export function reconnectCost(chatsPerUser: number): number {
  const rooms = chatsPerUser + 1;
  const writes = 3 + 2 * rooms + 2 + 1;
  const reads = 0.5 + 0.5 + 0.5 * chatsPerUser;
  return 3 * PRICES.apiGatewayMessage + 4 * PRICES.lambdaRequest + writes * PRICES.dynamoWriteUnit + reads * PRICES.dynamoReadUnit;
}

/**
 * One ping: `2` out, `3` in (both billed messages), the $default invocation
 * the pong causes, and the pong's `lastPongAt` write (1 WRU while the
 * connection row is under 1 KB), by which the sweep finds clients that stopped answering.
 */
export const PING_COST = 2 * PRICES.apiGatewayMessage + PRICES.lambdaRequest + PRICES.dynamoWriteUnit;

/** Per sweep besides the Scan: the last sweep's time, read (strongly, 1 RRU) and written (1 WRU). */
const SWEEP_MARKER_COST = PRICES.dynamoReadUnit + PRICES.dynamoWriteUnit;

/**
 * Estimates the monthly heartbeat cost of a configuration.
 *
 * @example
 * estimateHeartbeatCost(SCHEDULED_PING_DEFAULTS, { connections: 10_000 }).heartbeat; // ≈ 244.35
 */
export function estimateHeartbeatCost(config: HeartbeatConfig, scenario: CostScenario): HeartbeatCost {
  const { connections, days = 30, chatsPerUser = 5, idleShare = 1, connectionRowBytes = 200 } = scenario;
  const periodMs = days * 24 * 60 * 60_000;
  const perReconnect = reconnectCost(chatsPerUser);

  const connectionMinutes = connections * (periodMs / 60_000) * PRICES.connectionMinute;
  const capReconnectCount = connections * (periodMs / API_GATEWAY_MAX_CONNECTION_MS);
  const capReconnects = capReconnectCount * perReconnect;

  let pings = 0;
  let sweeps = 0;
  let reconnects = 0;
  let heartbeat: number;
  if (config.mode === 'scheduled-ping') {
    sweeps = periodMs / config.pingInterval;
    pings = connections * sweeps;
    // Each sweep scans the Connections table once (eventually consistent: 0.5 RRU per 4 KB).
    const scanReadUnits = Math.ceil((connections * connectionRowBytes) / 4096) * 0.5;
    heartbeat = pings * PING_COST + sweeps * (PRICES.lambdaRequest + scanReadUnits * PRICES.dynamoReadUnit + SWEEP_MARKER_COST);
  } else {
    // Idle windows end in a reconnect, except where the 2-hour cap closes the connection anyway.
    const windows = periodMs / API_GATEWAY_IDLE_TIMEOUT_MS;
    const capPerConnection = periodMs / API_GATEWAY_MAX_CONNECTION_MS;
    reconnects = connections * idleShare * (windows - capPerConnection);
    heartbeat = reconnects * perReconnect;
  }
  return {
    connectionMinutes,
    capReconnects,
    heartbeat,
    total: connectionMinutes + capReconnects + heartbeat,
    counts: { pings, sweeps, reconnects: reconnects + capReconnectCount },
  };
}
