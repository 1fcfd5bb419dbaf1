/**
 * Smoke test of a deployed stack (or of `npm start`) from a laptop, through
 * the client library and the HTTP API, as two users:
 *
 *   npm run smoke -- <WebSocketUrl> <HttpApiUrl> --secret <HS256 secret>
 *   JWT_ACCESS_SECRET=<secret> npm run smoke -- <WebSocketUrl> <HttpApiUrl>
 *   npm run smoke -- <WebSocketUrl> <HttpApiUrl> --token-a <jwt> --token-b <jwt>
 *
 * Steps: create a chat for both users, connect both, see the other come
 * online, send, edit, type, delete, and see the other go offline. Each step
 * is reported; the exit code is 1 when one fails (2 for bad arguments).
 * It leaves one chat behind, titled "smoke test <time>".
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeJwt, SignJWT } from 'jose';
import WebSocket from 'ws';
import { connect, type ChatSocket } from '../client/src/index';

export interface SmokeOptions {
  readonly wsUrl: string;
  readonly httpUrl: string;
  /** Tokens of the two users; their `sub` (or `userId`) are the user ids. */
  readonly tokenA: string;
  readonly tokenB: string;
  /** How long each step may take. @default 15000 */
  readonly stepTimeoutMs?: number;
  /** Where each step's line goes. @default console.log */
  readonly log?: (line: string) => void;
}

export interface SmokeStep {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

/** Why a smoke step failed, in the words printed to the user. */
export class SmokeStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeStepError';
  }
}

/** Mints an HS256 token for a user, valid for 15 minutes (the shape the stack accepts: `sub`, `exp`). */
export async function mintToken(userId: string, secret: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime('15m').sign(new TextEncoder().encode(secret));
}

function userIdOf(token: string): string {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new SmokeStepError('a token is not a JWT');
  }
  const id = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : claims.userId;
  if (typeof id !== 'string' || id === '') throw new SmokeStepError('a token carries no sub or userId claim');
  return id;
}

