/**
 * Development-only HTTP endpoints the demo page (web/) signs in with. They
 * exist in the local runtime only: nothing in lib/ or lambdas/ serves them.
 *
 * - `GET  /dev/users`  → `[{userId, name}]`, the demo users
 * - `POST /dev/token`  `{userId}` → `{token, userId, expiresAt}` (HS256, signed
 *   with the local runtime's secret; expiresAt in ms since the epoch)
 * - `GET  /dev/config` → `{wsUrl, httpUrl}` where the page connects
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { DEMO_USERS } from './seed';
import { signDevToken } from './tokens';

/** A demo user the page offers to sign in as. */
export interface DemoUser {
  readonly userId: string;
  readonly name: string;
}

/** The token the page receives. */
export interface DevToken {
  readonly token: string;
  readonly userId: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** A `(req, res)` handler that answers its own paths and returns false for any other. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface DevEndpointsOptions {
  /** The HS256 secret the handlers verify tokens with (`JWT_ACCESS_SECRET`). */
  readonly secret: string;
  /** The WebSocket URL the page connects to, e.g. `ws://127.0.0.1:3001/local`. */
  readonly wsUrl: string;
  /**
   * The HTTP API base URL the page calls.
   * @default the origin of the request (the page and the API share a port)
   */
  readonly httpUrl?: string;
  /** @default the seed's DEMO_USERS (alice, bob, carol) */
  readonly users?: readonly DemoUser[];
  /** @default 3600 (one hour) */
  readonly tokenTtlSeconds?: number;
}

/** The seed's demo users with display names. */
export const DEFAULT_DEMO_USERS: readonly DemoUser[] = Object.freeze(
  DEMO_USERS.map((userId) => ({ userId, name: userId.charAt(0).toUpperCase() + userId.slice(1) })),
);

/** Largest request body accepted: a user id fits many times over. */
const MAX_BODY_BYTES = 4096;

/** Tokens may not live longer than a day, even when asked. */
const MAX_TTL_SECONDS = 86_400;

class DevRequestError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = 'DevRequestError';
  }
}

/**
 * Creates the handler of the `/dev/*` endpoints.
 *
 * @example
 * const devEndpoints = createDevEndpoints({ secret, wsUrl: 'ws://127.0.0.1:3001/local' });
 * http.createServer(async (req, res) => {
 *   if (await devEndpoints(req, res)) return;
 *   // ... the HTTP API
 * });
 */
export function createDevEndpoints(options: DevEndpointsOptions): RequestHandler {
  if (options.secret === '') throw new Error('createDevEndpoints needs a non-empty secret');
  const users = options.users ?? DEFAULT_DEMO_USERS;
  const ttl = Math.min(options.tokenTtlSeconds ?? 3600, MAX_TTL_SECONDS);
  // The local runtime's signer, so `npm run token` and the page mint the same tokens.
  // `${ttl}s`: jose reads a bare number as an absolute epoch time, not a duration.
  const sign = async (userId: string): Promise<DevToken> => {
    const token = await signDevToken(userId, { secret: options.secret, expiresIn: `${ttl}s` });
    return { token, userId, expiresAt: (decodeJwt(token).exp ?? 0) * 1000 };
  };

  const routes: Record<string, Partial<Record<string, (req: IncomingMessage) => Promise<unknown>>>> = {
    '/dev/users': {
      GET: async () => users.map(({ userId, name }) => ({ userId, name })),
    },
    '/dev/token': {
      POST: async (req) => {
        const body = await readJson(req);
        const userId = typeof body === 'object' && body !== null ? (body as { userId?: unknown }).userId : undefined;
        if (typeof userId !== 'string' || userId === '') {
          throw new DevRequestError(400, 'BAD_REQUEST', 'body must be {"userId": "<demo user id>"}');
        }
        if (!users.some((u) => u.userId === userId)) {
          throw new DevRequestError(404, 'NOT_FOUND',
            `unknown demo user ${JSON.stringify(userId)}; known: ${users.map((u) => u.userId).join(', ')}`);
        }
        return sign(userId);
      },
    },
    '/dev/config': {
      GET: async (req) => ({ wsUrl: options.wsUrl, httpUrl: options.httpUrl ?? originOf(req) }),
    },
  };

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (!route) return false;
    const handle = route[req.method ?? 'GET'];
    try {
      if (!handle) {
        res.setHeader('allow', Object.keys(route).join(', '));
        throw new DevRequestError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`);
      }
      sendJson(res, 200, await handle(req));
    } catch (err) {
      if (err instanceof DevRequestError) sendJson(res, err.statusCode, { error: { code: err.code, message: err.message } });
      else sendJson(res, 500, { error: { code: 'INTERNAL', message: 'development endpoint failed' } });
    }
    return true;
  };
}

/** The page's origin as the browser sees it: the API is on the same port. */
function originOf(req: IncomingMessage): string {
  const host = req.headers.host ?? '127.0.0.1';
  return `http://${host}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // Tokens must never be cached by the browser or a proxy.
    'cache-control': 'no-store',
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new DevRequestError(413, 'PAYLOAD_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new DevRequestError(400, 'BAD_REQUEST', 'body is not valid JSON');
  }
}
