/**
 * What the fan-out tells about each stream record: its age when the fan-out
 * started on it (StreamRecordAge, the end-to-end lag from the write), the
 * time spent on it (FanOutRecordDuration), and one info log line per record
 * (never per post), all under the record's eventID as correlation id.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { logger, withCorrelationId } from '../../commons/logger';
import { METRIC } from '../../commons/metric-names';
import { MetricUnit, recordMetric } from '../../commons/metrics';
import type { BroadcastResult } from '../ports';

/**
 * Milliseconds from the record's ApproximateCreationDateTime (whole seconds
 * in Lambda's event: up to a second of rounding) to `now`; undefined
 * without one.
 */
export function recordAgeMs(record: DynamoDBRecord, now: number): number | undefined {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return typeof created === 'number' ? Math.max(0, now - created * 1000) : undefined;
}

/**
 * Runs the work of one record, measured and logged. A failure is left to
 * the caller (which logs and reports it); its duration is still recorded.
 *
 * @example
 * await observeRecord(record, 'messages', () => processRecord(deps, 'messages', record));
 */
export async function observeRecord(
  record: DynamoDBRecord,
  source: string,
  work: () => Promise<BroadcastResult | undefined>,
  now: () => number = Date.now,
): Promise<BroadcastResult | undefined> {
  const startedAt = now();
  const ageMs = recordAgeMs(record, startedAt);
  if (ageMs !== undefined) recordMetric(METRIC.streamRecordAge, ageMs, MetricUnit.Milliseconds);
  const correlationId = record.eventID ?? record.dynamodb?.SequenceNumber ?? 'unknown-record';
  return withCorrelationId(correlationId, async () => {
    let result: BroadcastResult | undefined;
    try {
      result = await work();
    } finally {
      recordMetric(METRIC.fanOutRecordDuration, now() - startedAt, MetricUnit.Milliseconds);
    }
    logger.info('record processed', {
      source,
      eventName: record.eventName,
      sequenceNumber: record.dynamodb?.SequenceNumber,
      ageMs,
      durationMs: now() - startedAt,
      ...(result !== undefined && { recipients: result.recipients, delivered: result.delivered, gone: result.gone, failed: result.failed }),
    });
    return result;
  });
}
