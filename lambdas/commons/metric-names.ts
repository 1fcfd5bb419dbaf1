/**
 * The custom metrics of lettera-realtime: one namespace, the names the
 * functions emit (CloudWatch embedded metric format, through the log) and
 * the CDK alarms and dashboard read. Written once so an alarm can never
 * watch a metric nobody emits.
 *
 * Dimensions stay low-cardinality: every metric carries `service` (added by
 * Powertools); a few carry `reason` or `event` from the closed sets below.
 * Never a chat id, user id or connection id: each distinct value is a new
 * CloudWatch metric, billed per month.
 */

/** CloudWatch namespace of every custom metric (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'Lettera/Realtime';

/** The `service` dimension's value (POWERTOOLS_SERVICE_NAME). */
export const SERVICE_NAME = 'lettera-realtime';

export const METRIC = {
  /** A `$connect` accepted (a JSON or Socket.IO connection). */
  connectionsOpened: 'ConnectionsOpened',
  /** A `$connect` refused; dimension `reason`. */
  connectionsRefused: 'ConnectionsRefused',
  /** A `$disconnect` handled. */
  connectionsClosed: 'ConnectionsClosed',
  /** A message sent, edited or deleted and stored. */
  messagesAccepted: 'MessagesAccepted',
  /** A message action refused; dimension `reason` (an error code). */
  messagesRefused: 'MessagesRefused',
  /** PostToConnection calls that delivered. */
  deliveriesPosted: 'DeliveriesPosted',
  /** Recipients that were gone (410) and were removed. */
  deliveriesGone: 'DeliveriesGone',
  /** Recipients that still failed after the retries. */
  deliveriesFailed: 'DeliveriesFailed',
  /** Posts answered with throttling (each attempt). */
  deliveriesThrottled: 'DeliveriesThrottled',
  /** Recipients of one broadcast (statistics: average, maximum). */
  broadcastRecipients: 'BroadcastRecipients',
  /** Time the fan-out spent on one stream record, in ms. */
  fanOutRecordDuration: 'FanOutRecordDuration',
  /** Age of a stream record when the fan-out started on it (commit → fan-out), in ms. */
  streamRecordAge: 'StreamRecordAge',
  /** user:online / user:offline posts. */
  presencePosts: 'PresencePosts',
  /** user:typing / user:stop-typing posts. */
  typingPosts: 'TypingPosts',
  /** Calls of the publish route by a backend; dimension `event`. */
  publisherCalls: 'PublisherCalls',
  /** Socket.IO connections the heartbeat sweep removed. */
  heartbeatRemovals: 'HeartbeatRemovals',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Closed set of `reason` values of ConnectionsRefused. */
export const CONNECTION_REFUSAL_REASONS = ['unauthorized', 'origin', 'too_many_connections', 'bad_request', 'internal'] as const;
export type ConnectionRefusalReason = (typeof CONNECTION_REFUSAL_REASONS)[number];
