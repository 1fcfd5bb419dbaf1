/**
 * Opening the benchmark's `ws` clients and calling the HTTP API as their
 * users, shared by the load generators (load-worker.ts in a worker thread,
 * room-clients.ts in a child process).
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export interface BenchUser {
  readonly userId: string;
  readonly token: string;
}

/** Opens one client with `?token=`; resolves once open, rejects when the upgrade is refused. */
export function openClient(wsUrl: string, user: BenchUser, onMessage: (data: WebSocket.RawData) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const url = new URL(wsUrl);
    url.searchParams.set('token', user.token);
    const ws = new WebSocket(url);
    ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      reject(new Error(`${user.userId}: upgrade refused with ${res.statusCode}`));
    });
    ws.once('error', (err) => reject(new Error(`${user.userId}: ${err.message}`)));
  });
}

export interface OpenedClients {
  readonly ms: number;
  readonly opened: number;
  readonly failed: number;
  /** The first five failures. */
  readonly errors: readonly string[];
}

/** Opens every user's client, `batchSize` at a time (`open` gets the user's index in `users`). */
export async function openInBatches(users: readonly BenchUser[], batchSize: number, open: (user: BenchUser, index: number) => Promise<unknown>): Promise<OpenedClients> {
  const started = performance.now();
  const errors: string[] = [];
  let opened = 0;
  for (let i = 0; i < users.length; i += batchSize) {
    const batch = users.slice(i, i + batchSize);
    const results = await Promise.allSettled(batch.map((user, j) => open(user, i + j)));
    for (const result of results) {
      if (result.status === 'fulfilled') opened += 1;
      else if (errors.length < 5) errors.push(String(result.reason));
    }
  }
  return { ms: performance.now() - started, opened, failed: users.length - opened, errors };
}

/** POSTs `body` as JSON with the user's token; the answer's status and JSON body (`{}` when empty). */
export async function postJson(url: string, token: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}
