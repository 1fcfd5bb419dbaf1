/**
 * Test helpers for anything that talks to the local runtime: start and stop
 * the whole runtime in-process on free ports, connect real `ws` clients and
 * read their frames one event at a time (architect's connectWebSocket() /
 * nextEvent()). Reused by integration and e2e suites.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';

export type { LocalRuntime } from '../../local/runtime';

/**
 * Starts DynamoDB Local, the tables, the gateway, the HTTP API and the
 * stream pollers on free ports, with the real handlers (or `handlers`
 * given), no seed data and quiet logs. Call `runtime.stop()` in afterAll.
 *
 * @example
 * let runtime: LocalRuntime;
 * beforeAll(async () => { runtime = await startTestRuntime(); });
 * afterAll(() => runtime.stop());
 */
export function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  return startLocalRuntime({
    wsPort: 0,
    httpPort: 0,
    seed: false,
    quiet: true,
    jwtSecret: 'integration-test-secret-that-is-long-enough',
    ...options,
  });
}

/** A frame as received: parsed JSON when it is JSON, the raw text otherwise. */
export type Frame = any;

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A connected client that queues every frame it receives. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** The subprotocol the server echoed ('' when none). */
  readonly protocol: string;
  /** Every frame received so far, consumed or not. */
  readonly received: readonly Frame[];
  /** Resolves with the next unconsumed frame matching predicate (default: any), or rejects after timeoutMs. */
  nextEvent(predicate?: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Sends an object as JSON, or a string / Buffer as is. */
  send(data: unknown): void;
  /** Closes (with an optional code) and resolves with what the client saw. */
  close(code?: number, reason?: string): Promise<CloseInfo>;
  /** Resolves when the socket has closed, however that happened. */
  readonly closed: Promise<CloseInfo>;
}

export interface ConnectOptions {
  /** Sent as `?token=`. */
  readonly token?: string;
  /** Offered subprotocols (Sec-WebSocket-Protocol). */
  readonly protocols?: string | string[];
  readonly headers?: Record<string, string>;
  /** Extra query parameters. */
  readonly query?: Record<string, string>;
}

function withQuery(url: string, options: ConnectOptions): string {
  const target = new URL(url);
  if (options.token !== undefined) target.searchParams.set('token', options.token);
  for (const [key, value] of Object.entries(options.query ?? {})) target.searchParams.set(key, value);
  return target.toString();
}

