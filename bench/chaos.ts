/**
 * `npm run chaos`: delivery under churn and faults. Starts the local runtime
 * in-process, puts clients of this project's library and official
 * socket.io-clients in one chat, and for `--seconds` has every client send
 * at a steady rate (each send retried with the same clientMessageId until
 * acked) while connections are killed from both sides (the client drops its
 * socket; the server deletes it through `DELETE /{stage}/@connections/{id}`)
 * and PostToConnection faults (429, 500, slow) are injected for random
 * connections through `PUT /_local/faults`. Then churn stops, and after at
 * most `--drain` seconds what every client showed is compared with what the
 * chat stored:
 *
 * - lost: a stored message a client never showed;
 * - duplicates: a message shown more than once;
 * - out-of-order: a message shown after one with a higher seq.
 *
 * Prints `sent, acked, lost, duplicates, out-of-order` per client kind and
 * exits 1 when any of the last three is not zero (or nothing was measured).
 *
 * Options: --seconds 60  --library 20  --socketio 20  --rate 4 (messages/s, all senders)
 *          --kills 2.5 (connection kills/s)  --faults 0.5 (fault changes/s)  --drain 30
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { connect, type ChatSocket } from '../client/src/index';
import { fetchAfter } from '../client/src/history';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime';
import type { Message } from '../protocol';

export type ClientKind = 'library' | 'socketio';

export interface ChaosOptions {
  /** How long clients send and connections are killed, s. @default 60 */
  readonly seconds?: number;
  /** Clients of this project's library. @default 20 */
  readonly libraryClients?: number;
  /** Official socket.io-clients. @default 20 */
  readonly socketioClients?: number;
  /** Messages per second, all senders together. @default 4 */
  readonly rate?: number;
  /** Connection kills per second, half from each side. @default 2.5 */
  readonly killsPerSecond?: number;
  /** Changes of the injected post faults per second. @default 0.5 */
  readonly faultChangesPerSecond?: number;
  /** Longest wait for every client to show everything after churn stops, s. @default 30 */
  readonly drainSeconds?: number;
  /** A running runtime to use; otherwise one is started (and stopped) in-process. */
  readonly runtime?: LocalRuntime;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** One client kind's figures. */
