import type { Tracer } from '@aws-lambda-powertools/tracer';
import { optionalEnv } from './env';
import { SERVICE_NAME } from './metric-names';

/**
 * Whether X-Ray tracing is on: the stack's `tracing` prop sets
 * POWERTOOLS_TRACE_ENABLED=true (off by default). Read once, at cold start.
 */
export const TRACING_ENABLED = optionalEnv('POWERTOOLS_TRACE_ENABLED') === 'true';

let tracer: Tracer | undefined;

/**
 * The Powertools Tracer, imported only when tracing is on: it brings the
 * X-Ray SDK, whose cls-hooked context adds an async hook to every promise,
 * a cost a function without tracing should not pay. Resolves to undefined
 * when tracing is off.
 */
export const tracerReady: Promise<Tracer | undefined> = TRACING_ENABLED
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
