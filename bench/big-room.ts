/**
 * The big-room part of the benchmark (issue 11): the local runtime as
 * `npm start` runs it (default settings, handlers in their worker thread,
 * their logs at WARN), N already-connected users, and a load generator in a child process
 * (room-clients.ts), so this process's CPU plus DynamoDB Local's is the
 * server's CPU and nothing else.
 *
 * - "create N": one of them creates a chat with all N through `POST /chats`
 *   and sends a message the moment the call returns: how many of the N
 *   connections it reaches, and how long the create took.
 * - "room N": M messages at R per second from S senders (members of the
 *   chat, connected like the others) to the N connections: deliveries
 *   within 2 s of the last send, latency send → delivery, and server CPU
 *   per 1,000 deliveries.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startLocalRuntime } from '../local/runtime';
import type { ClientRequest, ClientResponse } from './room-clients';
import type { BenchUser } from './ws-clients';
import { summarize, type Summary } from './stats';

export interface BigRoomOptions {
  /** Connected participants (the chat's size, creator included). */
  readonly size: number;
  /** Messages of the "room" workload. @default 50 */
  readonly messages?: number;
  /** Messages per second, all senders together. @default 10 */
  readonly rate?: number;
  /** Members who take turns sending. @default 10 */
  readonly senders?: number;
  /** Connections opened at once. @default 50 */
  readonly connectBatch?: number;
  readonly log?: (line: string) => void;
}

/** Server CPU in ms: this process (runtime, pollers, handler threads) and DynamoDB Local's Java process. */
export interface ServerCpu {
  readonly nodeMs: number;
  readonly javaMs: number;
}

export interface BigRoomResult {
  readonly size: number;
  readonly connectMs: number;
  readonly connectFailures: number;
  /** 1-minute load average before the workloads and after them. */
  readonly loadAverage: { readonly before: number; readonly after: number };
  readonly create: {
    readonly status: number;
    readonly createMs: number;
    /** Connections the message sent right after the create reached (within 15 s). */
    readonly probeReached: number;
    /** Probe send → its last delivery. */
    readonly probeLastMs: number;
  };
  readonly room?: {
    readonly messages: number;
    readonly rate: number;
    readonly senders: number;
    readonly sent: number;
    readonly refused: number;
    readonly expected: number;
    /** Delivered within 2 s of the last send. */
    readonly inWindow: number;
    /** Delivered within 15 s of the last send. */
    readonly eventually: number;
    readonly latency: Summary;
    /** First send → the window closed (2 s after the last send, or every delivery). */
    readonly windowMs: number;
    readonly cpu: ServerCpu;
    /** (node + java) CPU ms ÷ deliveries in the window × 1,000. */
    readonly cpuMsPer1kDeliveries: number;
  };
}

/** CPU of a process from /proc (utime + stime, in clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** The Java processes descended from this one (DynamoDB Local), found through /proc. */
function javaDescendants(): number[] {
  const parentOf = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name === 'java' && descends(pid)).map(([pid]) => pid);
}

function serverCpu(javaPids: readonly number[]): ServerCpu {
  const { user, system } = process.cpuUsage();
  return { nodeMs: (user + system) / 1000, javaMs: javaPids.reduce((sum, pid) => sum + processCpuMs(pid), 0) };
}

/** The load generator child, with request/response calls (and the burst's intermediate notice). */
class RoomClients {
  private readonly child: ChildProcess;
  private pending: { resolve: (r: ClientResponse) => void; reject: (e: Error) => void; onNotice?: () => void } | undefined;

  constructor() {
    this.child = fork(new URL('./room-clients.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (response: ClientResponse) => {
      const pending = this.pending;
      if (response.type === 'window-closed') {
        pending?.onNotice?.();
        return;
      }
      this.pending = undefined;
      if (response.type === 'error') pending?.reject(new Error(`room clients: ${response.message}`));
      else pending?.resolve(response);
    });
    this.child.on('exit', (code) => {
      this.pending?.reject(new Error(`room clients exited with ${code}`));
      this.pending = undefined;
    });
  }

  call<T extends ClientResponse['type']>(request: ClientRequest, expect: T, onNotice?: () => void): Promise<Extract<ClientResponse, { type: T }>> {
    if (this.pending !== undefined) throw new Error('room clients are busy');
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve: (response) => (response.type === expect ? resolve(response as Extract<ClientResponse, { type: T }>) : reject(new Error(`unexpected ${response.type}`))),
        reject,
        ...(onNotice !== undefined && { onNotice }),
      };
      this.child.send(request);
    });
  }

  stop(): void {
    this.child.kill();
  }
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * Runs "create N" then "room N" (when `messages` > 0) and stops everything it started.
 *
 * @example
 * const result = await runBigRoomBench({ size: 1000 });
 */
