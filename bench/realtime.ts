/**
 * The realtime part of the benchmark: the local runtime in-process on free
 * ports with the real handlers, a worker thread holding one `ws` client per
 * user, chats of 10, 100 and 1,000 participants created through the HTTP
 * API as users create them, and messages sent through it one at a time
 * while every AWS request is counted.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../lambdas/commons/env';
import { logger } from '../lambdas/commons/logger';
import { DEFAULT_LIMITS, type Limits } from '../lambdas/system/limits';
import { roomOf } from '../lambdas/system/schema';
import { functions, sliceWorkers, type FunctionName } from '../lambdas/system/topology';
import { applyEnv } from '../local/handler-env';
import { loadHandlers, type FunctionHandlers } from '../local/handlers';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime';
import { countInvocations, countPosts, installAwsCallCounter, type AwsCallSnapshot, type InvocationSpan } from './aws-calls';
import { routePostsThrough } from '../lambdas/adapters/api-gateway/poster';
import { channelTransport } from '../local/gateway/post-channel';
import type { BenchUser, SendSample, WorkerRequest, WorkerResponse } from './load-worker';
import { cpuSince, measureLoginBurst, serverCpu, writeSharedChat, type LoginBurstResult, type ServerCpu } from './login-burst';

export interface RoomPlan {
  /** Connections in the room (one user each). */
  readonly size: number;
  /** Messages sent, one at a time. */
  readonly messages: number;
}

export interface RealtimeOptions {
  readonly rooms: readonly RoomPlan[];
  /** Connections opened at once. @default 50 */
  readonly connectBatch?: number;
  /** Give up on one message's deliveries after this long. @default 20000 */
  readonly deliveryTimeoutMs?: number;
  /** Message content length. @default 100 */
  readonly contentBytes?: number;
  /** Unmeasured messages sent first (warm handlers, sockets, JIT). @default 3 */
  readonly warmupMessages?: number;
  /** The stream pollers' interval; each send also waits a random 0..this first. @default 200 */
  readonly pollIntervalMs?: number;
  /**
   * Also connect this many users who already share one chat, to count what
   * a connect costs (each one's user:online goes to every co-member
   * connected before it). 0 skips it. @default 0
   */
  readonly connectStormSize?: number;
  /** Then this many users sharing one chat connect at once (login-burst.ts). 0 skips it. @default 0 */
  readonly loginBurstSize?: number;
  /** Write a CPU profile of the main thread (runtime + handlers) during each room's sends here. */
  readonly cpuProfileDir?: string;
  /**
   * The fan-out's slice size (FAN_OUT_SLICE_SIZE): rooms above it are posted
   * by the slice poster, in the runtime's pool of worker threads (its posts
   * are not in this thread's call counts). @default the setting's default
   */
  readonly sliceSize?: number;
  readonly log?: (line: string) => void;
}

/** Where one message's time went, from the fan-out invocation that carried it (ms). */
export interface MessagePhases {
  /** HTTP 201 → the fan-out invocation started (stream write, poll wait, GetRecords). */
  readonly streamMs: number;
  /** The fan-out invocation: Query the room, post to every connection. */
  readonly fanOutMs: number;
}

export interface RoomResult {
  readonly size: number;
  readonly messages: number;
  readonly samples: readonly SendSample[];
  /** Per message, when its fan-out invocation was found. */
  readonly phases: readonly MessagePhases[];
  /** Messages whose deliveries did not all arrive in time. */
  readonly incomplete: number;
  readonly deliveries: number;
  /** From the first HTTP send to the last delivery of the last message, jitter pauses included. */
  readonly wallMs: number;
  /** Deliveries ÷ the time messages were in flight (each send → its last delivery; the jitter pauses excluded). */
  readonly deliveriesPerSecond: number;
  /** AWS requests and invocations during this room's sends (until the streams settled). */
  readonly calls: AwsCallSnapshot;
  /** Slice poster invocations (slices posted in worker threads) during this room's sends. */
  readonly sliceInvocations: number;
  /** Approximate DynamoDB size of the room's Rooms rows, for the Query page lower bound. */
  readonly roomRowBytes: number;
  /** Server CPU during this room's sends, until the streams settled (the load worker's thread not included). */
  readonly cpu: ServerCpu;
}

