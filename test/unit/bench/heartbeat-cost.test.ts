import { describe, expect, it } from 'vitest';
import { RECONNECT_DEFAULTS, SCHEDULED_PING_DEFAULTS } from '../../../lambdas/system/heartbeat';
import { estimateHeartbeatCost, PING_COST, PRICES, reconnectCost } from '../../../bench/heartbeat-cost';

describe('Function: reconnectCost', () => {
  it('counts 3 messages, 4 Lambda requests, 18 writes and 3.5 reads for a user in 5 chats', () => {
    // Prepare
    const expected = 3 * PRICES.apiGatewayMessage + 4 * PRICES.lambdaRequest + 18 * PRICES.dynamoWriteUnit + 3.5 * PRICES.dynamoReadUnit;

    // Act + Assess
    expect(reconnectCost(5)).toBeCloseTo(expected, 12);
  });

  it('grows with the number of chats (one room row written and deleted, one replay page read each)', () => {
    // Act
    const perChat = reconnectCost(6) - reconnectCost(5);

    // Assess
    expect(perChat).toBeCloseTo(2 * PRICES.dynamoWriteUnit + 0.5 * PRICES.dynamoReadUnit, 12);
  });
});

describe('Function: estimateHeartbeatCost', () => {
  // These are the figures docs/socketio-heartbeat.md and config.ts state.
  it('prices a ping at $2.825 and a reconnect at $15.49 per million', () => {
    // Assess
    expect(PING_COST * 1e6).toBeCloseTo(2.825, 6);
    expect(reconnectCost(5) * 1e6).toBeCloseTo(15.4875, 6);
  });

  it('costs $190.35 a month for 10,000 connections pinged every 5 minutes', () => {
    // Act
    const cost = estimateHeartbeatCost(SCHEDULED_PING_DEFAULTS, { connections: 10_000 });

    // Assess
    expect(cost.counts).toMatchObject({ pings: 86_400_000, sweeps: 8_640, reconnects: 3_600_000 });
    expect(cost.heartbeat).toBeCloseTo(244.35, 2);
    expect(cost.connectionMinutes).toBeCloseTo(108, 6);
    expect(cost.capReconnects).toBeCloseTo(55.76, 2);
    expect(cost.total).toBeCloseTo(408.11, 1);
  });

  it('costs $613.31 a month for 10,000 idle connections left to reconnect, and nothing for busy ones', () => {
    // Act
    const idle = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000 });
    const busy = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000, idleShare: 0 });

    // Assess
    expect(idle.heartbeat).toBeCloseTo(613.31, 2);
    expect(busy.heartbeat).toBe(0);
  });

  it('breaks even when about 40% of the 10-minute windows are idle', () => {
    // Prepare
    const pinged = estimateHeartbeatCost(SCHEDULED_PING_DEFAULTS, { connections: 10_000 }).heartbeat;

    // Act
    const at30 = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000, idleShare: 0.39 }).heartbeat;
    const at32 = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 10_000, idleShare: 0.41 }).heartbeat;

    // Assess
    expect(at30).toBeLessThan(pinged);
    expect(at32).toBeGreaterThan(pinged);
  });

  it.each([
    [60_000, 1_221.76],
    [8 * 60_000, 152.72],
    [9 * 60_000, 135.75],
    [25_000, 2_932.23],
  ])('costs the figure config.ts states for a ping every %i ms ($%s)', (pingInterval, dollars) => {
    // Act
    const cost = estimateHeartbeatCost({ ...SCHEDULED_PING_DEFAULTS, pingInterval }, { connections: 10_000 });

    // Assess
    expect(cost.heartbeat).toBeCloseTo(dollars, 2);
  });

  it('scales linearly with the number of connections and days', () => {
    // Act
    const base = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 1_000, days: 10 });
    const double = estimateHeartbeatCost(RECONNECT_DEFAULTS, { connections: 2_000, days: 10 });

    // Assess
    expect(double.total).toBeCloseTo(2 * base.total, 9);
    expect(base.counts.pings).toBe(0);
    expect(base.counts.sweeps).toBe(0);
  });
});
