/** Credentials handed to the server on connect. */
export interface AuthData {
  token?: string;
}

/**
 * `auth` as socket.io-client takes it: an object, a function receiving a
 * callback, or a function returning (a promise of) the object. A function is
 * called again before every (re)connection, so a refreshed token is used.
 */
export type AuthOption =
  | AuthData
  | ((cb: (data: AuthData) => void) => void | AuthData | PromiseLike<AuthData>);

/** A WebSocket constructor: the browser's global, Node 22's global, or `ws`'s class. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

/** Options of {@link connect}. Every numeric default lives in {@link DEFAULTS}. */
export interface SocketOptions {
  /** Token source. @default {} (no token) */
  auth?: AuthOption;
  /**
   * Where the token goes: `protocol` sends `Sec-WebSocket-Protocol: lettera.v1, <jwt>`
   * (kept out of URLs and access logs); `query` appends `?token=<jwt>`.
   * @default 'protocol'
   */
  tokenTransport?: 'protocol' | 'query';
  /** Base URL of the HTTP API; enables filling gaps and recovery of missed messages after a reconnect. */
  httpUrl?: string;
  /** Chats to follow, as `trackChat(chatId)`: each starts at its first message event; more are learned from events. */
  chats?: string[];
  /** Connect as soon as the socket is created. @default true */
  autoConnect?: boolean;
  /** Reconnect after a lost connection. @default true */
  reconnection?: boolean;
  /** Attempts before giving up with `reconnect_failed`. @default Infinity */
  reconnectionAttempts?: number;
  /** First reconnection delay, ms. @default 1000 */
  reconnectionDelay?: number;
  /** Largest reconnection delay, ms. @default 5000 */
  reconnectionDelayMax?: number;
  /** Jitter of each delay, in [0, 1]. @default 0.5 */
  randomizationFactor?: number;
  /**
   * Timeout of acks of `emit` / `emitWithAck` without `timeout()`, ms; 0 waits forever.
   * Longer than API Gateway's 29 s integration timeout, whose error frame usually comes first.
   * @default 30000
   */
  ackTimeout?: number;
  /** Interval of the keepalive frame, ms; well under API Gateway's 10-minute idle timeout. @default 300000 */
  keepaliveInterval?: number;
  /** Age at which a new connection replaces the current one, before API Gateway's 2-hour cap, ms. @default 6900000 */
  maxConnectionAge?: number;
  /**
   * When the token is a JWT whose `exp` can be read, the connection is
   * replaced this long before `exp` (with a token from `auth`), ms. The
   * server closes a connection at its token's exp (TOKEN_EXPIRED).
   * @default 60000
   */
  tokenRenewalMargin?: number;
  /** How long the old connection stays open after its replacement opened, ms. @default 3000 */
  connectionOverlap?: number;
  /** At most one `user:typing` per chat per this many ms from `typing()`. @default 2000 */
  typingThrottle?: number;
  /** `typing()` sends `user:stop-typing` after this many ms without a call. @default 2000 */
  typingIdle?: number;
  /**
   * How many message ids delivered as `message:new` are remembered, to tell a
   * recovered edit of a message the app shows from one it never saw. @default 5000
   */
  dedupeCapacity?: number;
  /** WebSocket implementation; required on Node.js 20 (`import WebSocket from 'ws'`). @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation for recovery; failed fetches are retried with the reconnection backoff. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Random source of the backoff jitter (tests). @default Math.random */
  random?: () => number;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/** The defaults, in one place (socket.io-client's `Manager` constructor keeps them the same way). */
export const DEFAULTS = Object.freeze({
  tokenTransport: 'protocol',
  autoConnect: true,
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
  keepaliveInterval: 5 * 60_000,
  maxConnectionAge: 115 * 60_000,
  tokenRenewalMargin: 60_000,
  connectionOverlap: 3000,
  typingThrottle: 2000,
  typingIdle: 2000,
  ackTimeout: 30_000,
  dedupeCapacity: 5000,
} as const);

/**
 * Calls an `auth` option in any of its forms and settles with its data.
 *
 * @example
 * const { token } = await resolveAuth(async () => ({ token: await refresh() }));
 */
export function resolveAuth(auth: AuthOption | undefined): Promise<AuthData> {
  if (typeof auth !== 'function') return Promise.resolve(auth ?? {});
  return new Promise<AuthData>((resolve, reject) => {
    try {
      const result = auth(resolve);
      if (result && typeof (result as PromiseLike<AuthData>).then === 'function') {
        (result as PromiseLike<AuthData>).then(resolve, reject);
      } else if (result) {
        resolve(result as AuthData);
      }
    } catch (err) {
      reject(err);
    }
  });
}
