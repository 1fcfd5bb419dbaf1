/**
 * Engine.IO handshake parameters that fit API Gateway WebSockets, and the
 * heartbeat strategy behind them.
 *
 * socket.io-client closes the connection ("ping timeout") when no server
 * ping `2` arrives within `pingInterval + pingTimeout` of the previous one
 * (engine.io-client `_resetPingTimeout`; only a ping resets that timer, not
 * other traffic). API Gateway closes a connection after 10 idle minutes and
 * after 2 hours in any case. Two ways to live with that:
 *
 * - `scheduled-ping` (default): a scheduled function posts `2` to every
 *   open socket.io connection every `pingInterval` (whole minutes, the
 *   scheduler's granularity). The client's `3` reply is inbound traffic, so
 *   the 10-minute idle timer never fires, and a half-open connection is
 *   noticed by the client within `pingInterval + pingTimeout`.
 * - `reconnect`: no pings. `pingInterval + pingTimeout` is set beyond the
 *   2-hour cap so the client's timer never fires first; an idle connection
 *   is closed by API Gateway after 10 minutes and the client reconnects and
 *   recovers the missed events (connection state recovery).
 *
 * Cost per 10,000 connections open all month (30 days), with the prices of
 * docs/aws-limits.md ($1/M messages, $0.25/M connection-minutes, Lambda
 * $0.20/M requests, DynamoDB $0.625/M WRU, $0.125/M RRU). Computed by
 * `estimateHeartbeatCost` (bench/heartbeat-cost.ts); details in
 * docs/socketio-heartbeat.md. Lambda duration is not included.
 *
 *   both modes: connection-minutes      432 M minutes          $108.00
 *   both modes: 2-hour cap reconnects   3.6 M x $15.49/M       $ 55.76
 *   scheduled-ping every 5 min:         86.4 M pings x $2.825/M $244.08
 *     (ping out + pong in = 2 messages, 1 $default Lambda and
 *      1 WRU, the pong's lastPongAt, each)
 *     sweeps: 8,640 Lambda runs + 250 RRU Scan each           $  0.27
 *     heartbeat total                                         $244.35
 *     (every 1 min $1,221.76; 8 min $152.72; 9 min $135.75;
 *      socket.io's own 25 s default would be $2,932.23)
 *   reconnect, every connection idle:   39.6 M extra reconnects
 *     x $15.49/M                                              $613.31
 *   reconnect, traffic every <10 min:                          $  0.00
 *
 * A ping costs $2.825 per million; a reconnect $15.49 per million (3
 * messages, 4 Lambda requests, 18 DynamoDB writes and 3.5 reads for a user
 * in 5 chats). `reconnect` is cheaper only while fewer than 40% of
 * 10-minute windows are idle; a chat app's sockets are mostly idle, so
 * `scheduled-ping` is the default. It also detects half-open connections
 * (the client within pingInterval + pingTimeout = 6 min; the server at the
 * first sweep after the ping that went unanswered) and never makes
 * presence flap.
 */
import { optionalEnv } from '../commons/env';

/** API Gateway closes a WebSocket with no traffic for this long. */
export const API_GATEWAY_IDLE_TIMEOUT_MS = 10 * 60_000;

/** API Gateway closes every WebSocket after this long. */
export const API_GATEWAY_MAX_CONNECTION_MS = 2 * 60 * 60_000;

/**
 * Largest frame API Gateway accepts. Browsers send each message as a single
 * frame, so this, not the 128 KB message limit, bounds what a client can
 * send. "32 KB" is read as 32,000 bytes to stay on the safe side of the
 * ambiguity.
 */
export const API_GATEWAY_FRAME_LIMIT_BYTES = 32_000;

/** Largest delay setTimeout honours; a larger one fires at once in browsers and Node. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The scheduler's granularity (EventBridge Scheduler `rate(n minutes)`). */
const MINUTE_MS = 60_000;

export type HeartbeatMode = 'scheduled-ping' | 'reconnect';

/** The Engine.IO handshake values a connection is opened with, and how they are kept. */
export interface HeartbeatConfig {
  readonly mode: HeartbeatMode;
  /**
   * Announced to the client. In `scheduled-ping` mode also the period of the
   * ping sweep, a whole number of minutes.
   */
  readonly pingInterval: number;
  /** Announced to the client: the slack it allows a ping to be late by. */
  readonly pingTimeout: number;
  /**
   * Announced to the client. engine.io-client uses it only to batch
   * long-polling requests, so on the websocket transport it is
   * informational; the gateway enforces the real limit.
   */
  readonly maxPayload: number;
}

/**
 * Default: ping every 5 minutes. Half the idle timeout leaves room for a
 * late or slow sweep; the 60 s `pingTimeout` covers the sweep's own run
 * (10,000 posts at 200 in flight take about a second) and scheduler delay.
 */
export const SCHEDULED_PING_DEFAULTS: HeartbeatConfig = Object.freeze({
  mode: 'scheduled-ping',
  pingInterval: 5 * MINUTE_MS,
  pingTimeout: 60_000,
  maxPayload: API_GATEWAY_FRAME_LIMIT_BYTES,
});

/**
 * No pings: the client's ping timer (2 h + 60 s) outlives API Gateway's
 * 2-hour cap, so the gateway always closes first and the client reconnects.
 */
