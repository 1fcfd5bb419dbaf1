import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createContext, invokeHandler, InvocationTimeoutError, type LambdaHandler } from '../../../local/lambda';

const options = { functionName: 'connect', timeoutMs: 1_000 };

describe('Function: createContext', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('describes the function like Lambda does', () => {
    // Act
    const context = createContext('fanOut', 30_000, 'eu-west-1');

    // Assess
    expect(context).toMatchObject({
      functionName: 'fanOut',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:fanOut',
      logGroupName: '/aws/lambda/fanOut',
      callbackWaitsForEmptyEventLoop: false,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives each invocation its own request id', () => {
    // Act
    const ids = new Set(Array.from({ length: 5 }, () => createContext('f', 1_000).awsRequestId));

    // Assess
    expect(ids.size).toBe(5);
  });

  it('counts the remaining time down to zero, never below', () => {
    // Prepare
    vi.useFakeTimers({ now: 1_000_000 });
    const context = createContext('f', 3_000);

    // Act
    const atStart = context.getRemainingTimeInMillis();
    vi.setSystemTime(1_002_000);
    const later = context.getRemainingTimeInMillis();
    vi.setSystemTime(1_010_000);
    const past = context.getRemainingTimeInMillis();

    // Assess
    expect([atStart, later, past]).toEqual([3_000, 1_000, 0]);
  });
});

describe('Function: invokeHandler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with what an async handler returns, passing it the event and a Context', async () => {
    // Prepare
    const handler = vi.fn<LambdaHandler>(async (event: { n: number }, context: Context) => ({ doubled: event.n * 2, fn: context.functionName }));

    // Act
    const result = await invokeHandler(handler, { n: 21 }, options);

    // Assess
    expect(result).toEqual({ doubled: 42, fn: 'connect' });
  });

  it('rejects with what an async handler rejects with', async () => {
    // Prepare
    const handler: LambdaHandler = async () => {
      throw new Error('boom');
    };

    // Act + Assess
    await expect(invokeHandler(handler, {}, options)).rejects.toThrow('boom');
  });

  it('rejects with an Error even when the handler rejects with nothing', async () => {
    // Prepare
    const handler: LambdaHandler = () => Promise.reject(undefined);

    // Act + Assess
    await expect(invokeHandler(handler, {}, options)).rejects.toThrow('Handler rejected');
  });

  it('rejects when a synchronous handler throws', async () => {
    // Prepare
    const handler: LambdaHandler = () => {
      throw new TypeError('bad event');
    };

    // Act + Assess
    await expect(invokeHandler(handler, {}, options)).rejects.toThrow(TypeError);
  });

  it('settles a callback-style handler through its callback', async () => {
    // Prepare
    const ok: LambdaHandler = (_event, _context, callback) => {
      setImmediate(() => callback?.(null, { statusCode: 200 }));
    };
    const failing: LambdaHandler = (_event, _context, callback) => {
      setImmediate(() => callback?.(new Error('callback error')));
    };

    // Act + Assess
    await expect(invokeHandler(ok, {}, options)).resolves.toEqual({ statusCode: 200 });
    await expect(invokeHandler(failing, {}, options)).rejects.toThrow('callback error');
  });

  it('resolves a synchronous two-argument handler with its return value', async () => {
    // Prepare
    const handler: LambdaHandler = () => 'plain';

    // Act + Assess
    await expect(invokeHandler(handler, {}, options)).resolves.toBe('plain');
  });

  it('rejects with InvocationTimeoutError when the handler outlives the timeout', async () => {
    // Prepare
    vi.useFakeTimers();
    const handler: LambdaHandler = () => new Promise(() => undefined);

    // Act
    const invocation = invokeHandler(handler, {}, { functionName: 'connect', timeoutMs: 29_000 });
    const outcome = expect(invocation).rejects.toThrow(new InvocationTimeoutError('connect', 29_000));
    await vi.advanceTimersByTimeAsync(29_000);

    // Assess
    await outcome;
    await expect(invocation).rejects.toBeInstanceOf(InvocationTimeoutError);
  });

  it('keeps the first outcome when a handler both returns and calls back', async () => {
    // Prepare
    const handler: LambdaHandler = async (_event, _context, callback) => {
      callback?.(null, 'from callback');
      return 'from promise';
    };

    // Act + Assess
    await expect(invokeHandler(handler, {}, options)).resolves.toBe('from callback');
  });
});
