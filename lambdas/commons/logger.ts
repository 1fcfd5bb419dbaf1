import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { SERVICE_NAME } from './metric-names';

/**
 * The correlation id of the work in progress: an API Gateway request id, a
 * stream record's eventID. Kept per async context rather than with
 * `appendKeys`, because one process runs several at once: the fan-out's
 * record groups run concurrently, and the local runtime runs concurrent
 * invocations in one worker.
 */
const correlation = new AsyncLocalStorage<string>();

/**
 * Powertools' standard JSON keys plus `correlation_id` from the current
 * async context (PowertoolsLogFormatter is not exported, so its keys are
 * written out here).
 */
class CorrelatedLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_arn: context?.invokedFunctionArn,
        function_memory_size: context?.memoryLimitInMB,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        correlation_id: correlation.getStore(),
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/**
 * The one Powertools logger of the Lambda functions. The level comes from
 * POWERTOOLS_LOG_LEVEL (SILENT in unit tests). Every line written inside
 * `withCorrelationId` carries that `correlation_id`. Never log tokens,
 * message content or whole events: they carry credentials and user text.
 *
 * @example
 * logger.warn('token refused', { reason: 'ERR_JWT_EXPIRED' });
 */
export const logger = new Logger({ serviceName: SERVICE_NAME, logFormatter: new CorrelatedLogFormatter() });

/**
 * Runs `work` with `id` as the correlation id of every log line it (and
 * anything it awaits) writes; an inner call overrides an outer one.
 *
 * @example
 * await withCorrelationId(event.requestContext.requestId, () => handle(event));
 */
export function withCorrelationId<T>(id: string, work: () => T): T {
  return correlation.run(id, work);
}

/** The correlation id of the current async context, if any. */
export function currentCorrelationId(): string | undefined {
  return correlation.getStore();
}
