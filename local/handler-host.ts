/**
 * Runs the handler modules of one local runtime in a worker thread of its
 * own, with that runtime's environment as the worker's process.env. The
 * modules read their environment once, at import, as in Lambda; in a worker,
 * two runtimes in one process (tests, tools) each get their own clients,
 * tables and callback URL, and the parent's process.env is never written.
 * A worker that dies (an uncaught error) fails the invocations it was
 * running and is replaced on the next one: a new cold start, as in Lambda.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker, type MessagePort } from 'node:worker_threads';
import { functions, type FunctionName } from '../lambdas/system/topology';
import { applyEnv } from './handler-env';
import { HandlerModuleError, type FunctionHandlers } from './handlers';
import { deserializeError, type HostRequest, type WorkerData, type WorkerMessage } from './handler-protocol';
import type { LambdaHandler } from './lambda';

const WORKER_ENTRY = new URL('./handler-worker.mjs', import.meta.url);

export interface HandlerHostOptions {
  /** The handlers' variables (buildHandlerEnv); `undefined` removes one from the inherited environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Functions served in this thread instead (fakes in tests); only the others are imported in the worker. */
  readonly overrides?: Partial<FunctionHandlers>;
  /** Import only these functions in the worker (a pool of one function's workers); the others fail if invoked. @default every function */
  readonly only?: readonly FunctionName[];
  /** Worker stderr notices (a worker that died). @default console.error */
  readonly log?: (message: string, error?: unknown) => void;
  /**
   * Receives each line the handlers write (their logs, their EMF metrics)
   * instead of this process's stdout/stderr getting it.
   * @default the lines go straight to this process's stdout and stderr
   */
  readonly onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Opens the gateway's in-process `@connections` channel for a new worker
   * (Gateway.openPostChannel); the worker's hot posts to `origin` go through it.
   * @default every post is an HTTP request to the callback URL
   */
  readonly postChannel?: { readonly origin: string; open(): MessagePort };
}

export interface HandlerHost {
  /** Every function's handler: the override, or a proxy into the worker. */
  readonly handlers: FunctionHandlers;
  /** Terminates the worker; later invocations fail. */
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Starts the worker, waits until its modules are imported, and resolves with
 * the handlers; rejects with HandlerModuleError when a module is missing or
 * fails at import (a bad configuration fails here, as a cold start would).
 *
 * @example
 * const host = await startHandlerHost({ env: buildHandlerEnv({ … }) });
 * gateway.setRoutes({ $connect: host.handlers.connect });
 */
export async function startHandlerHost(options: HandlerHostOptions): Promise<HandlerHost> {
  const overrides = options.overrides ?? {};
  const log = options.log ?? ((message: string, error?: unknown) => console.error(`[handlers] ${message}`, error ?? ''));
  const names = (options.only ?? (Object.keys(functions) as FunctionName[])).filter((name) => overrides[name] === undefined);
  const workerEnv: NodeJS.ProcessEnv = { ...process.env };
  applyEnv(options.env, workerEnv);
  // This process has already warned about its Node version once; each worker would repeat it.
  workerEnv.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const pending = new Map<number, Pending>();
  let nextId = 0;
  let closed = false;
  let current: Promise<Worker> | undefined;

  const spawn = (): Promise<Worker> =>
    new Promise<Worker>((resolve, reject) => {
      const { onOutput } = options;
      const postChannel = options.postChannel === undefined ? undefined : { origin: options.postChannel.origin, port: options.postChannel.open() };
      const worker = new Worker(WORKER_ENTRY, {
        env: workerEnv,
        workerData: { names, ...(postChannel !== undefined && { postChannel }) } satisfies WorkerData,
        ...(postChannel !== undefined && { transferList: [postChannel.port] }),
        ...(onOutput !== undefined && { stdout: true, stderr: true }),
      });
      if (onOutput !== undefined) {
        const lines = (stream: Readable, name: 'stdout' | 'stderr'): void => {
          createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => onOutput(line, name));
        };
        lines(worker.stdout, 'stdout');
        lines(worker.stderr, 'stderr');
      }
      let ready = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          ready = true;
          resolve(worker);
        } else if (message.type === 'load-error') {
          reject(new HandlerModuleError(`Handler modules failed to load: ${message.error.message}`, { cause: deserializeError(message.error) }));
          void worker.terminate();
        } else {
          const entry = pending.get(message.id);
          pending.delete(message.id);
          if (message.ok) entry?.resolve(message.value);
          else entry?.reject(deserializeError(message.error));
        }
      });
      const fail = (error: Error): void => {
        if (current !== undefined) current = undefined;
        if (!ready) reject(error);
        for (const [id, entry] of pending) {
          pending.delete(id);
          entry.reject(error);
        }
      };
      worker.on('error', (err) => {
        if (!closed) log('handler worker failed; the next invocation starts a new one', err);
        fail(err);
      });
      worker.on('exit', (code) => fail(new Error(`The handler worker exited (code ${code})`)));
    });

  const workerFor = (): Promise<Worker> => {
    if (closed) return Promise.reject(new Error('The handler host is closed'));
    current ??= spawn();
    return current;
  };

  const proxy =
    (functionName: FunctionName): LambdaHandler =>
    async (event, context) => {
      const worker = await workerFor();
      const id = nextId++;
      return new Promise<unknown>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: HostRequest = { id, functionName, event, timeoutMs: context.getRemainingTimeInMillis() };
        try {
          worker.postMessage(request);
        } catch (err) {
          pending.delete(id);
          reject(err as Error);
        }
      });
    };

  if (names.length > 0) await workerFor();
  const handlers = Object.fromEntries(
    (Object.keys(functions) as FunctionName[]).map((name) => [name, overrides[name] ?? proxy(name)]),
  ) as FunctionHandlers;
  return {
    handlers,
    async close() {
      closed = true;
      const worker = await current?.catch(() => undefined);
      current = undefined;
      await worker?.terminate();
    },
  };
}
