/**
 * Invoking a handler module the way Lambda does: one event, a Context, the
 * function's timeout enforced. Shared by the gateway, the HTTP API and the
 * stream pollers so every invocation behaves the same.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Any Lambda handler: async, or the older callback style. */
export type LambdaHandler = (event: any, context: Context, callback?: (err?: unknown, result?: unknown) => void) => unknown;

/** Raised when a handler runs past its function timeout. */
export class InvocationTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'InvocationTimeoutError';
  }
}

export interface InvokeOptions {
  /** Logical function name, for the Context and error messages. */
  readonly functionName: string;
  /** The function (or integration) timeout. */
  readonly timeoutMs: number;
}

/** Builds a Lambda Context whose remaining time counts down from now. */
export function createContext(functionName: string, timeoutMs: number, region = process.env.AWS_REGION ?? 'us-east-1'): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Runs a handler with a fresh Context and rejects with
 * InvocationTimeoutError when it exceeds the timeout (the handler keeps
 * running in the background, as a timed-out Lambda's process would be frozen).
 *
 * @example
 * const result = await invokeHandler(handler, event, { functionName: 'connect', timeoutMs: 29_000 });
 */
export function invokeHandler(handler: LambdaHandler, event: unknown, options: InvokeOptions): Promise<unknown> {
  const context = createContext(options.functionName, options.timeoutMs);
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new InvocationTimeoutError(options.functionName, options.timeoutMs)), options.timeoutMs);
    const settle = (err: unknown, result?: unknown): void => {
      clearTimeout(timer);
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    try {
      const returned = handler(event, context, (err, result) => settle(err, result));
      // Async handlers settle through their promise; callback handlers return undefined.
      if (returned !== undefined && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then((result) => settle(undefined, result), (err: unknown) => settle(err ?? new Error('Handler rejected')));
      } else if (handler.length < 3) {
        settle(undefined, returned);
      }
    } catch (err) {
      settle(err ?? new Error('Handler threw'));
    }
  });
}
