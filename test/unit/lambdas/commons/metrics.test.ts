import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONNECTION_REFUSAL_REASONS, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../../../lambdas/commons/metric-names';
import { captureEmf, importWithMetrics, named, total } from '../../../helpers/emf';

type MetricsModule = typeof import('../../../../lambdas/commons/metrics');
const MODULE = '../../../../lambdas/commons/metrics';

let m: MetricsModule;

beforeEach(async () => {
  m = await importWithMetrics<MetricsModule>(MODULE);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Function: countMetric / publishMetrics', () => {
  it('sums counts in memory and writes one value per metric, in the namespace, dimension service only', async () => {
    // Act
    const emitted = await captureEmf(() => {
      m.countMetric(METRIC.connectionsOpened);
      m.countMetric(METRIC.connectionsOpened);
      m.countMetric(METRIC.deliveriesThrottled, 3);
      m.publishMetrics();
    });

    // Assess
    expect(emitted).toEqual([
      { namespace: METRICS_NAMESPACE, name: METRIC.connectionsOpened, unit: 'Count', dimensions: { service: SERVICE_NAME }, values: [2] },
      { namespace: METRICS_NAMESPACE, name: METRIC.deliveriesThrottled, unit: 'Count', dimensions: { service: SERVICE_NAME }, values: [3] },
    ]);
  });

  it('writes nothing when nothing was counted, and starts from zero after a publish', async () => {
    // Prepare
    m.countMetric(METRIC.connectionsClosed);
    await captureEmf(() => m.publishMetrics());

    // Act
    const emitted = await captureEmf(() => {
      m.countMetric(METRIC.deliveriesGone, 0);
      m.publishMetrics();
    });

    // Assess
    expect(emitted).toEqual([]);
    expect(m.pendingTotal(METRIC.connectionsClosed)).toBe(0);
  });

  it('keeps every value of a distribution metric, in its unit', async () => {
    // Act
    const emitted = await captureEmf(() => {
      m.recordMetric(METRIC.streamRecordAge, 120, m.MetricUnit.Milliseconds);
      m.recordMetric(METRIC.streamRecordAge, 80, m.MetricUnit.Milliseconds);
      m.publishMetrics();
    });

    // Assess
    expect(named(emitted, METRIC.streamRecordAge)).toEqual([expect.objectContaining({ unit: 'Milliseconds', values: [120, 80], dimensions: { service: SERVICE_NAME } })]);
  });
});

describe('Function: countConnectionRefused / countMessageRefused / countPublisherCall', () => {
  it('writes each reason on a line of its own, with dimensions service and reason', async () => {
    // Act
    const emitted = await captureEmf(() => {
      m.countMetric(METRIC.connectionsOpened);
      m.countConnectionRefused('unauthorized');
      m.countConnectionRefused('unauthorized');
      m.countConnectionRefused('origin');
      m.countMessageRefused('RATE_LIMITED');
      m.publishMetrics();
    });

    // Assess: the plain count does not inherit a reason.
    expect(named(emitted, METRIC.connectionsOpened)).toEqual([expect.objectContaining({ dimensions: { service: SERVICE_NAME }, values: [1] })]);
    expect(named(emitted, METRIC.connectionsRefused)).toEqual([
      expect.objectContaining({ unit: 'Count', dimensions: { service: SERVICE_NAME, reason: 'unauthorized' }, values: [2] }),
      expect.objectContaining({ unit: 'Count', dimensions: { service: SERVICE_NAME, reason: 'origin' }, values: [1] }),
    ]);
    expect(named(emitted, METRIC.messagesRefused)).toEqual([expect.objectContaining({ dimensions: { service: SERVICE_NAME, reason: 'RATE_LIMITED' }, values: [1] })]);
  });

  it('counts a publisher call by event, and an unknown event name as other', async () => {
    // Act
    const emitted = await captureEmf(() => {
      m.countPublisherCall('message:new');
      m.countPublisherCall('order-4711-shipped');
      m.publishMetrics();
    });

    // Assess
    expect(named(emitted, METRIC.publisherCalls).map((metric) => metric.dimensions)).toEqual([
      { service: SERVICE_NAME, event: 'message:new' },
      { service: SERVICE_NAME, event: 'other' },
    ]);
  });

  it('never writes a refusal reason outside the closed sets', async () => {
    // Act: a code the type system would refuse, as a corrupted value could arrive.
    const emitted = await captureEmf(() => {
      m.countMessageRefused('chat-1234' as never);
      m.publishMetrics();
    });

    // Assess
    expect(named(emitted, METRIC.messagesRefused)[0]?.dimensions).toEqual({ service: SERVICE_NAME, reason: 'INTERNAL' });
  });
});