function parseFrame(data: WebSocket.RawData, isBinary: boolean): Frame {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  if (isBinary) return buffer;
  const text = buffer.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Opens a WebSocket and resolves once it is open; rejects with the HTTP
 * status (error.statusCode) when the upgrade is refused.
 *
 * @example
 * const alice = await connectWebSocket(runtime.wsUrl, { token: await runtime.token('alice') });
 * const event = await alice.nextEvent((f) => f.event === 'message:new');
 */
export function connectWebSocket(url: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(withQuery(url, options), options.protocols ?? [], { headers: options.headers ?? {} });
  const received: Frame[] = [];
  const unconsumed: Frame[] = [];
  const waiters: { predicate: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  ws.on('message', (data, isBinary) => {
    const frame = parseFrame(data, isBinary);
    received.push(frame);
    const index = waiters.findIndex((w) => w.predicate(frame));
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(frame);
    else unconsumed.push(frame);
  });
  const closed = new Promise<CloseInfo>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const socket: TestSocket = {
    ws,
    get protocol() {
      return ws.protocol;
    },
    received,
    closed,
    nextEvent(predicate = () => true, timeoutMs = 5_000) {
      const index = unconsumed.findIndex(predicate);
      if (index >= 0) return Promise.resolve(unconsumed.splice(index, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (frame: Frame) => {
            clearTimeout(timer);
            resolve(frame);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`No matching frame within ${timeoutMs} ms; received: ${JSON.stringify(received).slice(0, 2000)}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    send(data) {
      ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
    },
    close(code, reason) {
      if (ws.readyState === ws.CLOSED) return closed;
      ws.close(code, reason);
      return closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      const error = Object.assign(new Error(`Unexpected server response: ${res.statusCode}`), { statusCode: res.statusCode });
      res.resume();
      ws.terminate();
      reject(error);
    });
    ws.once('error', (err) => reject(err));
  });
}

/**
 * Attempts a connection that should be refused and resolves with the HTTP
 * status of the refusal (rejects when the connection opens instead).
 *
 * @example
 * expect(await upgradeStatus(runtime.wsUrl, { token: 'bad' })).toBe(401);
 */
export async function upgradeStatus(url: string, options: ConnectOptions = {}): Promise<number> {
  try {
    const socket = await connectWebSocket(url, options);
    await socket.close();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined) return status;
    throw err;
  }
  throw new Error('The upgrade was accepted');
}

/** The event a frame carries, for nextEvent predicates. */
export const isEvent =
  (name: string, where: (data: any) => boolean = () => true) =>
  (frame: Frame): boolean =>
    typeof frame === 'object' && frame !== null && frame.event === name && where(frame.data);

/**
 * Polls until check returns a truthy value (or resolves to one) and returns it.
 *
 * @example
 * await waitFor(async () => (await rowsOf(id)).length === 0);
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** An HTTP API response: status and parsed JSON body (undefined when empty). */
export interface ApiResponse {
  status: number;
  json: any;
  headers: Headers;
}

/**
 * Calls the runtime's HTTP API as a user (a fresh dev token each time).
 *
 * @example
 * const { status, json } = await callHttpApi(runtime, 'alice', 'GET', '/chats');
 */
export async function callHttpApi(runtime: LocalRuntime, userId: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const response = await fetch(`${runtime.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await runtime.token(userId)}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

/** Creates a chat through the HTTP API and returns its id; throws unless the API answers 201. */
export async function createChat(runtime: LocalRuntime, owner: string, participants: string[], title = 'test'): Promise<string> {
  const { status, json } = await callHttpApi(runtime, owner, 'POST', '/chats', { title, participants });
  if (status !== 201) throw new Error(`POST /chats answered ${status}: ${JSON.stringify(json)}`);
  return json.chatId as string;
}

/**
 * Sends a WebSocket upgrade request over a raw TCP socket and closes it
 * `closeAfterMs` later (0: at once), with a FIN, or a reset with `reset:
 * true`, as a client that gives up mid-handshake does. Resolves once the
 * socket closed; after a FIN that is when the server closed its side, so
 * the server has handled the request by then (a reset gives no such order).
 *
 * @example
 * await Promise.all(Array.from({ length: 5 }, () => abortedUpgrade(runtime.wsUrl, { token })));
 */
export function abortedUpgrade(wsUrl: string, options: { token?: string; reset?: boolean; closeAfterMs?: number } = {}): Promise<void> {
  const url = new URL(wsUrl);
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(url.port), url.hostname, () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      const close = (): void => void (options.reset === true ? socket.resetAndDestroy() : socket.end());
      if ((options.closeAfterMs ?? 0) === 0) close();
      else setTimeout(close, options.closeAfterMs);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.resume(); // Read (and drop) whatever the server answers, so its FIN arrives.
    socket.on('close', () => resolve());
  });
}

/**
 * Opens a `ws` client and closes it `delayMs` after it was created (`from:
 * 'start'`, so possibly while still connecting) or after it opened (`from:
 * 'open'`). Resolves once it closed. Only with 'open' has the server surely
 * seen the request by then.
 *
 * @example
 * await Promise.all([0, 5, 10, 20].map((ms) => openAndCloseAfter(runtime.wsUrl, ms, 'open', { token })));
 */
export function openAndCloseAfter(wsUrl: string, delayMs: number, from: 'start' | 'open', options: ConnectOptions = {}): Promise<void> {
  const ws = new WebSocket(withQuery(wsUrl, options), options.protocols ?? [], { headers: options.headers ?? {} });
  ws.on('error', () => undefined); // Closing while connecting is an error for ws; here it is the point.
  const close = (): void => void setTimeout(() => ws.close(), delayMs);
  if (from === 'start') close();
  else ws.once('open', close);
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

/** The ids of a user's connections, from the Connections byUser index (what the gateway gave its sockets). */
export async function connectionIdsOf(runtime: LocalRuntime, userId: string): Promise<string[]> {
  const { Items } = await runtime.documentClient.send(
    new QueryCommand({ TableName: runtime.tableNames.CONNECTIONS_TABLE, IndexName: 'byUser', KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId } }),
  );
  return (Items ?? []).map((item) => item.connectionId as string);
}

/** PUT /_local/faults on the gateway's port: PostToConnection faults by connection id (local runtime only). */
export async function setPostFaults(runtime: LocalRuntime, faults: Record<string, string>): Promise<void> {
  const url = new URL(runtime.wsUrl);
  const res = await fetch(`http://${url.host}/_local/faults`, { method: 'PUT', body: JSON.stringify(faults) });
  if (res.status !== 200 && res.status !== 204) throw new Error(`PUT /_local/faults answered ${res.status}`);
}

/** One local runtime for a test file, with the helpers its tests share. */
export interface RuntimeSuite {
  /** The runtime (started before the file's tests). */
  runtime(): LocalRuntime;
  /** A user id no other test uses, so events of parallel tests never mix. */
  user(name: string): string;
  /** A JSON-protocol socket of `userId`, closed after the file's tests. */
  connect(userId: string): Promise<TestSocket>;
  api(userId: string, method: string, path: string, body?: unknown): Promise<ApiResponse>;
  createChat(owner: string, participants: string[]): Promise<string>;
}

/**
 * Starts a runtime before the file's tests and stops it, with every socket
 * opened through `connect`, after them. `chatTitle` names the chats
 * `createChat` makes.
 *
 * @example
 * const suite = useTestRuntime('e2e');
 * it('delivers', async () => { const alice = suite.user('alice'); await suite.connect(alice); });
 */
export function useTestRuntime(chatTitle: string, options: LocalRuntimeOptions = {}): RuntimeSuite {
  let started: LocalRuntime | undefined;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    started = await startTestRuntime(options);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await started?.stop();
  });
  const runtime = (): LocalRuntime => {
    if (started === undefined) throw new Error('The test runtime has not started (use it inside a test)');
    return started;
  };
  return {
    runtime,
    user: (name) => `${name}-${randomUUID().slice(0, 8)}`,
    async connect(userId) {
      const socket = await connectWebSocket(runtime().wsUrl, { token: await runtime().token(userId) });
      sockets.push(socket);
      return socket;
    },
    api: (userId, method, path, body) => callHttpApi(runtime(), userId, method, path, body),
    createChat: (owner, participants) => createChat(runtime(), owner, participants, chatTitle),
  };
}

/** Every page of `GET /chats/{chatId}/messages?afterSeq=` (3 a page), as a client that found a gap fetches it. */
export async function historyAfterSeq(runtime: LocalRuntime, userId: string, chatId: string, afterSeq: number): Promise<Array<{ messageId: string; seq: number; content: string }>> {
  const items = [];
  let cursor: string | undefined = String(afterSeq);
  while (cursor !== undefined) {
    const res = await callHttpApi(runtime, userId, 'GET', `/chats/${chatId}/messages?afterSeq=${cursor}&limit=3`);
    if (res.status !== 200) throw new Error(`GET ?afterSeq=${cursor} answered ${res.status}`);
    items.push(...res.json.items);
    cursor = res.json.next;
  }
  return items;
}
