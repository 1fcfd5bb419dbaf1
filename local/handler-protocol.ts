/** Messages between the handler host (handler-host.ts) and its worker (handler-worker-main.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { FunctionName } from '../lambdas/system/topology';

export interface WorkerData {
  /** The functions whose modules the worker imports. */
  readonly names: readonly FunctionName[];
  /** The gateway's in-process `@connections` channel, for the hot posts to `origin` (the callback URL's). */
  readonly postChannel?: { readonly origin: string; readonly port: MessagePort };
}

/** An invocation: the event and how long the function may run. */
export interface HostRequest {
  readonly id: number;
  readonly functionName: FunctionName;
  readonly event: unknown;
  readonly timeoutMs: number;
}

/** An error as it crosses threads (custom classes do not survive structured clone). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'load-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, ...(err.stack !== undefined && { stack: err.stack }) };
  return { name: 'Error', message: String(err) };
}

/** Rebuilds an Error on this side, with the original name and stack. */
export function deserializeError(error: SerializedError): Error {
  return Object.assign(new Error(error.message), { name: error.name, ...(error.stack !== undefined && { stack: error.stack }) });
}