/** Connecting `size` users who are already participants of one chat. */
export interface ConnectStormResult {
  readonly size: number;
  /** From the first connect until the streams settled. */
  readonly ms: number;
  readonly calls: AwsCallSnapshot;
  /** user:online frames the connecting clients received. */
  readonly onlineFrames: number;
  /** The chat's Rooms rows once settled: fewer than `size` means a connection was dropped from its room. */
  readonly roomRowsAfter: number;
}

/** One bench chat, created by one of its connected members with the others as participants. */
export interface ChatCreate {
  readonly size: number;
  /** `POST /chats`, request → 201 (which waits for the participants' connections to join the room). */
  readonly createMs: number;
  /** The room's rows read right after the 201. */
  readonly joinedAtAnswer: number;
  /** From the 201 until every connection was in the room: 0 when the create had joined them all. */
  readonly waitMs: number;
}

export interface RealtimeResult {
  readonly connections: number;
  readonly connectMs: number;
  readonly connectFailures: number;
  /** The chats' creation, in the order of the rooms. */
  readonly creates: readonly ChatCreate[];
  readonly rooms: readonly RoomResult[];
  readonly connectStorm?: ConnectStormResult;
  readonly loginBurst?: LoginBurstResult;
  /** Frames the clients received over the whole run, by event. */
  readonly framesByEvent: Record<string, number>;
  /** Stream batches the pollers gave up on (should be none). */
  readonly streamFailures: number;
}

