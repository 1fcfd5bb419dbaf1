import type { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './metric-names';

/**
 * Whether X-Ray tracing is on: the stack's `tracing` prop sets
 * POWERTOOLS_TRACE_ENABLED=true (off by default). Read once, at cold start.
 * Written as `process.env.POWERTOOLS_TRACE_ENABLED` on purpose: ChatFunction
 * defines it at bundle time too, so a function built without tracing leaves
 * the Tracer and the X-Ray SDK (about 120 KiB minified) out of its bundle.
 */
export const TRACING_ENABLED = process.env.POWERTOOLS_TRACE_ENABLED === 'true';

let tracer: Tracer | undefined;

/**
 * The Powertools Tracer, imported only when tracing is on: it brings the
 * X-Ray SDK, whose cls-hooked context adds an async hook to every promise,
 * a cost a function without tracing should not pay. Resolves to undefined
 * when tracing is off.
 */
export const tracerReady: Promise<Tracer | undefined> =
  // The condition is spelled out (not TRACING_ENABLED) so the bundler can drop the import.
  process.env.POWERTOOLS_TRACE_ENABLED === 'true'
    ? import('@aws-lambda-powertools/tracer').then(({ Tracer: PowertoolsTracer }) => {
        tracer = new PowertoolsTracer({ serviceName: SERVICE_NAME });
        return tracer;
      })
    : Promise.resolve(undefined);

/**
 * Traces an AWS SDK v3 client's calls (a subsegment each) when tracing is
 * on; returns the client unchanged either way. The capture lands before the
 * first invocation runs: instrumentHandler awaits tracerReady first.
 *
 * @example
 * const client = traceClient(new DynamoDBClient({}));
 */
export function traceClient<C extends object>(client: C): C {
  if (TRACING_ENABLED) void tracerReady.then((loaded) => loaded?.captureAWSv3Client(client));
  return client;
}

/**
 * Adds annotations (indexed, searchable in X-Ray) to the current
 * subsegment; does nothing when tracing is off.
 *
 * @example
 * annotateTrace({ records: 100, recipients: 2400 });
 */
export function annotateTrace(annotations: Readonly<Record<string, string | number | boolean>>): void {
  if (tracer === undefined) return;
  for (const [key, value] of Object.entries(annotations)) tracer.putAnnotation(key, value);
}

/**
 * Runs one invocation in a `## <handler>` subsegment annotated with the
 * cold start and the service, recording a thrown error. Neither the event
 * nor the response is added as metadata: they carry tokens and user text.
 */
export async function traceInvocation<R>(active: Tracer, name: string, run: () => Promise<R>): Promise<R> {
  const segment = active.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${name}`);
  if (subsegment !== undefined) active.setSegment(subsegment);
  active.annotateColdStart();
  active.addServiceNameAnnotation();
  try {
    return await run();
  } catch (err) {
    active.addErrorAsMetadata(err as Error);
    throw err;
  } finally {
    subsegment?.close();
    if (segment !== undefined) active.setSegment(segment);
  }
}