export async function runBigRoomBench(options: BigRoomOptions): Promise<BigRoomResult> {
  const log = options.log ?? (() => undefined);
  const { size, messages = 50, rate = 10, senders = 10 } = options;
  const loadBefore = loadavg()[0] ?? 0;
  log(`big room: starting the local runtime (default settings) for ${size} connected participants`);
  // Handler logs at WARN, as in the realtime part: an INFO line per record to the terminal costs more than the work measured.
  const runtime = await startLocalRuntime({ wsPort: 0, httpPort: 0, seed: false, quiet: true, jwtSecret: randomBytes(32).toString('base64url'), handlerLogLevel: 'WARN' });
  const clients = new RoomClients();
  try {
    const javaPids = javaDescendants();
    if (javaPids.length === 0) log('big room: no DynamoDB Local Java process found; its CPU is left out');
    const run = randomBytes(3).toString('hex');
    const users: BenchUser[] = await Promise.all(
      Array.from({ length: size }, async (_, i) => {
        const userId = `big${run}-${String(i).padStart(4, '0')}`;
        return { userId, token: await runtime.token(userId) };
      }),
    );
    const owner = users[0] as BenchUser;

    log(`big room: connecting ${size} clients in batches of ${options.connectBatch ?? 50}`);
    const connected = await clients.call({ type: 'connect', wsUrl: runtime.wsUrl, users, batchSize: options.connectBatch ?? 50 }, 'connected');
    if (connected.failed > 0) throw new Error(`${connected.failed} connection(s) failed: ${connected.errors.join('; ')}`);
    await runtime.settle(60_000);

    log(`big room: "create ${size}": POST /chats with all ${size}, then one message at once`);
    const created = await clients.call(
      { type: 'create', httpUrl: runtime.httpUrl, owner, participants: users.slice(1).map((user) => user.userId), probeTimeoutMs: 15_000 },
      'created',
    );
    const create = { status: created.status, createMs: round1(created.createMs), probeReached: created.probeReached, probeLastMs: round1(created.probeLastMs) };
    if (created.chatId === undefined) {
      log(`big room: the create answered ${created.status}; no room workload`);
      return { size, connectMs: connected.ms, connectFailures: connected.failed, loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 }, create };
    }
    await runtime.settle(60_000);
    if (messages === 0) return { size, connectMs: connected.ms, connectFailures: connected.failed, loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 }, create };

    log(`big room: "room ${size}": ${messages} messages at ${rate}/s from ${senders} senders`);
    const startCpu = serverCpu(javaPids);
    let windowCpu: ServerCpu | undefined;
    const burst = await clients.call(
      {
        type: 'burst',
        httpUrl: runtime.httpUrl,
        chatId: created.chatId,
        senderTokens: users.slice(0, senders).map((user) => user.token),
        count: messages,
        rate,
        windowMs: 2_000,
        settleMs: 15_000,
      },
      'burst-done',
      () => {
        windowCpu = serverCpu(javaPids);
      },
    );
    const end = windowCpu ?? serverCpu(javaPids);
    const cpu = { nodeMs: Math.round(end.nodeMs - startCpu.nodeMs), javaMs: Math.round(end.javaMs - startCpu.javaMs) };
    const latency = summarize(burst.latencies);
    return {
      size,
      connectMs: connected.ms,
      connectFailures: connected.failed,
      loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 },
      create,
      room: {
        messages,
        rate,
        senders,
        sent: burst.sent,
        refused: burst.refused,
        expected: burst.expected,
        inWindow: burst.inWindow,
        eventually: burst.eventually,
        latency: { p50: round1(latency.p50), p95: round1(latency.p95), p99: round1(latency.p99), max: round1(latency.max) },
        windowMs: round1(burst.windowWallMs),
        cpu,
        cpuMsPer1kDeliveries: burst.inWindow === 0 ? Number.NaN : round1(((cpu.nodeMs + cpu.javaMs) * 1000) / burst.inWindow),
      },
    };
  } finally {
    log('big room: stopping the runtime');
    await runtime.stop();
    clients.stop();
  }
}
