import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { afterEach, describe, expect, it, vi } from 'vitest';

type TracingModule = typeof import('../../../../lambdas/commons/tracing');
const MODULE = '../../../../lambdas/commons/tracing';

async function loadTracing(enabled: boolean): Promise<TracingModule> {
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', String(enabled));
  vi.resetModules();
  return (await import(MODULE)) as TracingModule;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('Constant: tracerReady', () => {
  it('loads no Tracer when tracing is off (the default), and leaves clients alone', async () => {
    // Prepare
    const capture = vi.spyOn(Tracer.prototype, 'captureAWSv3Client');
    const tracing = await loadTracing(false);
    const client = new DynamoDBClient({});
    const middlewares = client.middlewareStack.identify().length;

    // Act
    const traced = tracing.traceClient(client);
    const tracer = await tracing.tracerReady;
    tracing.annotateTrace({ records: 1 });

    // Assess
    expect(tracing.TRACING_ENABLED).toBe(false);
    expect(tracer).toBeUndefined();
    expect(traced).toBe(client);
    expect(client.middlewareStack.identify()).toHaveLength(middlewares);
    expect(capture).not.toHaveBeenCalled();
  });

  it('loads the Powertools Tracer and captures each client when POWERTOOLS_TRACE_ENABLED=true', async () => {
    // Prepare
    const capture = vi.spyOn(Tracer.prototype, 'captureAWSv3Client');
    const annotate = vi.spyOn(Tracer.prototype, 'putAnnotation');
    const tracing = await loadTracing(true);
    const client = new DynamoDBClient({});

    // Act
    const traced = tracing.traceClient(client);
    const tracer = await tracing.tracerReady;
    tracing.annotateTrace({ records: 3, recipients: 12 });

    // Assess
    expect(tracer).toBeInstanceOf(Tracer);
    expect(traced).toBe(client);
    expect(capture).toHaveBeenCalledWith(client);
    expect(annotate.mock.calls).toEqual([
      ['records', 3],
      ['recipients', 12],
    ]);
  });
});

describe('Function: traceInvocation', () => {
  function fakeTracer() {
    const subsegment = { close: vi.fn() };
    const segment = { addNewSubsegment: vi.fn(() => subsegment) };
    const tracer = {
      getSegment: vi.fn(() => segment),
      setSegment: vi.fn(),
      annotateColdStart: vi.fn(),
      addServiceNameAnnotation: vi.fn(),
      addErrorAsMetadata: vi.fn(),
    };
    return { tracer, segment, subsegment, asTracer: tracer as unknown as Tracer };
  }

  it('runs the invocation in a subsegment annotated with cold start and service, then restores the segment', async () => {
    // Prepare
    const { tracer, segment, subsegment, asTracer } = fakeTracer();
    const tracing = await loadTracing(false);

    // Act
    const result = await tracing.traceInvocation(asTracer, 'fanOut', async () => 'ok');

    // Assess
    expect(result).toBe('ok');
    expect(segment.addNewSubsegment).toHaveBeenCalledWith('## fanOut');
    expect(tracer.setSegment.mock.calls).toEqual([[subsegment], [segment]]);
    expect(tracer.annotateColdStart).toHaveBeenCalledOnce();
    expect(tracer.addServiceNameAnnotation).toHaveBeenCalledOnce();
    expect(subsegment.close).toHaveBeenCalledOnce();
  });

  it('records a thrown error on the subsegment and rethrows it', async () => {
    // Prepare
    const { tracer, subsegment, asTracer } = fakeTracer();
    const tracing = await loadTracing(false);
    const error = new Error('boom');

    // Act
    const run = tracing.traceInvocation(asTracer, 'actions', async () => {
      throw error;
    });

    // Assess
    await expect(run).rejects.toBe(error);
    expect(tracer.addErrorAsMetadata).toHaveBeenCalledWith(error);
    expect(subsegment.close).toHaveBeenCalledOnce();
  });
});
