import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFunctionInvoker, FunctionInvocationError, InvokeRefusedError } from '../../../lambdas/adapters/lambda/invoker';
import { startLambdaApi, type LambdaApi } from '../../../local/lambda-api';
import type { LambdaHandler } from '../../../local/lambda';
import { sdkSha256 } from '../../helpers/sigv4';

let api: LambdaApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** The fan-out's own invoker, pointed at the emulator: the client that runs in AWS. */
function invokerFor(functionName: string) {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return createFunctionInvoker({ functionName, endpoint: api!.endpoint, region: 'eu-west-1', credentials, sha256: sdkSha256, timeoutMs: 5_000 });
}

async function start(handler: LambdaHandler, timeoutMs = 5_000): Promise<void> {
  api = await startLambdaApi({ functions: { slicePoster: { handler, timeoutMs } } });
}

describe('Function: startLambdaApi', () => {
  it('runs the function with the payload and answers its result', async () => {
    // Prepare
    const handler = vi.fn(async (event: { n: number }) => ({ doubled: event.n * 2 }));
    await start(handler);

    // Act
    const result = await invokerFor('slicePoster')({ n: 21 });

    // Assess
    expect(result).toEqual({ doubled: 42 });
    expect(handler).toHaveBeenCalledWith({ n: 21 }, expect.objectContaining({ functionName: 'slicePoster' }), expect.any(Function));
    expect(api!.invocations).toEqual({ slicePoster: 1 });
  });

  it('answers a function that throws as Lambda does: a function error with its type and message', async () => {
    // Prepare
    await start(async () => {
      throw Object.assign(new Error('slice.members must be a non-empty array'), { name: 'MalformedSliceError' });
    });

    // Act
    const caught = await invokerFor('slicePoster')({}).catch((err: unknown) => err);

    // Assess
    expect(caught).toBeInstanceOf(FunctionInvocationError);
    expect((caught as FunctionInvocationError).errorType).toBe('MalformedSliceError');
    expect((caught as Error).message).toContain('slice.members must be a non-empty array');
  });

  it('answers a function that outlives its timeout with Lambda\'s timeout error', async () => {
    // Prepare
    await start(() => new Promise(() => undefined), 50);

    // Act
    const caught = await invokerFor('slicePoster')({}).catch((err: unknown) => err);

    // Assess
    expect((caught as FunctionInvocationError).errorType).toBe('Sandbox.Timedout');
    expect((caught as Error).message).toContain('Task timed out after 0.05 seconds');
  });

  it('refuses an unknown function with ResourceNotFoundException', async () => {
    // Prepare
    await start(vi.fn());

    // Act
    const caught = await invokerFor('nobody')({}).catch((err: unknown) => err);

    // Assess
    expect(caught).toBeInstanceOf(InvokeRefusedError);
    expect((caught as InvokeRefusedError).name).toBe('ResourceNotFoundException');
    expect((caught as InvokeRefusedError).statusCode).toBe(404);
  });

  it('refuses asynchronous invocations, which it does not emulate', async () => {
    // Prepare
    await start(vi.fn());

    // Act
    const response = await fetch(`${api!.endpoint}/2015-03-31/functions/slicePoster/invocations`, { method: 'POST', headers: { 'x-amz-invocation-type': 'Event' }, body: '{}' });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
  });

  it('fails the next matching invocations without running the function (failNext)', async () => {
    // Prepare
    const handler = vi.fn(async () => 'ran');
    await start(handler);
    api!.failNext('slicePoster', 2, (event) => (event as { slice: number }).slice === 2);
    const invoke = invokerFor('slicePoster');

    // Act
    const outcomes = await Promise.all([1, 2, 2, 2].map((slice) => invoke({ slice }).then(() => 'ok', (err: Error) => err.name)));

    // Assess
    expect(outcomes.sort()).toEqual(['FunctionInvocationError', 'FunctionInvocationError', 'ok', 'ok']);
    expect(handler).toHaveBeenCalledTimes(2);
  });
});