describe('Function: countBroadcast', () => {
  it('counts posted, gone and failed posts, the recipients, and presence or typing posts by event', async () => {
    // Act
    const emitted = await captureEmf(() => {
      m.countBroadcast('message:new', { recipients: 4, delivered: 2, gone: 1, failed: 1 });
      m.countBroadcast('user:online', { recipients: 3, delivered: 3, gone: 0, failed: 0 });
      m.countBroadcast('user:typing', { recipients: 1, delivered: 1, gone: 0, failed: 0 });
      m.publishMetrics();
    });

    // Assess
    expect(total(emitted, METRIC.deliveriesPosted)).toBe(6);
    expect(total(emitted, METRIC.deliveriesGone)).toBe(1);
    expect(total(emitted, METRIC.deliveriesFailed)).toBe(1);
    expect(named(emitted, METRIC.broadcastRecipients)[0]?.values).toEqual([4, 3, 1]);
    expect(total(emitted, METRIC.presencePosts)).toBe(3);
    expect(total(emitted, METRIC.typingPosts)).toBe(1);
  });
});

describe('Function: captureColdStart', () => {
  it('writes ColdStart once per execution environment, dimension service only', async () => {
    // Act
    const emitted = await captureEmf(() => {
      m.captureColdStart();
      m.captureColdStart();
    });

    // Assess
    expect(emitted).toEqual([expect.objectContaining({ name: 'ColdStart', unit: 'Count', dimensions: { service: SERVICE_NAME }, values: [1] })]);
  });
});

describe('Every metric', () => {
  it('carries only service, reason and event dimensions, from closed sets, never an id', async () => {
    // Act: every counting function, with ids all around.
    const emitted = await captureEmf(() => {
      m.captureColdStart();
      for (const reason of CONNECTION_REFUSAL_REASONS) m.countConnectionRefused(reason);
      m.countMessageRefused('FORBIDDEN');
      m.countPublisherCall('chat:01JABCDEF');
      m.countBroadcast('message:deleted', { recipients: 2, delivered: 2, gone: 0, failed: 0 });
      const timed: string[] = [METRIC.fanOutRecordDuration, METRIC.streamRecordAge];
      for (const name of Object.values(METRIC)) {
        if (timed.includes(name)) m.recordMetric(name, 5, m.MetricUnit.Milliseconds);
        else m.countMetric(name);
      }
      m.publishMetrics();
    });

    // Assess
    const closed: Record<string, readonly string[]> = {
      service: [SERVICE_NAME],
      reason: [...CONNECTION_REFUSAL_REASONS, 'FORBIDDEN'],
      event: ['other'],
    };
    expect(new Set(emitted.map((metric) => metric.name))).toEqual(new Set([...Object.values(METRIC), 'ColdStart']));
    for (const metric of emitted) {
      for (const [dimension, value] of Object.entries(metric.dimensions)) {
        expect(closed[dimension], `${metric.name} has dimension ${dimension}`).toBeDefined();
        expect(closed[dimension]).toContain(value);
      }
    }
  });
});