export const RECONNECT_DEFAULTS: HeartbeatConfig = Object.freeze({
  mode: 'reconnect',
  pingInterval: API_GATEWAY_MAX_CONNECTION_MS,
  pingTimeout: 60_000,
  maxPayload: API_GATEWAY_FRAME_LIMIT_BYTES,
});

/** Environment variables that override the defaults (all optional). */
export const HEARTBEAT_ENV = {
  mode: 'SOCKETIO_HEARTBEAT',
  pingInterval: 'SOCKETIO_PING_INTERVAL_MS',
  pingTimeout: 'SOCKETIO_PING_TIMEOUT_MS',
} as const;

/**
 * Checks a heartbeat configuration against API Gateway's limits and the
 * client's timers, throwing with the offending value.
 *
 * @throws {Error} when a value cannot work.
 * @example
 * validateHeartbeatConfig({ ...SCHEDULED_PING_DEFAULTS, pingInterval: 12 * 60_000 });
 * // Error: scheduled-ping pingInterval must be whole minutes from 1 to 9 ..., got 720000
 */
export function validateHeartbeatConfig(config: HeartbeatConfig): HeartbeatConfig {
  const { mode, pingInterval, pingTimeout, maxPayload } = config;
  for (const [name, value] of Object.entries({ pingInterval, pingTimeout, maxPayload })) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`${name} must be a positive integer of milliseconds, got ${String(value)}`);
    }
  }
  if (pingInterval + pingTimeout > MAX_TIMER_MS) {
    throw new Error(
      `pingInterval + pingTimeout must not exceed ${MAX_TIMER_MS} ms (the client's timer would fire at once), got ${pingInterval + pingTimeout}`,
    );
  }
  if (maxPayload > API_GATEWAY_FRAME_LIMIT_BYTES) {
    throw new Error(`maxPayload must not exceed the ${API_GATEWAY_FRAME_LIMIT_BYTES}-byte frame limit, got ${maxPayload}`);
  }
  if (mode === 'scheduled-ping') {
    // The sweep must come round before the idle timeout, with a minute to spare.
    const lastMinute = API_GATEWAY_IDLE_TIMEOUT_MS / MINUTE_MS - 1;
    if (pingInterval % MINUTE_MS !== 0 || pingInterval > lastMinute * MINUTE_MS) {
      throw new Error(
        `scheduled-ping pingInterval must be whole minutes from 1 to ${lastMinute} (the sweep runs on a minute schedule, under the 10-minute idle timeout), got ${pingInterval}`,
      );
    }
  } else if (mode === 'reconnect') {
    if (pingInterval + pingTimeout <= API_GATEWAY_MAX_CONNECTION_MS) {
      throw new Error(
        `reconnect mode needs pingInterval + pingTimeout above the 2-hour connection cap (${API_GATEWAY_MAX_CONNECTION_MS} ms), or clients time out between pings that never come; got ${pingInterval + pingTimeout}`,
      );
    }
  } else {
    throw new Error(`heartbeat mode must be 'scheduled-ping' or 'reconnect', got ${JSON.stringify(mode)}`);
  }
  return config;
}

function readMs(key: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = optionalEnv(key, env);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`Environment variable ${key} must be milliseconds, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * The heartbeat configuration from the environment: the mode's defaults,
 * overridden by `SOCKETIO_PING_INTERVAL_MS` / `SOCKETIO_PING_TIMEOUT_MS`,
 * then validated. Read once at module load, like every env value.
 *
 * @example
 * // SOCKETIO_HEARTBEAT=scheduled-ping SOCKETIO_PING_INTERVAL_MS=480000
 * export const heartbeat = resolveHeartbeatConfig();
 * heartbeat.pingInterval; // 480000
 */
export function resolveHeartbeatConfig(env: NodeJS.ProcessEnv = process.env): HeartbeatConfig {
  const mode = optionalEnv(HEARTBEAT_ENV.mode, env) ?? SCHEDULED_PING_DEFAULTS.mode;
  const defaults =
    mode === 'scheduled-ping' ? SCHEDULED_PING_DEFAULTS : mode === 'reconnect' ? RECONNECT_DEFAULTS : undefined;
  if (defaults === undefined) {
    throw new Error(
      `Environment variable ${HEARTBEAT_ENV.mode} must be 'scheduled-ping' or 'reconnect', got ${JSON.stringify(mode)}`,
    );
  }
  return validateHeartbeatConfig({
    ...defaults,
    pingInterval: readMs(HEARTBEAT_ENV.pingInterval, env) ?? defaults.pingInterval,
    pingTimeout: readMs(HEARTBEAT_ENV.pingTimeout, env) ?? defaults.pingTimeout,
  });
}

/**
 * The EventBridge Scheduler expression of the ping sweep, or undefined when
 * the mode needs no sweep. CDK uses it to create (or skip) the schedule.
 *
 * @example
 * pingScheduleExpression(SCHEDULED_PING_DEFAULTS); // 'rate(5 minutes)'
 * pingScheduleExpression(RECONNECT_DEFAULTS);      // undefined
 */
export function pingScheduleExpression(config: HeartbeatConfig): string | undefined {
  if (config.mode !== 'scheduled-ping') return undefined;
  const minutes = config.pingInterval / MINUTE_MS;
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
}
