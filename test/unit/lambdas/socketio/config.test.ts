import { describe, expect, it } from 'vitest';
import {
  API_GATEWAY_IDLE_TIMEOUT_MS,
  MAX_TIMER_MS,
  pingScheduleExpression,
  RECONNECT_DEFAULTS,
  resolveHeartbeatConfig,
  SCHEDULED_PING_DEFAULTS,
  validateHeartbeatConfig,
} from '../../../../lambdas/socketio/config';
import { estimateHeartbeatCost, PING_COST, reconnectCost } from '../../../../lambdas/socketio/heartbeat-cost';

describe('Function: resolveHeartbeatConfig', () => {
  it('defaults to a scheduled ping every 5 minutes, well inside the idle timeout', () => {
    // Act
    const config = resolveHeartbeatConfig({});

    // Assess
    expect(config).toEqual({ mode: 'scheduled-ping', pingInterval: 300_000, pingTimeout: 60_000, maxPayload: 32_000 });
    expect(config.pingInterval + config.pingTimeout).toBeLessThan(API_GATEWAY_IDLE_TIMEOUT_MS);
  });

  it('switches to reconnect mode, whose client timer outlives the 2-hour cap', () => {
    // Act
    const config = resolveHeartbeatConfig({ SOCKETIO_HEARTBEAT: 'reconnect' });

    // Assess
    expect(config).toEqual(RECONNECT_DEFAULTS);
    expect(config.pingInterval + config.pingTimeout).toBeGreaterThan(2 * 60 * 60_000);
    expect(config.pingInterval + config.pingTimeout).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('takes the interval and timeout from the environment', () => {
    // Act
    const config = resolveHeartbeatConfig({ SOCKETIO_PING_INTERVAL_MS: '480000', SOCKETIO_PING_TIMEOUT_MS: '30000' });

    // Assess
    expect(config).toMatchObject({ pingInterval: 480_000, pingTimeout: 30_000 });
  });

  it('treats empty variables as unset', () => {
    // Act
    const config = resolveHeartbeatConfig({ SOCKETIO_HEARTBEAT: '', SOCKETIO_PING_INTERVAL_MS: '' });

    // Assess
    expect(config).toEqual(SCHEDULED_PING_DEFAULTS);
  });

  it.each([
    [{ SOCKETIO_HEARTBEAT: 'websocket-ping' }, /SOCKETIO_HEARTBEAT must be 'scheduled-ping' or 'reconnect', got "websocket-ping"/],
    [{ SOCKETIO_PING_INTERVAL_MS: '5m' }, /SOCKETIO_PING_INTERVAL_MS must be milliseconds, got "5m"/],
    [{ SOCKETIO_PING_TIMEOUT_MS: '-1' }, /SOCKETIO_PING_TIMEOUT_MS must be milliseconds/],
    [{ SOCKETIO_PING_INTERVAL_MS: '600000' }, /whole minutes from 1 to 9 .*got 600000/],
    [{ SOCKETIO_PING_INTERVAL_MS: '25000' }, /whole minutes from 1 to 9 .*got 25000/],
    [{ SOCKETIO_HEARTBEAT: 'reconnect', SOCKETIO_PING_INTERVAL_MS: '600000' }, /above the 2-hour connection cap/],
    [{ SOCKETIO_HEARTBEAT: 'reconnect', SOCKETIO_PING_INTERVAL_MS: String(MAX_TIMER_MS) }, /must not exceed 2147483647 ms/],
    [{ SOCKETIO_PING_TIMEOUT_MS: '0' }, /pingTimeout must be a positive integer/],
  ])('refuses %j at cold start', (env, message) => {
    // Act
    const act = () => resolveHeartbeatConfig(env);

    // Assess
    expect(act).toThrow(message);
  });
});

describe('Function: validateHeartbeatConfig', () => {
  it('refuses a maxPayload above the 32 KB frame limit', () => {
    // Act
    const act = () => validateHeartbeatConfig({ ...SCHEDULED_PING_DEFAULTS, maxPayload: 128 * 1024 });

    // Assess
    expect(act).toThrow(/maxPayload must not exceed the 32000-byte frame limit, got 131072/);
  });

  it('accepts both defaults', () => {
    // Act
    const configs = [SCHEDULED_PING_DEFAULTS, RECONNECT_DEFAULTS].map(validateHeartbeatConfig);

    // Assess
    expect(configs).toEqual([SCHEDULED_PING_DEFAULTS, RECONNECT_DEFAULTS]);
  });
});

describe('Function: pingScheduleExpression', () => {
  it.each([
    [SCHEDULED_PING_DEFAULTS, 'rate(5 minutes)'],
    [{ ...SCHEDULED_PING_DEFAULTS, pingInterval: 60_000 }, 'rate(1 minute)'],
    [RECONNECT_DEFAULTS, undefined],
  ])('gives the sweep schedule of %j', (config, expected) => {
    // Act
    const expression = pingScheduleExpression(config);

    // Assess
    expect(expression).toBe(expected);
  });
});

describe('Function: estimateHeartbeatCost', () => {
  // These are the figures docs/socketio-heartbeat.md and config.ts state.
  it('prices a ping at $2.20 and a reconnect at $15.49 per million', () => {
    // Assess
    expect(PING_COST * 1e6).toBeCloseTo(2.2, 6);
    expect(reconnectCost(5) * 1e6).toBeCloseTo(15.4875, 6);
  });

  it('costs $190.35 a month for 10,000 connections pinged every 5 minutes', () => {
    // Act
    const cost = estimateHeartbeatCost(SCHEDULED_PING_DEFAULTS, { connections: 10_000 });

    // Assess
    expect(cost.counts).toMatchObject({ pings: 86_400_000, sweeps: 8_640, reconnects: 3_600_000 });
    expect(cost.heartbeat).toBeCloseTo(190.35, 2);
    expect(cost.connectionMinutes).toBeCloseTo(108, 6);
    expect(cost.capReconnects).toBeCloseTo(55.76, 2);
    expect(cost.total).toBeCloseTo(354.1, 1);
  });

  it('costs $613.31 a month for 10,000 idle connections left to reconnect, and nothing for busy ones', () => {
    // Act
    const idle = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000 });
    const busy = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000, idleShare: 0 });

    // Assess
    expect(idle.heartbeat).toBeCloseTo(613.31, 2);
    expect(busy.heartbeat).toBe(0);
  });

  it('breaks even when about 31% of the 10-minute windows are idle', () => {
    // Prepare
    const pinged = estimateHeartbeatCost(SCHEDULED_PING_DEFAULTS, { connections: 10_000 }).heartbeat;

    // Act
    const at30 = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000, idleShare: 0.3 }).heartbeat;
    const at32 = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000, idleShare: 0.32 }).heartbeat;

    // Assess
    expect(at30).toBeLessThan(pinged);
    expect(at32).toBeGreaterThan(pinged);
  });
});