export interface KindFigures {
  clients: number;
  /** Distinct sends (clientMessageIds) started. */
  sent: number;
  /** Sends that got a successful ack (after retries). */
  acked: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

export interface ChaosReport {
  readonly seconds: number;
  /** Messages the chat stored. */
  readonly stored: number;
  readonly kills: { client: number; server: number };
  readonly faultChanges: number;
  readonly kinds: Record<ClientKind, KindFigures>;
}

/** What one client showed, compared with what the chat stored (messageId → seq). */
export interface ShownFigures {
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

/**
 * Compares the messageIds a client showed, in the order shown, with the
 * stored ones: each stored message not shown is lost, each repeat a
 * duplicate, each message shown after one with a higher seq out of order.
 * Messages the chat does not hold are ignored (none are expected).
 *
 * @example
 * measureShown(['a', 'c', 'b', 'c'], new Map([['a', 1], ['b', 2], ['c', 3], ['d', 4]]));
 * // { lost: 1 (d), duplicates: 1 (c), outOfOrder: 1 (b after c) }
 */
export function measureShown(shown: readonly string[], stored: ReadonlyMap<string, number>): ShownFigures {
  const seen = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  let highest = 0;
  for (const messageId of shown) {
    if (seen.has(messageId)) {
      duplicates += 1;
      continue;
    }
    seen.add(messageId);
    const seq = stored.get(messageId);
    if (seq === undefined) continue;
    if (seq < highest) outOfOrder += 1;
    highest = Math.max(highest, seq);
  }
  let lost = 0;
  for (const messageId of stored.keys()) if (!seen.has(messageId)) lost += 1;
  return { lost, duplicates, outOfOrder };
}

/** Whether a run failed: anything lost, duplicated or out of order, or nothing measured. */
export function chaosFailed(report: ChaosReport): boolean {
  const kinds = Object.values(report.kinds);
  return report.stored === 0 || kinds.some((k) => k.clients > 0 && (k.acked === 0 || k.lost + k.duplicates + k.outOfOrder > 0));
}

/**
 * The report as a plain-text table.
 *
 * @example
 * console.log(formatChaosReport(await runChaos({ seconds: 10 })));
 */
export function formatChaosReport(report: ChaosReport): string {
  const header = ['client', 'clients', 'sent', 'acked', 'lost', 'duplicates', 'out-of-order'];
  const rows = (Object.entries(report.kinds) as [ClientKind, KindFigures][]).map(([kind, k]) =>
    [kind, k.clients, k.sent, k.acked, k.lost, k.duplicates, k.outOfOrder].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [
    `chaos: ${report.seconds} s, ${report.stored} messages stored, ` +
      `${report.kills.client + report.kills.server} connection kills (${report.kills.client} by clients, ${report.kills.server} by the server), ` +
      `${report.faultChanges} post fault changes`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

/** A client under test, whichever its kind. */
interface ChaosClient {
  readonly kind: ClientKind;
  readonly name: string;
  /** messageIds of the chat's `message:new` events, in the order shown. */
  readonly shown: string[];
  readonly connected: () => boolean;
  /** Sends once and settles with 'acked', 'retry' (worth trying again) or 'refused'. */
  send(data: { chatId: string; content: string; clientMessageId: string }): Promise<'acked' | 'retry' | 'refused'>;
  /** Drops the connection from the client's side, as a network failure does; it reconnects by itself. */
  kill(): void;
  close(): void;
}

/** Refusals no retry can change. */
const FINAL_CODES = new Set(['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE']);
const RECONNECT = { reconnectionDelay: 200, reconnectionDelayMax: 2000 };

/** What a send's answer means: no error code is an ack; a final refusal is not worth retrying. */
const outcomeOf = (code: string | undefined): 'acked' | 'retry' | 'refused' =>
  code === undefined ? 'acked' : FINAL_CODES.has(code) ? 'refused' : 'retry';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

function libraryClient(runtime: LocalRuntime, name: string, chatId: string): ChaosClient {
  // Every WebSocket the client opens, so a kill can drop it without a close frame.
  const open = new Set<WebSocket>();
  class TrackedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      open.add(this);
      this.once('close', () => open.delete(this));
    }
  }
  const shown: string[] = [];
  const socket: ChatSocket = connect(runtime.wsUrl, {
    WebSocket: TrackedWebSocket,
    auth: async () => ({ token: await runtime.token(name) }),
    httpUrl: runtime.httpUrl,
    ...RECONNECT,
  });
  socket.trackChat(chatId, 0);
  socket.on('message:new', (m) => void (m.chatId === chatId && shown.push(m.messageId)));
  return {
    kind: 'library',
    name,
    shown,
    connected: () => socket.connected,
    async send(data) {
      // The same data object on every try: the clientMessageId in it makes the retry idempotent.
      return socket.emitWithAck('message:send', data).then(
        () => outcomeOf(undefined),
        (err: { code?: string }) => outcomeOf(err.code ?? 'UNKNOWN'),
      );
    },
    kill: () => open.forEach((ws) => ws.terminate()),
    close: () => socket.disconnect(),
  };
}

function socketioClient(runtime: LocalRuntime, name: string, chatId: string): ChaosClient {
  const url = new URL(runtime.wsUrl);
  const shown: string[] = [];
  const socket = io(url.origin, {
    path: url.pathname,
    addTrailingSlash: false,
    transports: ['websocket'],
    auth: (cb) => void runtime.token(name).then((token) => cb({ token })),
    ...RECONNECT,
  });
  socket.on('message:new', (m: { chatId: string; messageId: string }) => void (m.chatId === chatId && shown.push(m.messageId)));
  return {
    kind: 'socketio',
    name,
    shown,
    connected: () => socket.connected,
    async send(data) {
      return socket.timeout(30_000).emitWithAck('message:send', data).then(
        (res: { error?: { code: string } }) => outcomeOf(res.error?.code),
        () => outcomeOf('TIMEOUT'),
      );
    },
    kill: () => socket.io.engine?.close(),
    close: () => socket.disconnect(),
  };
}

/** Every message the chat stores, by messageId → seq, from the history API. */
async function storedMessages(runtime: LocalRuntime, chatId: string, userId: string): Promise<Map<string, number>> {
  const items: Message[] = await fetchAfter({ httpUrl: runtime.httpUrl, chatId, afterSeq: 0, token: await runtime.token(userId), fetch });
  return new Map(items.map((m) => [m.messageId, m.seq]));
}

/**
 * Runs the scenario and returns its figures.
 *
 * @example
 * const report = await runChaos({ seconds: 10, libraryClients: 4, socketioClients: 4 });
 * if (chaosFailed(report)) console.error(formatChaosReport(report));
 */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const seconds = options.seconds ?? 60;
  const log = options.log ?? (() => {});
  const runtime =
    options.runtime ??
    (await startLocalRuntime({ wsPort: 0, httpPort: 0, seed: false, quiet: true, jwtSecret: 'chaos-run-secret-that-is-long-enough-for-hs256' }));
  const clients: ChaosClient[] = [];
  const faultsUrl = `${new URL(runtime.callbackUrl).origin}/_local/faults`;
  const setFaults = (faults: Record<string, string>) => fetch(faultsUrl, { method: 'PUT', body: JSON.stringify(faults) });
  try {
    // One user per client, all in one chat made before anyone connects.
    const run = Math.random().toString(36).slice(2, 8);
    const names = [
      ...Array.from({ length: options.libraryClients ?? 20 }, (_, i) => ['library', `lib-${run}-${i}`] as const),
      ...Array.from({ length: options.socketioClients ?? 20 }, (_, i) => ['socketio', `sio-${run}-${i}`] as const),
    ];
    const owner = `owner-${run}`;
    const created = await fetch(`${runtime.httpUrl}/chats`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await runtime.token(owner)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'chaos', participants: names.map(([, name]) => name) }),
    });
    if (created.status !== 201) throw new Error(`POST /chats answered ${created.status}: ${await created.text()}`);
    const { chatId } = (await created.json()) as { chatId: string };
    for (const [kind, name] of names) clients.push(kind === 'library' ? libraryClient(runtime, name, chatId) : socketioClient(runtime, name, chatId));
    const connectDeadline = Date.now() + 60_000;
    while (!clients.every((c) => c.connected())) {
      if (Date.now() > connectDeadline) throw new Error(`clients not connected after 60 s: ${clients.filter((c) => !c.connected()).map((c) => c.name).join(', ')}`);
      await sleep(50);
    }
    await runtime.settle();
    log(`${clients.length} clients connected to chat ${chatId}; churn for ${seconds} s`);

