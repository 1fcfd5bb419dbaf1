import { describe, expect, it } from 'vitest';
import {
  API_GATEWAY_IDLE_TIMEOUT_MS,
  MAX_TIMER_MS,
  pingScheduleExpression,
  RECONNECT_DEFAULTS,
  resolveHeartbeatConfig,
  SCHEDULED_PING_DEFAULTS,
  validateHeartbeatConfig,
} from '../../../../lambdas/system/heartbeat';

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
