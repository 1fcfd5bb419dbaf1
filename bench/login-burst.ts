/**
 * The login burst (issue 11): N users who share one chat (of at most
 * presenceBroadcastMaxMembers, so presence is broadcast) connect at once.
 * Measured: the time until every client knows every other user online
 * (user:online events plus its connect-time presence:query), the time of
 * the last user:online (the socket.io peer's definition), and the server's
 * CPU: the runtime's thread (gateway, pollers, handlers) plus DynamoDB
 * Local's java process, read from /proc. The clients run in a child
 * process (burst-clients.ts), so their CPU is not in the figure.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { batchWriteAll } from '../lambdas/adapters/dynamodb/commands';
import { ENV } from '../lambdas/commons/env';
import { sortableId } from '../lambdas/commons/ids';
import type { MembershipRow } from '../lambdas/domain/ports';
import type { LocalRuntime } from '../local/runtime';
import { installAwsCallCounter, type AwsCallSnapshot } from './aws-calls';
import type { BurstRequest, BurstResult } from './burst-clients';
import type { BenchUser } from './load-worker';

/** The burst clients' counts as they report them (burst-clients.ts), with the slowest and median client and the server's side. */
export interface LoginBurstResult extends Pick<BurstResult, 'connectedMs' | 'lastOnlineMs' | 'onlineFrames' | 'queryAcks' | 'queryErrors' | 'connectFailures'> {
  readonly size: number;
  /** Every client knew every other user online (ms from the first connect; Infinity: not within the timeout). */
  readonly settledMs: number;
  /** Median client. */
  readonly medianSettledMs: number;
  /** Server CPU from the first connect until the streams settled, ms. */
  readonly cpu: ServerCpu;
  /** AWS requests and invocations over the same span. */
  readonly calls: AwsCallSnapshot;
}

export interface ServerCpu {
  /** The runtime's (main) thread: gateway, HTTP API, pollers and the handlers, which the bench runs in it. */
  readonly nodeMs: number;
  /** DynamoDB Local's java process, every thread. */
  readonly javaMs: number;
}

/** Linux clock ticks per second (`getconf CLK_TCK`; 100 on every common kernel). */
const TICKS_PER_SECOND = 100;

/** utime + stime of a /proc stat file, in ms (NaN when it can't be read: not Linux). */
function statCpuMs(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command's closing parenthesis start at field 3; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Ids of this process's descendants whose command line runs DynamoDB Local. */
function dynamoDbLocalPids(): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parents.keys()].filter((pid) => {
    try {
      return descends(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('DynamoDBLocal');
    } catch {
      return false;
    }
  });
}

/**
 * The server's CPU so far: the runtime's thread and DynamoDB Local.
 *
 * @example
 * const before = serverCpu(); await work(); const spent = cpuSince(before);
 */
export function serverCpu(): ServerCpu {
  let javaMs = 0;
  for (const pid of dynamoDbLocalPids()) javaMs += statCpuMs(`/proc/${pid}/stat`);
  return { nodeMs: statCpuMs(`/proc/self/task/${process.pid}/stat`), javaMs };
}

export function cpuSince(before: ServerCpu): ServerCpu {
  const now = serverCpu();
  return { nodeMs: now.nodeMs - before.nodeMs, javaMs: now.javaMs - before.javaMs };
}

/** Runs the clients in their own process and resolves with their result. */
function runClients(request: Extract<BurstRequest, { type: 'start' }>): { result: Promise<BurstResult>; close(): void } {
  const child = fork(fileURLToPath(new URL('./burst-clients.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<BurstResult>((resolve, reject) => {
    child.once('message', (message: BurstResult) => resolve(message));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`burst clients exited with ${code} before answering`)));
  });
  child.send(request);
  return {
    result,
    close: () => {
      child.removeAllListeners('exit');
      child.send({ type: 'close' } satisfies BurstRequest);
    },
  };
}

/**
 * `size` fresh users (`{prefix}0000`, …) with their tokens, written into one
 * new chat directly in the Memberships table (the stream joins them), for
 * the login burst and the connect storm.
 */
export async function writeSharedChat(runtime: LocalRuntime, prefix: string, size: number, title: string): Promise<{ chatId: string; users: BenchUser[] }> {
  const users: BenchUser[] = await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      const userId = `${prefix}${String(i).padStart(4, '0')}`;
      return { userId, token: await runtime.token(userId) };
    }),
  );
  const chatId = sortableId();
  const addedAt = new Date().toISOString();
  const addedBy = (users[0] as BenchUser).userId;
  await batchWriteAll(
    runtime.documentClient,
    runtime.tableNames[ENV.membershipsTable] as string,
    users.map(({ userId }) => ({ PutRequest: { Item: { chatId, userId, title, addedAt, addedBy } satisfies MembershipRow } })),
  );
  return { chatId, users };
}

/**
 * Writes a chat of `size` fresh users, lets the streams settle, then
 * connects them all at once and measures.
 */
export async function measureLoginBurst(runtime: LocalRuntime, size: number, log: (line: string) => void): Promise<LoginBurstResult> {
  const { users } = await writeSharedChat(runtime, 'login', size, `login burst ${size}`);
  await runtime.settle(60_000);
  log(`login burst: ${size} users who share one chat connect at once`);
  const calls = installAwsCallCounter();
  calls.reset();
  const before = serverCpu();
  const started = performance.now();
  const clients = runClients({ type: 'start', wsUrl: runtime.wsUrl, users, timeoutMs: 120_000 });
  try {
    const result = await clients.result;
    await runtime.settle(120_000);
    const cpu = cpuSince(before);
    const snapshot = calls.snapshot();
    log(`login burst: settled in ${(Math.max(...result.settledMs) / 1000).toFixed(2)} s (streams quiet after ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    const sorted = [...result.settledMs].sort((a, b) => a - b);
    return {
      size,
      settledMs: sorted[sorted.length - 1] ?? Infinity,
      medianSettledMs: sorted[Math.floor(sorted.length / 2)] ?? Infinity,
      connectedMs: result.connectedMs,
      lastOnlineMs: result.lastOnlineMs,
      onlineFrames: result.onlineFrames,
      queryAcks: result.queryAcks,
      queryErrors: result.queryErrors,
      connectFailures: result.connectFailures,
      cpu,
      calls: snapshot,
    };
  } finally {
    clients.close();
  }
}
