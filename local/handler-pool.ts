/**
 * Several execution environments of one function, each a worker thread of
 * its own (handler-host.ts with only that function), so invocations run in
 * parallel on as many cores as there are workers: what Lambda's concurrency
 * gives the slice poster. The workers start on the first invocation (a cold
 * start, as in Lambda), and each invocation goes to the worker with the
 * fewest running, so N parallel invocations spread over N workers.
 */
import type { FunctionName } from '../lambdas/system/topology';
import { startHandlerHost, type HandlerHost, type HandlerHostOptions } from './handler-host';
import type { LambdaHandler } from './lambda';

export interface HandlerPoolOptions extends Pick<HandlerHostOptions, 'env' | 'log' | 'onOutput' | 'postChannel'> {
  readonly function: FunctionName;
  /** Worker threads (execution environments). */
  readonly size: number;
}

export interface HandlerPool {
  /** Invokes the function in the least busy worker. */
  readonly handler: LambdaHandler;
  /** Workers started so far (0 until the first invocation). */
  readonly started: number;
  /** Terminates every worker; later invocations fail. */
  close(): Promise<void>;
}

interface Slot {
  readonly host: HandlerHost;
  running: number;
}

/**
 * @example
 * const pool = createHandlerPool({ env, function: 'slicePoster', size: 2 });
 * await pool.handler(slice, context);
 */
export function createHandlerPool(options: HandlerPoolOptions): HandlerPool {
  if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be a positive integer, got ${JSON.stringify(options.size)}`);
  let slots: Promise<Slot[]> | undefined;
  let closed = false;

  const start = (): Promise<Slot[]> => {
    if (closed) return Promise.reject(new Error(`The ${options.function} pool is closed`));
    slots ??= Promise.allSettled(
      Array.from({ length: options.size }, () =>
        startHandlerHost({
          env: options.env,
          only: [options.function],
          ...(options.log !== undefined && { log: options.log }),
          ...(options.onOutput !== undefined && { onOutput: options.onOutput }),
          ...(options.postChannel !== undefined && { postChannel: options.postChannel }),
        }),
      ),
    ).then(async (outcomes) => {
      const hosts = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed === undefined) return hosts.map((host) => ({ host, running: 0 }));
      // No half-started pool: the workers that did start are stopped too.
      await Promise.all(hosts.map((host) => host.close()));
      throw failed.reason;
    });
    // A failed start (a module that does not load) is tried again by the next invocation.
    slots.catch(() => {
      slots = undefined;
    });
    return slots;
  };

  let started = 0;
  return {
    handler: async (event, context) => {
      const all = await start();
      started = all.length;
      const slot = all.reduce((least, next) => (next.running < least.running ? next : least));
      slot.running += 1;
      try {
        return await slot.host.handlers[options.function](event, context);
      } finally {
        slot.running -= 1;
      }
    },
    get started() {
      return started;
    },
    async close() {
      closed = true;
      const all = await slots?.catch(() => []);
      await Promise.all((all ?? []).map((slot) => slot.host.close()));
    },
  };
}
