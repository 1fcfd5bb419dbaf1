/**
 * The clients of the login burst, in a child process of their own so their
 * CPU is never counted as the server's: N users who share a chat connect at
 * once; each, as soon as it is open, asks `presence:query` about the others
 * (what the client library's users and the demo page do) and adds every
 * `user:online` it receives. A client has settled once it knows every other
 * user online. Talks to the bench over IPC: `start` → `result`, `close` → exit.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { BenchUser } from './load-worker';

export type BurstRequest = { type: 'start'; wsUrl: string; users: readonly BenchUser[]; timeoutMs: number } | { type: 'close' };

export interface BurstResult {
  readonly type: 'result';
  /** Per client, ms from the first connect until it knew every other user online (Infinity: never). */
  readonly settledMs: readonly number[];
  /** ms from the first connect until the last connection opened. */
  readonly connectedMs: number;
  /** ms from the first connect until the last user:online arrived (the peer benchmark's "settled"). */
  readonly lastOnlineMs: number;
  readonly onlineFrames: number;
  readonly queryAcks: number;
  readonly queryErrors: number;
  readonly connectFailures: number;
}

const sockets: WebSocket[] = [];

function run(request: Extract<BurstRequest, { type: 'start' }>): Promise<BurstResult> {
  const { users } = request;
  const started = performance.now();
  const settledMs = users.map(() => Infinity);
  let lastOnlineMs = 0;
  let connectedMs = 0;
  let onlineFrames = 0;
  let queryAcks = 0;
  let queryErrors = 0;
  let connectFailures = 0;
  let pending = users.length;
  return new Promise((resolve) => {
    const finish = (): void => resolve({ type: 'result', settledMs, connectedMs, lastOnlineMs, onlineFrames, queryAcks, queryErrors, connectFailures });
    const timer = setTimeout(finish, request.timeoutMs);
    users.forEach((user, i) => {
      const others = users.filter((other) => other.userId !== user.userId).map((other) => other.userId);
      const known = new Set<string>();
      const learn = (userId: string): void => {
        if (userId === user.userId || known.has(userId)) return;
        known.add(userId);
        if (known.size === others.length && settledMs[i] === Infinity) {
          settledMs[i] = performance.now() - started;
          if (--pending === 0) {
            clearTimeout(timer);
            finish();
          }
        }
      };
      const url = new URL(request.wsUrl);
      url.searchParams.set('token', user.token);
      const ws = new WebSocket(url);
      sockets.push(ws);
      ws.on('error', () => undefined);
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        connectFailures += 1;
      });
      ws.once('open', () => {
        connectedMs = Math.max(connectedMs, performance.now() - started);
        ws.send(JSON.stringify({ action: 'presence:query', data: { userIds: others }, ackId: 1 }));
      });
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw)) as { event?: string; data?: any; error?: unknown };
        if (frame.event === 'user:online') {
          onlineFrames += 1;
          lastOnlineMs = performance.now() - started;
          learn(String(frame.data?.userId));
        } else if (frame.event === 'ack') {
          if (frame.error !== undefined) queryErrors += 1;
          else queryAcks += 1;
          for (const answer of frame.data?.users ?? []) if (answer.online === true) learn(String(answer.userId));
        }
      });
    });
  });
}

process.on('message', (request: BurstRequest) => {
  if (request.type === 'close') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
  void run(request).then((result) => process.send?.(result));
});
