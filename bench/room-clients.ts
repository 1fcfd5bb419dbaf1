/**
 * The load generator of the big-room benchmark (big-room.ts), run as a child
 * process so its thousand `ws` clients cost the server's process no CPU
 * (the server's CPU is what the benchmark measures). It opens the
 * connections, creates the chat through the HTTP API and sends a probe
 * right after, then sends messages at a fixed rate from several senders,
 * timing every delivery on its own clock (the send time travels in the
 * message's content).
 */
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { openClient, openInBatches, postJson, type BenchUser } from './ws-clients';

export type ClientRequest =
  | { readonly type: 'connect'; readonly wsUrl: string; readonly users: readonly BenchUser[]; readonly batchSize: number }
  | {
      readonly type: 'create';
      readonly httpUrl: string;
      readonly owner: BenchUser;
      readonly participants: readonly string[];
      /** How long to wait for the probe to reach every connection. */
      readonly probeTimeoutMs: number;
    }
  | {
      readonly type: 'burst';
      readonly httpUrl: string;
      readonly chatId: string;
      readonly senderTokens: readonly string[];
      readonly count: number;
      /** Messages per second, all senders together. */
      readonly rate: number;
      /** Deliveries counted "in time" until this long after the last send. */
      readonly windowMs: number;
      /** Then keep counting stragglers until this long after the last send. */
      readonly settleMs: number;
    };

export type ClientResponse =
  | { readonly type: 'connected'; readonly ms: number; readonly opened: number; readonly failed: number; readonly errors: readonly string[] }
  | {
      readonly type: 'created';
      readonly status: number;
      readonly chatId?: string;
      /** POST /chats, request to response. */
      readonly createMs: number;
      readonly probeStatus: number;
      /** Connections the probe reached within probeTimeoutMs. */
      readonly probeReached: number;
      /** Probe send → the last of those deliveries. */
      readonly probeLastMs: number;
    }
  /** Sent once the in-time window closed (or every delivery arrived): the parent samples CPU here. */
  | { readonly type: 'window-closed' }
  | {
      readonly type: 'burst-done';
      readonly sent: number;
      readonly refused: number;
      readonly expected: number;
      readonly inWindow: number;
      readonly eventually: number;
      /** Send → delivery of every delivery in the window, ms. */
      readonly latencies: readonly number[];
      /** First send → the window closed. */
      readonly windowWallMs: number;
    }
  | { readonly type: 'error'; readonly message: string };

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const sockets: WebSocket[] = [];
/** The content of every message:new each socket received, with when (handled by the current phase). */
let onContent: (content: string, socket: number, at: number) => void = () => undefined;

const CONTENT = /"content":"([^"]*)"/;

async function connectAll(request: Extract<ClientRequest, { type: 'connect' }>): Promise<ClientResponse> {
  const result = await openInBatches(request.users, request.batchSize, async (user, index) => {
    sockets[index] = await openClient(request.wsUrl, user, (data) => {
      const at = now();
      const text = data.toString();
      // A regex on the raw frame, not JSON.parse: a thousand parses per message would slow the clock we measure with.
      if (!text.startsWith('{"event":"message:new"')) return;
      const content = CONTENT.exec(text)?.[1];
      if (content !== undefined) onContent(content, index, at);
    });
  });
  return { type: 'connected', ...result };
}

/** Creates the chat, then at once sends one probe and counts the connections it reaches. */
async function createAndProbe(request: Extract<ClientRequest, { type: 'create' }>): Promise<ClientResponse> {
  const started = now();
  const created = await postJson(`${request.httpUrl}/chats`, request.owner.token, { title: 'big room', participants: request.participants });
  const createMs = now() - started;
  const chatId = typeof created.json.chatId === 'string' ? created.json.chatId : undefined;
  if (created.status !== 201 || chatId === undefined) {
    return { type: 'created', status: created.status, createMs, probeStatus: 0, probeReached: 0, probeLastMs: Number.NaN };
  }
  const reached = new Set<number>();
  let last = Number.NaN;
  const marker = `probe ${chatId}`;
  const expected = sockets.filter((ws) => ws !== undefined).length;
  let allReached: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allReached = resolve));
  onContent = (content, socket, at) => {
    if (content !== marker || reached.has(socket)) return;
    reached.add(socket);
    last = at;
    if (reached.size >= expected) allReached();
  };
  const probeAt = now();
  const probe = await postJson(`${request.httpUrl}/chats/${encodeURIComponent(chatId)}/messages`, request.owner.token, { content: marker });
  await Promise.race([done, sleep(request.probeTimeoutMs)]);
  onContent = () => undefined;
  return { type: 'created', status: created.status, chatId, createMs, probeStatus: probe.status, probeReached: reached.size, probeLastMs: last - probeAt };
}

/** Sends `count` messages at `rate`/s from the senders in turn, without waiting for deliveries. */
async function burst(request: Extract<ClientRequest, { type: 'burst' }>, notify: (response: ClientResponse) => void): Promise<ClientResponse> {
  const receivers = sockets.filter((ws) => ws !== undefined).length;
  const expected = receivers * request.count;
  const seen = new Set<string>();
  const latencies: number[] = [];
  let windowClosed = false;
  let inWindow = 0;
  let eventually = 0;
  let allArrived: () => void = () => undefined;
  const complete = new Promise<void>((resolve) => (allArrived = resolve));
  const CONTENT_OF_BURST = /^bench (\d+) ([\d.]+)$/;
  onContent = (content, socket, at) => {
    const match = CONTENT_OF_BURST.exec(content);
    if (match === null) return;
    const key = `${match[1]}:${socket}`;
    if (seen.has(key)) return; // a duplicate delivery is not counted twice
    seen.add(key);
    eventually += 1;
    if (!windowClosed) {
      inWindow += 1;
      latencies.push(at - Number(match[2]));
    }
    if (eventually >= expected) allArrived();
  };

  const url = `${request.httpUrl}/chats/${encodeURIComponent(request.chatId)}/messages`;
  let refused = 0;
  const sends: Promise<void>[] = [];
  const first = now();
  for (let k = 0; k < request.count; k++) {
    const due = first + (k * 1000) / request.rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const token = request.senderTokens[k % request.senderTokens.length] as string;
    sends.push(
      postJson(url, token, { content: `bench ${k} ${now()}` }).then(
        (response) => {
          if (response.status !== 201) refused += 1;
        },
        () => {
          refused += 1;
        },
      ),
    );
  }
  const lastSend = now();
  await Promise.all(sends);
  await Promise.race([complete, sleep(Math.max(0, lastSend + request.windowMs - now()))]);
  windowClosed = true;
  const windowWallMs = now() - first;
  notify({ type: 'window-closed' });
  await Promise.race([complete, sleep(Math.max(0, lastSend + request.settleMs - now()))]);
  onContent = () => undefined;
  return { type: 'burst-done', sent: request.count - refused, refused, expected, inWindow, eventually, latencies, windowWallMs };
}

async function handle(request: ClientRequest, notify: (response: ClientResponse) => void): Promise<ClientResponse> {
  switch (request.type) {
    case 'connect':
      return connectAll(request);
    case 'create':
      return createAndProbe(request);
    case 'burst':
      return burst(request, notify);
  }
}

process.on('message', (request: ClientRequest) => {
  const send = (response: ClientResponse): void => {
    process.send?.(response);
  };
  handle(request, send).then(send, (err: unknown) => send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
