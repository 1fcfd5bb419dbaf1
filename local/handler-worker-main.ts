/**
 * Inside a handler worker: imports the handler modules with this thread's
 * own process.env (the runtime's handler environment) and runs each
 * invocation the parent sends, as one Lambda execution environment would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { routePostsThrough } from '../lambdas/adapters/api-gateway/poster';
import { channelTransport } from './gateway/post-channel';
import type { FunctionName } from '../lambdas/system/topology';
import { importHandler } from './handlers';
import { invokeHandler, type LambdaHandler } from './lambda';
import { serializeError, type HostRequest, type WorkerMessage, type WorkerData } from './handler-protocol';

const port = parentPort;
if (port === null) throw new Error('handler-worker-main.ts runs only as a worker thread');
const post = (message: WorkerMessage): void => port.postMessage(message);

const { names, postChannel } = workerData as WorkerData;
// Before the handler modules create their posters at import.
if (postChannel !== undefined) routePostsThrough(postChannel.origin, channelTransport(postChannel.port));
const handlers = new Map<FunctionName, LambdaHandler>();
try {
  for (const name of names) handlers.set(name, await importHandler(name));
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'load-error', error: serializeError(err) });
}

port.on('message', (request: HostRequest) => {
  const handler = handlers.get(request.functionName);
  const run =
    handler === undefined
      ? Promise.reject(new Error(`Function ${request.functionName} is not loaded in this worker`))
      : invokeHandler(handler, request.event, { functionName: request.functionName, timeoutMs: request.timeoutMs });
  run.then(
    (value) => {
      try {
        post({ type: 'result', id: request.id, ok: true, value });
      } catch (err) {
        // A result structured clone cannot copy (a function…) is the handler's fault.
        post({ type: 'result', id: request.id, ok: false, error: serializeError(err) });
      }
    },
    (err: unknown) => post({ type: 'result', id: request.id, ok: false, error: serializeError(err) }),
  );
});
