import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CALL_EVENTS, type ErrorCode, type ServerEventName } from '../../protocol';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, type ConnectionRefusalReason, type MetricName } from './metric-names';

/**
 * The one Powertools Metrics instance of the Lambda functions. Metrics go
 * out as CloudWatch embedded metric format lines on stdout (no AWS call);
 * CloudWatch Logs turns them into metrics. Unit tests disable it
 * (POWERTOOLS_METRICS_DISABLED) unless they read the lines.
 *
 * Handlers do not call it directly: they count through the functions below,
 * which add to plain numbers in memory (the hot path allocates nothing per
 * post), and `instrumentHandler` (instrument.ts) writes everything once per
 * invocation with `publishMetrics`.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** A Powertools metric unit (`MetricUnit.Milliseconds`…). */
export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

/** Counts of this invocation, summed in memory, written as one value each. */
const counts = new Map<MetricName, number>();
/** Sums of this invocation, counts and distributions alike (read by the tracer annotation). */
const totals = new Map<MetricName, number>();
/** Counts that carry a `reason` or `event` dimension, keyed by name, dimension and value. */
const dimensioned = new Map<string, { name: MetricName; dimension: 'reason' | 'event'; value: string; count: number }>();

function addTotal(name: MetricName, value: number): void {
  totals.set(name, (totals.get(name) ?? 0) + value);
}

/**
 * Adds `by` to a count metric of this invocation (in memory until publishMetrics).
 *
 * @example
 * countMetric(METRIC.connectionsClosed);
 */
export function countMetric(name: MetricName, by = 1): void {
  if (by === 0) return;
  counts.set(name, (counts.get(name) ?? 0) + by);
  addTotal(name, by);
}

/**
 * Records one value of a distribution metric (recipients of a broadcast,
 * milliseconds of a record): CloudWatch keeps every value, so averages,
 * maxima and percentiles work.
 *
 * @example
 * recordMetric(METRIC.streamRecordAge, 850, MetricUnit.Milliseconds);
 */
export function recordMetric(name: MetricName, value: number, unit: MetricUnitName): void {
  metrics.addMetric(name, unit, value);
  addTotal(name, value);
}

/** The sum of a metric recorded so far in this invocation (0 after publishMetrics). */
export function pendingTotal(name: MetricName): number {
  return totals.get(name) ?? 0;
}

function countDimensioned(name: MetricName, dimension: 'reason' | 'event', value: string): void {
  const key = `${name}\u0000${dimension}\u0000${value}`;
  const entry = dimensioned.get(key);
  if (entry !== undefined) entry.count += 1;
  else dimensioned.set(key, { name, dimension, value, count: 1 });
  addTotal(name, 1);
}

/**
 * A refused `$connect` (or Socket.IO CONNECT), by reason.
 *
 * @example
 * countConnectionRefused('unauthorized');
 */
export function countConnectionRefused(reason: ConnectionRefusalReason): void {
  countDimensioned(METRIC.connectionsRefused, 'reason', reason);
}

/** Every error code, so a refusal's `reason` can only ever be one of them (the compiler checks the list). */
const ERROR_CODES: Readonly<Record<ErrorCode, true>> = {
  BAD_REQUEST: true,
  UNAUTHORIZED: true,
  FORBIDDEN: true,
  NOT_FOUND: true,
  CONFLICT: true,
  PAYLOAD_TOO_LARGE: true,
  UNKNOWN_ACTION: true,
  RATE_LIMITED: true,
  TOKEN_EXPIRED: true,
  INTERNAL: true,
};

/**
 * A refused message send, edit or delete, by the error code the client got.
 *
 * @example
 * countMessageRefused('RATE_LIMITED');
 */
export function countMessageRefused(code: ErrorCode): void {
  countDimensioned(METRIC.messagesRefused, 'reason', Object.hasOwn(ERROR_CODES, code) ? code : 'INTERNAL');
}

/** The events a backend may publish; anything else is counted as `other`, so the dimension stays closed. */
const PUBLISHABLE_EVENTS: Readonly<Record<ServerEventName, true>> = {
  'message:new': true,
  'message:edited': true,
  'message:deleted': true,
  'user:online': true,
  'user:offline': true,
  'chat:member-added': true,
  'chat:member-removed': true,
  'chat:role-changed': true,
  'user:blocked': true,
  'user:unblocked': true,
  'user:typing': true,
  'user:stop-typing': true,
  'user:status': true,
  // Call events are relayed by the actions function, never published; they are here because the set is closed over every event name.
  ...(Object.fromEntries(CALL_EVENTS.map((event) => [event, true])) as Record<(typeof CALL_EVENTS)[number], true>),
  'message:read': true,
};

/**
 * One call of the publish route by a backend, dimension `event` (a known
 * event name, else `other`: a caller's own event names never become
 * CloudWatch dimensions).
 *
 * @example
 * countPublisherCall(request.event); // in the publish route, once per call
 */
export function countPublisherCall(event: string): void {
  countDimensioned(METRIC.publisherCalls, 'event', Object.hasOwn(PUBLISHABLE_EVENTS, event) ? event : 'other');
}

/** What one broadcast did: ports.ts BroadcastResult. */
export interface BroadcastCounts {
  readonly recipients: number;
  readonly delivered: number;
  readonly gone: number;
  /** Still failing after the retries: disconnected so it recovers by its positions. */
  readonly disconnected?: number;
  /** Our frame was too big for API Gateway (a bug, logged as an error). */
  readonly undeliverable?: number;
  readonly failed: number;
}

const PRESENCE_EVENTS: ReadonlySet<string> = new Set(['user:online', 'user:offline', 'user:status']);
const TYPING_EVENTS: ReadonlySet<string> = new Set(['user:typing', 'user:stop-typing']);

/**
 * Counts one broadcast's posts (posted, gone, failed), its recipients, and
 * the presence or typing posts among them. Called once per broadcast, not per post.
 *
 * @example
 * countBroadcast('message:new', { recipients: 3, delivered: 2, gone: 1, failed: 0 });
 */
export function countBroadcast(event: ServerEventName, result: BroadcastCounts): void {
  countMetric(METRIC.deliveriesPosted, result.delivered);
  countMetric(METRIC.deliveriesGone, result.gone);
  // Every recipient the post did not reach after its retries, whatever happened to it next.
  countMetric(METRIC.deliveriesFailed, result.failed + (result.disconnected ?? 0) + (result.undeliverable ?? 0));
  recordMetric(METRIC.broadcastRecipients, result.recipients, MetricUnit.Count);
  if (PRESENCE_EVENTS.has(event)) countMetric(METRIC.presencePosts, result.delivered);
  else if (TYPING_EVENTS.has(event)) countMetric(METRIC.typingPosts, result.delivered);
}

/**
 * Counts a cold start (`ColdStart`, dimension `service`), once per
 * execution environment: Powertools remembers whether it already did.
 */
export function captureColdStart(): void {
  metrics.captureColdStartMetric();
}

/**
 * Writes this invocation's metrics (one EMF line for the plain ones, one per
 * reason or event value) and starts the next invocation from zero. Nothing
 * is written when nothing was counted.
 */
export function publishMetrics(): void {
  for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
  counts.clear();
  totals.clear();
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  for (const { name, dimension, value, count } of dimensioned.values()) {
    // A dimension applies to every metric of an EMF line: each value gets a line of its own.
    metrics.singleMetric().addDimension(dimension, value).addMetric(name, MetricUnit.Count, count);
  }
  dimensioned.clear();
}

export { MetricUnit } from '@aws-lambda-powertools/metrics';
