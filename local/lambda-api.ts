/**
 * Lambda's Invoke API, for the functions one function invokes (the slice
 * poster): `POST /2015-03-31/functions/{name}/invocations`, synchronous
 * (RequestResponse) only. The handlers reach it through
 * AWS_ENDPOINT_URL_LAMBDA, as they reach DynamoDB Local, so the fan-out runs
 * the code it runs in AWS. A function that throws or times out answers 200
 * with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage}`, as
 * Lambda does; a refused call answers with `x-amzn-ErrorType`. The SigV4
 * signature is accepted unchecked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { InvocationTimeoutError, invokeHandler, type LambdaHandler } from './lambda';
import { readBodyUpTo } from './read-body';

/** Lambda's limit on a synchronous invocation's payload. */
export const MAX_INVOKE_BYTES = 6 * 1024 * 1024;

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A function the API serves: its handler and its timeout. */
export interface InvokableFunction {
  readonly handler: LambdaHandler;
  readonly timeoutMs: number;
}

export interface LambdaApiOptions {
  readonly functions: Readonly<Record<string, InvokableFunction>>;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface LambdaApi {
  /** `http://host:port`: the handlers' AWS_ENDPOINT_URL_LAMBDA. */
  readonly endpoint: string;
  /** Invocations answered, per function (function errors included). */
  readonly invocations: Readonly<Record<string, number>>;
  /**
   * Fault injection for tests: the next `count` invocations of `name` (whose
   * event `matching` accepts, by default any) fail as a crashed function
   * does (a function error; the handler never runs).
   */
  failNext(name: string, count?: number, matching?: (event: unknown) => boolean): void;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, errorType: string, message: string): void {
  res.writeHead(status, { 'x-amzn-ErrorType': errorType, 'x-amzn-RequestId': randomUUID(), 'content-type': 'application/json' });
  res.end(JSON.stringify({ Type: 'User', message }));
}

function functionError(res: ServerResponse, errorType: string, errorMessage: string): void {
  res.writeHead(200, { 'X-Amz-Function-Error': 'Unhandled', 'x-amzn-RequestId': randomUUID(), 'content-type': 'application/json' });
  res.end(JSON.stringify({ errorType, errorMessage, trace: [] }));
}

/**
 * @example
 * const api = await startLambdaApi({ functions: { slicePoster: { handler, timeoutMs: 20_000 } } });
 * env.AWS_ENDPOINT_URL_LAMBDA = api.endpoint;
 */
export async function startLambdaApi(options: LambdaApiOptions): Promise<LambdaApi> {
  const invocations: Record<string, number> = {};
  const faults: { name: string; left: number; matching: (event: unknown) => boolean }[] = [];

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const match = PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (req.method !== 'POST' || match === null) return refuse(res, 404, 'UnknownOperationException', 'Only Invoke is emulated');
    const name = decodeURIComponent(match[1] as string);
    const fn = options.functions[name];
    if (fn === undefined) return refuse(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (type !== 'RequestResponse') return refuse(res, 400, 'InvalidParameterValueException', `Only RequestResponse invocations are emulated, got ${String(type)}`);
    const body = await readBodyUpTo(req, MAX_INVOKE_BYTES);
    if (body === undefined) return refuse(res, 413, 'RequestTooLargeException', `Request must be smaller than ${MAX_INVOKE_BYTES} bytes for the InvokeFunction operation`);
    let event: unknown;
    try {
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }

    invocations[name] = (invocations[name] ?? 0) + 1;
    const fault = faults.find((candidate) => candidate.name === name && candidate.left > 0 && candidate.matching(event));
    if (fault !== undefined) {
      fault.left -= 1;
      return functionError(res, 'Runtime.ExitError', 'injected fault: the function crashed (LambdaApi.failNext)');
    }
    try {
      const result = await invokeHandler(fn.handler, event, { functionName: name, timeoutMs: fn.timeoutMs });
      res.writeHead(200, { 'x-amzn-RequestId': randomUUID(), 'X-Amz-Executed-Version': '$LATEST', 'content-type': 'application/json' });
      res.end(JSON.stringify(result ?? null));
    } catch (err) {
      if (err instanceof InvocationTimeoutError) return functionError(res, 'Sandbox.Timedout', `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`);
      const error = err instanceof Error ? err : new Error(String(err));
      functionError(res, error.name, error.message);
    }
  };

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'ServiceException', err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://${address.address}:${address.port}`,
    invocations,
    failNext(name, count = 1, matching = () => true) {
      faults.push({ name, left: count, matching });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
