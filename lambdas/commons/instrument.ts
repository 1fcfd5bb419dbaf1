import type { Context } from 'aws-lambda';
import { randomId } from './ids';
import { withCorrelationId } from './logger';
import { captureColdStart, publishMetrics } from './metrics';
import { traceInvocation, tracerReady } from './tracing';

/** A handler as our functions write it (the Context is absent when tests call it directly). */
export type InstrumentedHandler<E, R> = (event: E, context?: Context) => Promise<R>;

export interface InstrumentOptions<E> {
  /**
   * The invocation's correlation id, e.g. API Gateway's
   * `requestContext.requestId`. @default the Lambda request id
   */
  readonly correlationIdOf?: (event: E) => string | undefined;
}

/**
 * Wraps a handler with what every function does per invocation, without a
 * middleware engine: the cold start counted, a correlation id on every log
 * line, an X-Ray subsegment when tracing is on, and the invocation's
 * metrics written at the end, whether it succeeded or threw.
 *
 * @example
 * export const handler = instrumentHandler(
 *   (event: WebSocketRouteEvent) => handle(event),
 *   { correlationIdOf: (event) => event.requestContext.requestId },
 * );
 */
export function instrumentHandler<E, R>(handler: InstrumentedHandler<E, R>, options: InstrumentOptions<E> = {}): InstrumentedHandler<E, R> {
  return async (event, context) => {
    captureColdStart();
    const tracer = await tracerReady;
    const correlationId = options.correlationIdOf?.(event) ?? context?.awsRequestId ?? randomId();
    try {
      return await withCorrelationId(correlationId, () =>
        tracer === undefined ? handler(event, context) : traceInvocation(tracer, context?.functionName ?? 'handler', () => handler(event, context)),
      );
    } finally {
      publishMetrics();
    }
  };
}