/** A worker running load-worker.ts (through tsx, which workers don't inherit), with request/response calls. */
class LoadWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void } | undefined;

  constructor() {
    const file = new URL('./load-worker.ts', import.meta.url).href;
    this.worker = new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(file)}, ${JSON.stringify(import.meta.url)}));`, {
      eval: true,
    });
    this.worker.on('message', (response: WorkerResponse) => {
      const pending = this.pending;
      this.pending = undefined;
      if (response.type === 'error') pending?.reject(new Error(`load worker: ${response.message}`));
      else pending?.resolve(response);
    });
    this.worker.on('error', (err) => {
      this.pending?.reject(err);
      this.pending = undefined;
    });
  }

  call<T extends WorkerResponse['type']>(request: WorkerRequest, expect: T): Promise<Extract<WorkerResponse, { type: T }>> {
    if (this.pending !== undefined) throw new Error('load worker is busy');
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve: (response) => (response.type === expect ? resolve(response as Extract<WorkerResponse, { type: T }>) : reject(new Error(`unexpected ${response.type}`))),
        reject,
      };
      this.worker.postMessage(request);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Approximate DynamoDB item size: attribute names plus values (strings as UTF-8, numbers ~ digits/2 + 1). */
export function itemBytes(item: Record<string, unknown>): number {
  const valueBytes = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number') return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
    if (typeof value === 'boolean' || value === null) return 1;
    if (value instanceof Set) return [...value].reduce<number>((sum, v) => sum + valueBytes(v), 0);
    if (typeof value === 'object') return 3 + itemBytes(value as Record<string, unknown>);
    return 0;
  };
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

/**
 * Pairs each message with the fan-out invocation that delivered it: sends
 * are sequential, so it is the first fanOut invocation starting after the
 * HTTP request did.
 */
function phasesOf(samples: readonly SendSample[], spans: readonly InvocationSpan[]): MessagePhases[] {
  const fanOuts = spans.filter((span) => span.functionName === 'fanOut').sort((a, b) => a.start - b.start);
  return samples.flatMap((sample) => {
    const span = fanOuts.find((candidate) => candidate.start >= sample.startEpoch);
    if (span === undefined) return [];
    return [{ streamMs: span.start - (sample.startEpoch + sample.httpMs), fanOutMs: span.end - span.start }];
  });
}

/**
 * Connects `size` new users who already share a chat (the morning-login
 * case) and counts every AWS request until the streams settle.
 */
async function measureConnectStorm(runtime: LocalRuntime, worker: LoadWorker, size: number, batchSize: number, log: (line: string) => void): Promise<ConnectStormResult> {
  const calls = installAwsCallCounter();
  const { chatId, users } = await writeSharedChat(runtime, 'storm', size, `storm ${size}`);
  await runtime.settle(60_000);
  const before = (await worker.call({ type: 'stats' }, 'stats')).framesByEvent['user:online'] ?? 0;
  log(`connect storm: ${size} users who share one chat connect in batches of ${batchSize}`);
  calls.reset();
  const started = performance.now();
  const connected = await worker.call({ type: 'connect', wsUrl: runtime.wsUrl, users, batchSize }, 'connected');
  if (connected.failed > 0) throw new Error(`${connected.failed} connection(s) failed: ${connected.errors.join('; ')}`);
  await runtime.settle(120_000);
  const ms = performance.now() - started;
  const snapshot = calls.snapshot();
  // The last frames may still be in the worker's sockets when the streams settle.
  const onlineFrames = async (): Promise<number> => (await worker.call({ type: 'stats' }, 'stats')).framesByEvent['user:online'] ?? 0;
  let after = await onlineFrames();
  for (let previous = -1; after !== previous; ) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    previous = after;
    after = await onlineFrames();
  }
  const roomRowsAfter = (await queryRoom(runtime, roomOf.chat(chatId))).length;
  return { size, ms, calls: snapshot, onlineFrames: after - before, roomRowsAfter };
}

/** A V8 CPU profile of this thread, through the inspector. */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function queryRoom(runtime: LocalRuntime, room: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await runtime.documentClient.send(
      new QueryCommand({
        TableName: runtime.tableNames[ENV.roomsTable],
        KeyConditionExpression: 'room = :room',
        ExpressionAttributeValues: { ':room': room },
        ExclusiveStartKey,
      }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/**
 * How long a room may still be short of its connections after its create
 * answered: a create whose join outlives its budget answers anyway and the
 * Memberships stream completes the join (docs/room-joins.md).
 */
const ROOM_FULL_TIMEOUT_MS = 60_000;
/**
 * Room members who take turns sending, one message at a time: a room's run
 * (30 messages in about 8 s) from one user would hit the flood limit of
 * MESSAGE_RATE_LIMIT per user per chat per window.
 */
const BENCH_SENDERS = 5;

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs the realtime benchmark and stops everything it started.
 *
 * @example
 * const result = await runRealtimeBench({ rooms: [{ size: 10, messages: 30 }] });
 */
export async function runRealtimeBench(options: RealtimeOptions): Promise<RealtimeResult> {
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const calls = installAwsCallCounter();
  // Handler logs at WARN: per-invocation INFO lines to the terminal would cost more than the work measured.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // The handlers' logger may exist already, built at INFO when another section's imports loaded it.
  logger.setLogLevel(process.env.POWERTOOLS_LOG_LEVEL as Parameters<typeof logger.setLogLevel>[0]);

  let real: Promise<FunctionHandlers> | undefined;
  // The real modules, in this thread so their AWS calls can be counted, imported
  // on first use: their environment is the runtime's, applied below once it is known.
  const loadReal = (): Promise<FunctionHandlers> => (real ??= loadHandlers());
  // All but the slice poster, which runs in the runtime's worker pool as it does under `npm start`.
  const handlers = Object.fromEntries(
    (Object.keys(functions) as FunctionName[])
      .filter((name) => name !== sliceWorkers.function)
      .map((name) => [name, countInvocations(name, async () => (await loadReal())[name])]),
  ) as Partial<FunctionHandlers>;

  const connections = Math.max(...options.rooms.map((room) => room.size));
  const limits: Partial<Limits> = {
    ...(options.sliceSize !== undefined && { fanOutSliceSize: options.sliceSize }),
    // A room above the default chat size needs a deployment configured for it.
    ...(connections > DEFAULT_LIMITS.maxChatParticipants && { maxChatParticipants: connections }),
  };
  log('starting the local runtime (DynamoDB Local, gateway, HTTP API, stream pollers)');
  const runtime = await startLocalRuntime({
    wsPort: 0,
    httpPort: 0,
    seed: false,
    quiet: true,
    jwtSecret: randomBytes(32).toString('base64url'),
    handlers,
    pollIntervalMs,
    limits,
  });
  // Every function but the slice poster (the runtime's worker pool) is
  // overridden, so the runtime starts no other handler worker; the modules
  // load here and read this process's env (one runtime per bench process).
  applyEnv(runtime.env);
  // The fan-out here posts as in the runtime's workers, over the gateway's in-process channel, counted.
  routePostsThrough(new URL(runtime.callbackUrl).origin, countPosts(channelTransport(runtime.gateway.openPostChannel())));
  const worker = new LoadWorker();
  try {
    await loadReal();
    const users: BenchUser[] = await Promise.all(
      Array.from({ length: connections }, async (_, i) => {
        const userId = `bench${String(i).padStart(4, '0')}`;
        return { userId, token: await runtime.token(userId) };
      }),
    );

    // Connect before creating the chats: with the memberships in place, each
    // connect would send user:online to every co-member (N²/2 posts for a
    // room that broadcasts presence). A create joins the connected members.
    log(`connecting ${connections} clients in batches of ${options.connectBatch ?? 50}`);
    const connected = await worker.call({ type: 'connect', wsUrl: runtime.wsUrl, users, batchSize: options.connectBatch ?? 50 }, 'connected');
    if (connected.failed > 0) throw new Error(`${connected.failed} connection(s) failed: ${connected.errors.join('; ')}`);
    await runtime.settle(60_000);

    // Each chat is created by one of its members, the creators taken in turn
    // (CHAT_CHANGE_RATE_LIMIT counts creations per user), one at a time on a
    // settled runtime, so each create's time is its own.
    const chats: (RoomPlan & { chatId: string })[] = [];
    const creates: ChatCreate[] = [];
    for (const [i, room] of options.rooms.entries()) {
      const members = users.slice(0, room.size);
      const creator = members[i % members.length] as BenchUser;
      log(`room of ${room.size}: POST /chats with the other ${room.size - 1} members as participants`);
      const created = await worker.call(
        {
          type: 'create',
          httpUrl: runtime.httpUrl,
          token: creator.token,
          title: `bench ${room.size}`,
          participants: members.filter((member) => member !== creator).map((member) => member.userId),
        },
        'created',
      );
      const answeredAt = performance.now();
      const roomKey = roomOf.chat(created.chatId);
      const joinedAtAnswer = (await queryRoom(runtime, roomKey)).length;
      // A safety check: the create has put every connection in the room before answering.
      let joined = joinedAtAnswer;
      await waitUntil(
        async () => joined >= room.size || (joined = (await queryRoom(runtime, roomKey)).length) >= room.size,
        ROOM_FULL_TIMEOUT_MS,
        () => `the room of ${room.size} (${joined} joined; stream failures: ${runtime.failures().length})`,
      );
      const waitMs = joinedAtAnswer >= room.size ? 0 : performance.now() - answeredAt;
      log(`room of ${room.size}: created in ${created.ms.toFixed(0)} ms; ${joinedAtAnswer} of ${room.size} connections in the room when it answered`);
      chats.push({ ...room, chatId: created.chatId });
      creates.push({ size: room.size, createMs: created.ms, joinedAtAnswer, waitMs });
      // The Memberships stream's backstop join and chat announcements.
      await runtime.settle(60_000);
    }

    const send = (chat: (typeof chats)[number], count: number) =>
      worker.call(
        {
          type: 'send',
          httpUrl: runtime.httpUrl,
          chatId: chat.chatId,
          tokens: users.slice(0, Math.min(chat.size, BENCH_SENDERS)).map((user) => user.token),
          count,
          expected: chat.size,
          timeoutMs: options.deliveryTimeoutMs ?? 20_000,
          contentBytes: options.contentBytes ?? 100,
          jitterMs: pollIntervalMs,
        },
        'sent',
      );

    const smallest = chats.reduce((a, b) => (a.size <= b.size ? a : b));
    log(`warm-up: ${options.warmupMessages ?? 3} message(s) to the room of ${smallest.size}`);
    await send(smallest, options.warmupMessages ?? 3);
    await runtime.settle(30_000);

    const rooms: RoomResult[] = [];
    for (const chat of chats) {
      const roomRowBytes = (await queryRoom(runtime, roomOf.chat(chat.chatId))).reduce((sum, item) => sum + itemBytes(item), 0);
      log(`room of ${chat.size}: sending ${chat.messages} message(s) one at a time`);
      calls.reset();
      const slicesBefore = runtime.lambdaApi.invocations[sliceWorkers.function] ?? 0;
      const profiler = options.cpuProfileDir === undefined ? undefined : await startProfiler();
      const cpuBefore = serverCpu();
      const sent = await send(chat, chat.messages);
      // Calls that finish after the last delivery (none expected) still count.
      await runtime.settle(30_000);
      const cpu = cpuSince(cpuBefore);
      if (profiler !== undefined && options.cpuProfileDir !== undefined) {
        const file = join(options.cpuProfileDir, `room-${chat.size}.cpuprofile`);
        await profiler.stop(file);
        log(`CPU profile written to ${file}`);
      }
      const snapshot = calls.snapshot();
      const deliveries = sent.samples.reduce((sum, sample) => sum + sample.deliveries, 0);
      const inFlightMs = sent.samples.reduce((sum, sample) => sum + (Number.isFinite(sample.lastMs) ? sample.lastMs : options.deliveryTimeoutMs ?? 20_000), 0);
      rooms.push({
        size: chat.size,
        messages: chat.messages,
        samples: sent.samples,
        phases: phasesOf(sent.samples, snapshot.spans),
        incomplete: sent.samples.filter((sample) => !sample.complete).length,
        deliveries,
        wallMs: sent.wallMs,
        deliveriesPerSecond: deliveries / (inFlightMs / 1000),
        calls: snapshot,
        sliceInvocations: (runtime.lambdaApi.invocations[sliceWorkers.function] ?? 0) - slicesBefore,
        roomRowBytes,
        cpu,
      });
    }
    const connectStorm = options.connectStormSize ? await measureConnectStorm(runtime, worker, options.connectStormSize, options.connectBatch ?? 50, log) : undefined;
    const loginBurst = options.loginBurstSize ? await measureLoginBurst(runtime, options.loginBurstSize, log) : undefined;
    const stats = await worker.call({ type: 'stats' }, 'stats');
    return {
      connections,
      connectMs: connected.ms,
      connectFailures: connected.failed,
      creates,
      rooms,
      ...(connectStorm !== undefined ? { connectStorm } : {}),
      ...(loginBurst !== undefined ? { loginBurst } : {}),
      framesByEvent: stats.framesByEvent,
      streamFailures: runtime.failures().length,
    };
  } finally {
    // Stopping the runtime stops the pollers before the gateway closes the
    // sockets, so the 1,000 $disconnects don't fan user:offline out to everyone.
    log('stopping the runtime');
    await runtime.stop();
    await worker.terminate();
  }
}
