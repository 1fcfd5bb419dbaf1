import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../../../../lambdas/commons/metric-names';
import { captureEmf, importWithMetrics, named } from '../../../../helpers/emf';
import { createStreamRecord } from '../../../../helpers/stream-records';

type ObserveModule = typeof import('../../../../../lambdas/domain/fan-out/observe-record');
type LoggerModule = typeof import('../../../../../lambdas/commons/logger');
type MetricsModule = typeof import('../../../../../lambdas/commons/metrics');

let observe: ObserveModule;
let logger: LoggerModule['logger'];
let publishMetrics: MetricsModule['publishMetrics'];

const CREATED_S = 1_764_201_600;

beforeEach(async () => {
  observe = await importWithMetrics<ObserveModule>('../../../../../lambdas/domain/fan-out/observe-record');
  ({ logger } = (await import('../../../../../lambdas/commons/logger')) as LoggerModule);
  ({ publishMetrics } = (await import('../../../../../lambdas/commons/metrics')) as MetricsModule);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** A clock: the first call is the start, later calls `durationMs` later. */
function clock(startMs: number, durationMs: number): () => number {
  let calls = 0;
  return () => (calls++ === 0 ? startMs : startMs + durationMs);
}

describe('Function: recordAgeMs', () => {
  it('is the time since ApproximateCreationDateTime (seconds), never negative, undefined without it', () => {
    // Prepare
    const record = createStreamRecord('INSERT', { approximateCreationDateTime: CREATED_S });
    const without = createStreamRecord('INSERT');
    delete without.dynamodb?.ApproximateCreationDateTime;

    // Act & Assess
    expect(observe.recordAgeMs(record, CREATED_S * 1000 + 850)).toBe(850);
    expect(observe.recordAgeMs(record, CREATED_S * 1000 - 200)).toBe(0);
    expect(observe.recordAgeMs(without, Date.now())).toBeUndefined();
  });
});

describe('Function: observeRecord', () => {
  it('records the record\'s age and fan-out time, and logs one info line under its eventID', async () => {
    // Prepare
    const record = createStreamRecord('INSERT', { approximateCreationDateTime: CREATED_S });
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    let correlationInside: string | undefined;
    const { currentCorrelationId } = (await import('../../../../../lambdas/commons/logger')) as LoggerModule;

    // Act
    const emitted = await captureEmf(async () => {
      await observe.observeRecord(
        record,
        'messages',
        async () => {
          correlationInside = currentCorrelationId();
          return { recipients: 3, delivered: 3, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
        },
        clock(CREATED_S * 1000 + 400, 25),
      );
      publishMetrics();
    });

    // Assess
    expect(named(emitted, METRIC.streamRecordAge)).toEqual([expect.objectContaining({ unit: 'Milliseconds', values: [400] })]);
    expect(named(emitted, METRIC.fanOutRecordDuration)).toEqual([expect.objectContaining({ unit: 'Milliseconds', values: [25] })]);
    expect(correlationInside).toBe(record.eventID);
    expect(info).toHaveBeenCalledOnce();
    expect(info).toHaveBeenCalledWith('record processed', expect.objectContaining({ source: 'messages', ageMs: 400, durationMs: 25, recipients: 3, delivered: 3 }));
  });

  it('still records the fan-out time of a record that fails, logs no success line, and rethrows', async () => {
    // Prepare
    const record = createStreamRecord('MODIFY', { approximateCreationDateTime: CREATED_S });
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    const error = new Error('throttled');

    // Act
    const emitted = await captureEmf(async () => {
      await expect(
        observe.observeRecord(record, 'presence', async () => {
          throw error;
        }, clock(CREATED_S * 1000, 10)),
      ).rejects.toBe(error);
      publishMetrics();
    });

    // Assess
    expect(named(emitted, METRIC.fanOutRecordDuration)[0]?.values).toEqual([10]);
    expect(info).not.toHaveBeenCalled();
  });
});
