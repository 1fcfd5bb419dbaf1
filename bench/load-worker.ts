/**
 * The load generator, run in a worker thread so its thousand `ws` clients
 * and their JSON parsing don't share the event loop of the runtime under
 * test. It opens the connections, creates chats through the HTTP API, then
 * sends messages through it one at a time and timestamps every
 * `message:new` delivery with the same clock as the send.
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';
import { openClient, openInBatches, postJson, type BenchUser } from './ws-clients';

export type { BenchUser } from './ws-clients';

export type WorkerRequest =
  | { readonly type: 'connect'; readonly wsUrl: string; readonly users: readonly BenchUser[]; readonly batchSize: number }
  | {
      /** `POST /chats` as the creator (the caller is always a participant). */
      readonly type: 'create';
      readonly httpUrl: string;
      readonly token: string;
      readonly title: string;
      readonly participants: readonly string[];
    }
  | {
      readonly type: 'send';
      readonly httpUrl: string;
      readonly chatId: string;
      /**
       * Senders' tokens, used in turn: one sender alone would run into the
       * flood limit (MESSAGE_RATE_LIMIT per user per chat) within a room's run.
       */
      readonly tokens: readonly string[];
      readonly count: number;
      /** Deliveries that complete one message (the room's connection count). */
      readonly expected: number;
      readonly timeoutMs: number;
      readonly contentBytes: number;
      /** Each send waits a random 0..jitterMs first, so sends don't phase-lock with the stream poll timer. */
      readonly jitterMs: number;
    }
  | { readonly type: 'stats' };

/** One message sent: times in ms from the start of its HTTP request. */
export interface SendSample {
  readonly messageId: string;
  /** Epoch ms (performance.timeOrigin + now()) when the HTTP request started. */
  readonly startEpoch: number;
  /** HTTP 201 received. */
  readonly httpMs: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly deliveries: number;
  readonly complete: boolean;
}

export type WorkerResponse =
  | { readonly type: 'connected'; readonly ms: number; readonly opened: number; readonly failed: number; readonly errors: readonly string[] }
  /** The chat answered 201; `ms` from the request until its body was read. */
  | { readonly type: 'created'; readonly chatId: string; readonly ms: number }
  | { readonly type: 'sent'; readonly samples: readonly SendSample[]; readonly wallMs: number }
  | { readonly type: 'stats'; readonly open: number; readonly framesByEvent: Record<string, number> }
  | { readonly type: 'error'; readonly message: string };

interface Delivery {
  count: number;
  first: number;
  last: number;
}

const sockets: WebSocket[] = [];
const deliveries = new Map<string, Delivery>();
const framesByEvent: Record<string, number> = {};
let onDelivery: ((messageId: string, delivery: Delivery) => void) | undefined;

const MESSAGE_ID = /"messageId":"([^"]+)"/;

function record(data: WebSocket.RawData): void {
  const at = performance.now();
  const text = data.toString();
  // A regex on the raw frame, not JSON.parse: 1,000 parses per message would slow the clock we measure with.
  const event = /^\{"event":"([^"]+)"/.exec(text)?.[1] ?? 'other';
  framesByEvent[event] = (framesByEvent[event] ?? 0) + 1;
  if (event !== 'message:new') return;
  const messageId = MESSAGE_ID.exec(text)?.[1];
  if (messageId === undefined) return;
  let delivery = deliveries.get(messageId);
  if (delivery === undefined) {
    delivery = { count: 0, first: at, last: at };
    deliveries.set(messageId, delivery);
  }
  delivery.count += 1;
  delivery.last = at;
  onDelivery?.(messageId, delivery);
}

async function connectAll(request: Extract<WorkerRequest, { type: 'connect' }>): Promise<WorkerResponse> {
  const result = await openInBatches(request.users, request.batchSize, async (user) => sockets.push(await openClient(request.wsUrl, user, record)));
  return { type: 'connected', ...result };
}

/** Resolves when `expected` deliveries of messageId have arrived, or after timeoutMs. */
function deliveriesOf(messageId: string, expected: number, timeoutMs: number): Promise<Delivery | undefined> {
  const seen = deliveries.get(messageId);
  if (seen !== undefined && seen.count >= expected) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      onDelivery = undefined;
      resolve(deliveries.get(messageId));
    }, timeoutMs);
    onDelivery = (id, delivery) => {
      if (id !== messageId || delivery.count < expected) return;
      clearTimeout(timer);
      onDelivery = undefined;
      resolve(delivery);
    };
  });
}

async function createChat(request: Extract<WorkerRequest, { type: 'create' }>): Promise<WorkerResponse> {
  const started = performance.now();
  const created = await postJson(`${request.httpUrl}/chats`, request.token, { title: request.title, participants: request.participants });
  const ms = performance.now() - started;
  if (created.status !== 201 || typeof created.json.chatId !== 'string') {
    throw new Error(`POST /chats (${request.participants.length} participants) answered ${created.status}: ${JSON.stringify(created.json)}`);
  }
  return { type: 'created', chatId: created.json.chatId, ms };
}

async function sendAll(request: Extract<WorkerRequest, { type: 'send' }>): Promise<WorkerResponse> {
  const samples: SendSample[] = [];
  const url = `${request.httpUrl}/chats/${encodeURIComponent(request.chatId)}/messages`;
  const wallStart = performance.now();
  for (let i = 0; i < request.count; i++) {
    const content = `bench ${i} `.padEnd(request.contentBytes, '.');
    await new Promise((resolve) => setTimeout(resolve, Math.random() * request.jitterMs));
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${request.tokens[i % request.tokens.length]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content }),
    });
    const httpAt = performance.now();
    const body = (await response.json()) as { messageId?: unknown };
    if (response.status !== 201 || typeof body.messageId !== 'string') {
      throw new Error(`POST ${url} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    const delivery = await deliveriesOf(body.messageId, request.expected, request.timeoutMs);
    samples.push({
      messageId: body.messageId,
      startEpoch: performance.timeOrigin + started,
      httpMs: httpAt - started,
      firstMs: delivery === undefined ? Number.NaN : delivery.first - started,
      lastMs: delivery === undefined ? Number.NaN : delivery.last - started,
      deliveries: delivery?.count ?? 0,
      complete: (delivery?.count ?? 0) >= request.expected,
    });
    deliveries.delete(body.messageId);
  }
  return { type: 'sent', samples, wallMs: performance.now() - wallStart };
}

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  switch (request.type) {
    case 'connect':
      return connectAll(request);
    case 'create':
      return createChat(request);
    case 'send':
      return sendAll(request);
    case 'stats':
      return { type: 'stats', open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length, framesByEvent: { ...framesByEvent } };
  }
}

parentPort?.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (response) => parentPort?.postMessage(response),
    (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerResponse),
  );
});