    const start = Date.now();
    const churnUntil = start + seconds * 1000;
    const sendDeadline = churnUntil + 45_000;
    const figures = {
      library: { clients: 0, sent: 0, acked: 0, lost: 0, duplicates: 0, outOfOrder: 0 },
      socketio: { clients: 0, sent: 0, acked: 0, lost: 0, duplicates: 0, outOfOrder: 0 },
    } satisfies Record<ClientKind, KindFigures>;
    const kills = { client: 0, server: 0 };
    let faultChanges = 0;

    // Senders: each client sends every `interval` ms, each send retried with its clientMessageId until acked.
    const interval = (clients.length * 1000) / (options.rate ?? 4);
    const sends: Promise<void>[] = [];
    const sendLoop = async (client: ChaosClient): Promise<void> => {
      await sleep(Math.random() * interval);
      for (let n = 0; Date.now() < churnUntil; n++) {
        const data = { chatId, content: `${client.name} #${n}`, clientMessageId: `${client.name}-${n}` };
        figures[client.kind].sent += 1;
        sends.push(
          (async () => {
            while (Date.now() < sendDeadline) {
              const outcome = await client.send(data);
              if (outcome === 'acked') figures[client.kind].acked += 1;
              if (outcome !== 'retry') return;
              await sleep(300 + Math.random() * 700);
            }
          })(),
        );
        await sleep(interval * (0.5 + Math.random()));
      }
    };
    const killLoop = async (): Promise<void> => {
      const mean = 1000 / (options.killsPerSecond ?? 2.5);
      while (Date.now() < churnUntil) {
        await sleep(-Math.log(1 - Math.random()) * mean);
        if (Math.random() < 0.5) {
          pick(clients)?.kill();
          kills.client += 1;
        } else {
          const id = pick(runtime.gateway.pool.ids());
          if (id === undefined) continue;
          await fetch(`${runtime.callbackUrl}/@connections/${encodeURIComponent(id)}`, { method: 'DELETE' });
          kills.server += 1;
        }
      }
    };
    const faultLoop = async (): Promise<void> => {
      const every = 1000 / (options.faultChangesPerSecond ?? 0.5);
      while (Date.now() < churnUntil) {
        const faults: Record<string, string> = {};
        for (let i = 0; i < 2; i++) {
          const id = pick(runtime.gateway.pool.ids());
          if (id !== undefined) faults[id] = pick(['429', '500', `slow:${100 + Math.floor(Math.random() * 1900)}`])!;
        }
        await setFaults(faults);
        faultChanges += 1;
        await sleep(every);
      }
      await setFaults({});
    };
    for (const client of clients) figures[client.kind].clients += 1;
    await Promise.all([...clients.map(sendLoop), killLoop(), faultLoop()]);
    log(`churn over after ${((Date.now() - start) / 1000).toFixed(1)} s; waiting for the last acks`);
    await Promise.all(sends);