/** Resolves with the first event of `name` that matches, or rejects after `timeoutMs`. */
function nextEvent<T>(socket: ChatSocket, name: string, matches: (data: T) => boolean, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (data: T): void => {
      if (!matches(data)) return;
      clearTimeout(timer);
      socket.off(name as never, listener as never);
      resolve(data);
    };
    const timer = setTimeout(() => {
      socket.off(name as never, listener as never);
      reject(new SmokeStepError(`no ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(name as never, listener as never);
  });
}

function connected(socket: ChatSocket, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SmokeStepError(`not connected within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (err: Error) => {
      clearTimeout(timer);
      reject(new SmokeStepError(`connect_error: ${err.message}`));
    });
  });
}

async function createChat(httpUrl: string, token: string, participant: string): Promise<string> {
  const url = new URL('chats', httpUrl.endsWith('/') ? httpUrl : `${httpUrl}/`);
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: `smoke test ${new Date().toISOString()}`, participants: [participant] }),
  });
  const body = (await response.json().catch(() => ({}))) as { chatId?: string; error?: { code?: string; message?: string } };
  if (response.status !== 201 || typeof body.chatId !== 'string') {
    throw new SmokeStepError(`POST /chats answered ${response.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim());
  }
  return body.chatId;
}

/**
 * Runs every step in order and stops at the first failure; the sockets are
 * closed whatever happens.
 *
 * @example
 * const steps = await runSmoke({ wsUrl, httpUrl, tokenA, tokenB });
 * process.exitCode = steps.every((step) => step.ok) ? 0 : 1;
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeStep[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const timeoutMs = options.stepTimeoutMs ?? 15_000;
  const steps: SmokeStep[] = [];
  const sockets: ChatSocket[] = [];
  const open = (token: string): ChatSocket => {
    const socket = connect(options.wsUrl, { WebSocket, auth: { token }, httpUrl: options.httpUrl, reconnection: false });
    sockets.push(socket);
    return socket;
  };

  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await run();
      const ms = Math.round(performance.now() - started);
      steps.push({ name, ok: true, ms });
      log(`ok    ${name} (${ms} ms)`);
      return result;
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      const error = err instanceof Error ? err.message : String(err);
      steps.push({ name, ok: false, ms, error });
      log(`FAIL  ${name} (${ms} ms): ${error}`);
      throw err;
    }
  };

  try {
    const [userA, userB] = await step('read the two users from their tokens', async () => {
      const ids = [userIdOf(options.tokenA), userIdOf(options.tokenB)] as const;
      if (ids[0] === ids[1]) throw new SmokeStepError(`both tokens are for user ${ids[0]}; give two different users`);
      return ids;
    });
    const chatId = await step(`create a chat of ${userA} and ${userB} (HTTP API)`, () => createChat(options.httpUrl, options.tokenA, userB));
    const a = open(options.tokenA);
    await step(`connect ${userA}`, () => connected(a, timeoutMs));
    const bOnline = nextEvent<{ userId: string }>(a, 'user:online', (data) => data.userId === userB, timeoutMs);
    const b = open(options.tokenB);
    await step(`connect ${userB}`, () => connected(b, timeoutMs));
    await step(`${userA} sees ${userB} come online`, () => bOnline);

    const message = await step(`${userA} sends a message, ${userB} receives it`, async () => {
      const received = nextEvent<{ messageId: string; content: string }>(b, 'message:new', (data) => data.content === 'smoke: hello', timeoutMs);
      const stored = await a.timeout(timeoutMs).emitWithAck('message:send', { chatId, content: 'smoke: hello' });
      const got = await received;
      if (got.messageId !== stored.messageId) throw new SmokeStepError(`received message ${got.messageId}, sent ${stored.messageId}`);
      return stored;
    });
    await step(`${userA} edits it, ${userB} sees the edit`, async () => {
      const received = nextEvent<{ messageId: string; content: string }>(b, 'message:edited', (data) => data.messageId === message.messageId, timeoutMs);
      await a.timeout(timeoutMs).emitWithAck('message:edit', { chatId, messageId: message.messageId, content: 'smoke: edited' });
      const got = await received;
      if (got.content !== 'smoke: edited') throw new SmokeStepError(`edit arrived with content ${JSON.stringify(got.content)}`);
    });
    await step(`${userA} types, ${userB} sees the indicator`, async () => {
      const received = nextEvent<{ chatId: string; userId: string }>(b, 'user:typing', (data) => data.chatId === chatId && data.userId === userA, timeoutMs);
      a.typing(chatId);
      await received;
      a.stopTyping(chatId);
    });
    await step(`${userA} deletes it, ${userB} sees the delete`, async () => {
      const received = nextEvent<{ messageId: string }>(b, 'message:deleted', (data) => data.messageId === message.messageId, timeoutMs);
      await a.timeout(timeoutMs).emitWithAck('message:delete', { chatId, messageId: message.messageId });
      await received;
    });
    await step(`${userB} disconnects, ${userA} sees ${userB} go offline`, async () => {
      const offline = nextEvent<{ userId: string }>(a, 'user:offline', (data) => data.userId === userB, timeoutMs);
      b.close();
      await offline;
    });
  } catch {
    // Reported by step(); the caller reads the steps.
  } finally {
    for (const socket of sockets) socket.close();
  }
  return steps;
}

const USAGE = `usage: npm run smoke -- <WebSocketUrl> <HttpApiUrl> [--secret <HS256 secret> | --token-a <jwt> --token-b <jwt>]
          [--user-a <id>] [--user-b <id>] [--timeout <ms>]
  The secret may also come from JWT_ACCESS_SECRET. Users default to smoke-a and smoke-b.`;

/** The command line: arguments → options, or a usage error (exit 2). */
export async function optionsFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<SmokeOptions> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      secret: { type: 'string' },
      'token-a': { type: 'string' },
      'token-b': { type: 'string' },
      'user-a': { type: 'string', default: 'smoke-a' },
      'user-b': { type: 'string', default: 'smoke-b' },
      timeout: { type: 'string', default: '15000' },
    },
  });
  const [wsUrl, httpUrl, ...extra] = positionals;
  if (wsUrl === undefined || httpUrl === undefined || extra.length > 0) throw new SmokeStepError('give the WebSocket URL and the HTTP API URL');
  if (!/^wss?:\/\//.test(wsUrl)) throw new SmokeStepError(`the WebSocket URL must start with wss:// or ws://, got ${JSON.stringify(wsUrl)}`);
  if (!/^https?:\/\//.test(httpUrl)) throw new SmokeStepError(`the HTTP API URL must start with https:// or http://, got ${JSON.stringify(httpUrl)}`);
  const stepTimeoutMs = Number(values.timeout);
  if (!Number.isInteger(stepTimeoutMs) || stepTimeoutMs <= 0) throw new SmokeStepError(`--timeout must be a positive number of milliseconds, got ${values.timeout}`);

  const secret = values.secret ?? env.JWT_ACCESS_SECRET;
  const given = [values['token-a'], values['token-b']];
  let tokenA: string;
  let tokenB: string;
  if (given[0] !== undefined && given[1] !== undefined) {
    [tokenA, tokenB] = given as [string, string];
  } else if (given[0] !== undefined || given[1] !== undefined) {
    throw new SmokeStepError('give both --token-a and --token-b, or a secret');
  } else if (secret !== undefined && secret !== '') {
    tokenA = await mintToken(values['user-a'], secret);
    tokenB = await mintToken(values['user-b'], secret);
  } else {
    throw new SmokeStepError('give --secret (or JWT_ACCESS_SECRET) to mint tokens, or --token-a and --token-b');
  }
  return { wsUrl, httpUrl, tokenA, tokenB, stepTimeoutMs };
}

async function main(): Promise<void> {
  let options: SmokeOptions;
  try {
    options = await optionsFromArgs(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`smoke: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  const steps = await runSmoke(options);
  const failed = steps.filter((step) => !step.ok);
  console.log(failed.length === 0 ? `smoke: all ${steps.length} steps passed` : `smoke: FAILED at "${failed[0]!.name}"`);
  process.exit(failed.length === 0 ? 0 : 1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
