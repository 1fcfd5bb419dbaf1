/**
 * A local stand-in for API Gateway's @connections API, for the signed
 * poster's tests: it records every request (method, path, headers, body)
 * and answers each connection id from a script of outcomes, then 200.
 * An outcome is a status (410 carries `x-amzn-ErrorType: GoneException` as
 * API Gateway does), `hang` (never answered), `reset` (socket destroyed),
 * or a 500 whose body stops short: `cut` (then the socket is destroyed) or
 * `stall` (then nothing more is sent).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, vi } from 'vitest';
import type { AddressInfo, Socket } from 'node:net';

export interface SinkRequest {
  method: string;
  path: string;
  connectionId: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SinkOutcome = number | 'hang' | 'reset' | 'cut' | 'stall';

export interface ConnectionsSink {
  /** `http://127.0.0.1:{port}/stage`, a stage's callback URL. */
  readonly endpoint: string;
  readonly requests: SinkRequest[];
  /** TCP connections accepted since the last reset (keep-alive reuses them). */
  readonly sockets: () => number;
  /** The next outcomes for a connection id, in order; after them, 200. */
  script(connectionId: string, ...outcomes: SinkOutcome[]): void;
  /** Requests to one connection id (any method). */
  requestsTo(connectionId: string, method?: string): SinkRequest[];
  /** Forgets requests, scripts and the socket count. */
  reset(): void;
  close(): Promise<void>;
}

/** The error types API Gateway names in `x-amzn-ErrorType` (5xx are sent without one here). */
const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestException',
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
};

function answer(res: ServerResponse, status: number): void {
  const errorType = ERROR_TYPES[status];
  res.writeHead(status, { 'content-type': 'application/json', ...(errorType !== undefined && { 'x-amzn-ErrorType': errorType }) });
  // API Gateway's 410 has an empty body; the other errors carry a message.
  res.end(status < 300 || status === 410 ? '' : JSON.stringify({ message: `status ${status}` }));
}

/**
 * Starts a sink on a free port of 127.0.0.1.
 *
 * @example
 * const sink = await startConnectionsSink();
 * sink.script('c1', 410);
 * await createSignedPoster({ endpoint: sink.endpoint, ... }).post('c1', frame, 1000); // rejects GoneException
 */
export async function startConnectionsSink(): Promise<ConnectionsSink> {
  const requests: SinkRequest[] = [];
  const scripts = new Map<string, SinkOutcome[]>();
  const open = new Set<Socket>();
  let sockets = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const connectionId = decodeURIComponent(path.split('/@connections/')[1] ?? '');
      requests.push({ method: req.method ?? '', path, connectionId, headers: req.headers, body: Buffer.concat(chunks) });
      const outcome = scripts.get(connectionId)?.shift() ?? 200;
      if (outcome === 'hang') return;
      if (outcome === 'reset') {
        req.socket.destroy();
        return;
      }
      if (outcome === 'cut' || outcome === 'stall') {
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"message":');
        if (outcome === 'cut') setImmediate(() => req.socket.destroy());
        return;
      }
      answer(res, outcome);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets += 1;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}/stage`,
    requests,
    sockets: () => sockets,
    script(connectionId, ...outcomes) {
      scripts.set(connectionId, [...(scripts.get(connectionId) ?? []), ...outcomes]);
    },
    requestsTo(connectionId, method) {
      return requests.filter((r) => r.connectionId === connectionId && (method === undefined || r.method === method));
    },
    reset() {
      requests.length = 0;
      scripts.clear();
      sockets = 0;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A handler module loaded with a sink as its callback URL (see useHandlerOverSink). */
export interface HandlerOverSink<H> {
  sink(): ConnectionsSink;
  handler(): H;
}

/**
 * For a handler test file: starts a sink before the file's tests, loads the
 * handler module afresh with WS_CALLBACK_URL pointing at it (handlers read
 * it once, at load), and restores the variable and stops the sink after.
 *
 * @example
 * const over = useHandlerOverSink(async () => (await import('../../../../lambdas/handlers/fan-out')).handler);
 * it('posts', async () => { await over.handler()(event); expect(over.sink().requests).toHaveLength(2); });
 */
export function useHandlerOverSink<H>(load: () => Promise<H>): HandlerOverSink<H> {
  let sink: ConnectionsSink | undefined;
  let handler: H | undefined;
  let saved: string | undefined;
  beforeAll(async () => {
    sink = await startConnectionsSink();
    saved = process.env.WS_CALLBACK_URL;
    process.env.WS_CALLBACK_URL = sink.endpoint;
    vi.resetModules();
    handler = await load();
  });
  afterAll(async () => {
    process.env.WS_CALLBACK_URL = saved;
    await sink?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('The sink has not started (use it inside a test)');
    return value;
  };
  return { sink: () => started(sink), handler: () => started(handler) };
}