    // Drain: every client should come to show everything stored.
    const drainUntil = Date.now() + (options.drainSeconds ?? 30) * 1000;
    let stored = await storedMessages(runtime, chatId, owner);
    while (Date.now() < drainUntil && !clients.every((c) => measureShown(c.shown, stored).lost === 0)) {
      await sleep(500);
      stored = await storedMessages(runtime, chatId, owner);
    }
    for (const client of clients) {
      const shown = measureShown(client.shown, stored);
      const kind = figures[client.kind];
      kind.lost += shown.lost;
      kind.duplicates += shown.duplicates;
      kind.outOfOrder += shown.outOfOrder;
    }
    return { seconds, stored: stored.size, kills, faultChanges, kinds: figures };
  } finally {
    for (const client of clients) client.close();
    await setFaults({}).catch(() => undefined);
    if (!options.runtime) await runtime.stop();
  }
}

async function main(): Promise<void> {
  // The handlers' logs would bury the figures; POWERTOOLS_LOG_LEVEL=WARN shows them.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      library: { type: 'string', default: '20' },
      socketio: { type: 'string', default: '20' },
      rate: { type: 'string', default: '4' },
      kills: { type: 'string', default: '2.5' },
      faults: { type: 'string', default: '0.5' },
      drain: { type: 'string', default: '30' },
    },
  });
  const number = (name: keyof typeof values): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${JSON.stringify(values[name])}`);
    return value;
  };
  const report = await runChaos({
    seconds: number('seconds'),
    libraryClients: number('library'),
    socketioClients: number('socketio'),
    rate: number('rate'),
    killsPerSecond: number('kills'),
    faultChangesPerSecond: number('faults'),
    drainSeconds: number('drain'),
    log: (line) => console.log(line),
  });
  console.log(formatChaosReport(report));
  process.exit(chaosFailed(report) ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(2);
  });
}
