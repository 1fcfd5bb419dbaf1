/**
 * The WebSocket side of a socket: opening (auth, subprotocol, token),
 * reconnection with backoff, keepalive, and the renewal before API
 * Gateway's 2-hour cap. It owns the {@link ConnectionState} and reports
 * what happens through {@link TransportEvents}; it knows nothing of acks,
 * events or chats.
 *
 * Token lifetime: a connection is replaced before its token's `exp` (when
 * the token is a JWT that says when, `tokenRenewalMargin` ahead), as before
 * the age cap. An auth function that gives no fresher token, or an expired
 * one, is reported as `connect_error` with a ClientError of code
 * TOKEN_EXPIRED. When the server closes an expired connection (error frame
 * TOKEN_EXPIRED), the socket reconnects like after any server close, with
 * a token from the auth function.
 */
import { JSON_SUBPROTOCOL, KEEPALIVE_ACTION } from '../../protocol';
import { Backoff } from './backoff';
import { assertTransition, type ConnectionState } from './connection-state';
import { createDebug } from './debug';
import { ClientError, toError } from './errors';
import { DEFAULTS, resolveAuth, type AuthOption, type SocketOptions } from './options';
import { randomId } from './random-id';
import { renewalDelay, tokenExpiry } from './token-expiry';
import type { DisconnectReason } from './typed-events';

const debug = createDebug('lettera:transport');

const OPEN = 1;
const KEEPALIVE_ACK_PREFIX = 'ping:';
const IDLE: ConnectionState = { name: 'idle' };

/** What the transport reports, in the order it happens. */
export interface TransportEvents {
  /** Connected; `reconnected` is false for the socket's first connection only. */
  open(reconnected: boolean): void;
  /** A replacement connection became current before the age cap; events may have been missed in between. */
  renewed(): void;
  /** A data frame arrived on `ws` (the current connection or the one being replaced). */
  frame(data: unknown, ws: WebSocket): void;
  /** A WebSocket is gone: whatever was awaited on it never comes. */
  closed(ws: WebSocket): void;
  /** The connection was lost or closed by `disconnect()`; the state already says what comes next. */
  lost(reason: DisconnectReason, details: { code: number; reason: string }): void;
  /** An attempt failed (refused upgrade, network error, auth function failure). */
  connectError(err: Error): void;
  /** The next attempt starts in `delay` ms. */
  reconnectAttempt(attempt: number, delay: number): void;
  /** `reconnectionAttempts` are used up. */
  reconnectFailed(): void;
}

/**
 * One socket's connection, kept open: `connect()` until `disconnect()`.
 *
 * @example
 * const transport = new Transport(url, options, () => auth, events);
 * transport.connect();
 * transport.send(JSON.stringify({ action: 'user:typing', data: { chatId } })); // the WebSocket, or undefined offline
 */
export class Transport {
  #state: ConnectionState = IDLE;
  readonly #url: string;
  readonly #opts: SocketOptions;
  readonly #now: () => number;
  readonly #auth: () => AuthOption | undefined;
  readonly #on: TransportEvents;
  readonly #backoff: Backoff;
  #connectedBefore = false;
  #token: string | undefined;
  #keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  #pings = 0;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  /** The replacement being opened next to the current connection. */
  #renewing: WebSocket | undefined;

  constructor(url: string, options: SocketOptions, auth: () => AuthOption | undefined, events: TransportEvents) {
    this.#url = url;
    this.#opts = options;
    this.#now = options.now ?? Date.now;
    this.#auth = auth;
    this.#on = events;
    this.#backoff = new Backoff({
      min: options.reconnectionDelay ?? DEFAULTS.reconnectionDelay,
      max: options.reconnectionDelayMax ?? DEFAULTS.reconnectionDelayMax,
      jitter: options.randomizationFactor ?? DEFAULTS.randomizationFactor,
      random: options.random,
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Whether it keeps (re)connecting. */
  get active(): boolean {
    return this.#state.name !== 'idle';
  }

  /** The token the latest connection opened with. */
  get token(): string | undefined {
    return this.#token;
  }

  /** Starts connecting; a no-op unless idle. */
  connect(): void {
    if (this.#state.name === 'idle') void this.#attempt();
  }

  /** Stops for good: closes the connection or the attempt, cancels a pending reconnection. */
  disconnect(): void {
    const state = this.#state;
    if (state.name === 'idle') return;
    this.#enter(IDLE);
    if (state.name === 'waiting') clearTimeout(state.timer);
    if (state.name === 'opening' && state.ws) this.#close(state.ws);
    if (state.name === 'open') {
      this.#close(state.ws);
      this.#stopTimers();
      this.#on.lost('io client disconnect', { code: 1000, reason: 'client disconnect' });
    }
  }

  /**
   * Sends a text frame on the current connection and returns that
   * connection, or returns undefined when not connected. A socket the
   * server is closing (before its close event) would drop the frame
   * silently, so it counts as not connected.
   */
  send(text: string): WebSocket | undefined {
    const state = this.#state;
    if (state.name !== 'open' || state.ws.readyState !== OPEN) return undefined;
    state.ws.send(text);
    return state.ws;
  }

  #enter(next: ConnectionState): void {
    assertTransition(this.#state.name, next.name);
    debug('%s -> %s', this.#state.name, next.name);
    this.#state = next;
  }

  // ---- opening -------------------------------------------------------------

  async #attempt(): Promise<void> {
    const attempt: ConnectionState = { name: 'opening' };
    this.#enter(attempt);
    await this.#dial(attempt, (err) => this.#failed(err), (ws, token) => {
      attempt.ws = ws;
      this.#watch(ws, false, () => this.#opened(ws, token));
    });
  }

  async #renew(): Promise<void> {
    const current = tokenExpiry(this.#token);
    const fail = (err: Error): void => {
      // The app learns that its auth function could not renew; the connection stays until the server closes it.
      this.#on.connectError(err);
      if (!(err instanceof ClientError && err.code === 'TOKEN_EXPIRED')) this.#renewFailed(err);
      else this.#renewing = undefined;
    };
    await this.#dial(this.#state, fail, (ws, token) => {
      this.#renewing = ws;
      this.#watch(ws, true, () => this.#swap(ws, token));
    }, (token) => {
      const next = tokenExpiry(token);
      if (current !== undefined && next !== undefined && next <= current) {
        throw new ClientError('TOKEN_EXPIRED', 'auth gave no fresher token');
      }
    });
  }

  /**
   * Calls the auth function, then creates a WebSocket with its token and
   * hands it to `use`, unless the state moved on from `from` meanwhile
   * (`disconnect()`, a lost connection); a failure goes to `fail`.
   */
  async #dial(
    from: ConnectionState,
    fail: (err: Error) => void,
    use: (ws: WebSocket, token: string | undefined) => void,
    check?: (token: string | undefined) => void,
  ): Promise<void> {
    let ws: WebSocket;
    let token: string | undefined;
    try {
      token = (await resolveAuth(this.#auth())).token;
      if (this.#state !== from) return;
      // A JWT already past its exp would only be refused by $connect (401): say why instead.
      const exp = tokenExpiry(token);
      if (exp !== undefined && exp * 1000 <= this.#now()) {
        throw new ClientError('TOKEN_EXPIRED', 'auth gave an expired token');
      }
      check?.(token);
      ws = this.#newWebSocket(token);
    } catch (err) {
      if (this.#state === from) fail(toError(err, 'auth function failed'));
      return;
    }
    use(ws, token);
  }

  #newWebSocket(token: string | undefined): WebSocket {
    const WS = (this.#opts.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) as
      | (new (url: string, protocols?: string[]) => WebSocket)
      | undefined;
    if (!WS) throw new NoWebSocketError();
    let url = this.#url;
    const protocols = [JSON_SUBPROTOCOL];
    if (token) {
      if ((this.#opts.tokenTransport ?? DEFAULTS.tokenTransport) === 'query') {
        url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      } else {
        protocols.push(token);
      }
    }
    debug('opening %s', this.#url);
    try {
      return new WS(url, protocols);
    } catch (err) {
      throw toError(err, 'WebSocket constructor failed');
    }
  }

  /** Wires a new WebSocket's handlers; `onOpen` runs when it opens. */
  #watch(ws: WebSocket, renew: boolean, onOpen: () => void): void {
    let opened = false;
    let errored: Error | undefined;
    ws.onopen = () => {
      opened = true;
      onOpen();
    };
    ws.onmessage = (ev: MessageEvent) => this.#on.frame(ev.data, ws);
    ws.onerror = (ev: Event) => {
      errored = toError((ev as { error?: unknown }).error ?? (ev as { message?: unknown }).message, 'WebSocket error');
    };
    ws.onclose = (ev: CloseEvent) => {
      this.#on.closed(ws);
      const state = this.#state;
      if (!opened) {
        const err = errored ?? new Error(`connection refused (close code ${ev.code})`);
        if (renew) this.#renewFailed(err);
        else if (state.name === 'opening' && state.ws === ws) this.#failed(err);
        return;
      }
      if (state.name !== 'open' || state.ws !== ws) return; // a replaced connection, or one disconnect() closed
      this.#lost(
        errored ? 'transport error' : ev.code === 1005 || ev.code === 1006 ? 'transport close' : 'io server disconnect',
        { code: ev.code, reason: ev.reason },
      );
    };
  }

  #opened(ws: WebSocket, token: string | undefined): void {
    const id = randomId();
    this.#enter({ name: 'open', ws, id });
    this.#token = token;
    this.#backoff.reset();
    this.#startTimers();
    debug('connected as %s', id);
    const reconnected = this.#connectedBefore;
    this.#connectedBefore = true;
    this.#on.open(reconnected);
  }

  /** Makes the replacement current and closes the old connection after the overlap. */
  #swap(ws: WebSocket, token: string | undefined): void {
    this.#renewing = undefined;
    const state = this.#state;
    if (state.name !== 'open') {
      // The old connection went away meanwhile; the normal path reconnects.
      this.#close(ws);
      return;
    }
    debug('renewing');
    this.#enter({ ...state, ws });
    this.#token = token;
    this.#startTimers();
    setTimeout(() => this.#close(state.ws), this.#opts.connectionOverlap ?? DEFAULTS.connectionOverlap);
    this.#on.renewed();
  }

  // ---- failing and losing ----------------------------------------------------

  #failed(err: Error): void {
    debug('connect error: %s', err.message);
    if (err instanceof NoWebSocketError) {
      // No reconnection can help.
      this.#enter(IDLE);
      this.#on.connectError(err);
      return;
    }
    this.#retry(() => this.#on.connectError(err));
  }

  #renewFailed(err: Error): void {
    debug('renewal failed: %s', err.message);
    this.#renewing = undefined;
    // Keep the current connection; try again a little later.
    if (this.#state.name === 'open') this.#renewTimer = setTimeout(() => void this.#renew(), this.#backoff.duration());
  }

  #lost(reason: DisconnectReason, details: { code: number; reason: string }): void {
    debug('disconnected: %s', reason);
    this.#stopTimers();
    this.#retry(() => this.#on.lost(reason, details));
  }

  /** Waits for the next attempt (or gives up), then reports `what` happened and what comes next. */
  #retry(report: () => void): void {
    const reconnection = this.#opts.reconnection ?? DEFAULTS.reconnection;
    if (!reconnection || this.#backoff.attempts >= (this.#opts.reconnectionAttempts ?? DEFAULTS.reconnectionAttempts)) {
      this.#enter(IDLE);
      report();
      if (reconnection) this.#on.reconnectFailed();
      return;
    }
    const delay = this.#backoff.duration();
    debug('reconnecting in %d ms (attempt %d)', delay, this.#backoff.attempts);
    this.#enter({ name: 'waiting', timer: setTimeout(() => void this.#attempt(), delay) });
    report();
    this.#on.reconnectAttempt(this.#backoff.attempts, delay);
  }

  // ---- keepalive and renewal timers -----------------------------------------

  #startTimers(): void {
    this.#stopTimers();
    // Any data frame resets API Gateway's idle timer; pings (control frames) reportedly don't.
    this.#keepaliveTimer = setInterval(
      () => this.send(JSON.stringify({ action: KEEPALIVE_ACTION, ackId: `${KEEPALIVE_ACK_PREFIX}${++this.#pings}` })),
      this.#opts.keepaliveInterval ?? DEFAULTS.keepaliveInterval,
    );
    // Before the 2-hour cap, or before the token's exp when it is a JWT that says when.
    const delay = renewalDelay(
      this.#token,
      this.#now(),
      this.#opts.maxConnectionAge ?? DEFAULTS.maxConnectionAge,
      this.#opts.tokenRenewalMargin ?? DEFAULTS.tokenRenewalMargin,
    );
    this.#renewTimer = setTimeout(() => void this.#renew(), delay);
  }

  #stopTimers(): void {
    clearInterval(this.#keepaliveTimer);
    clearTimeout(this.#renewTimer);
    if (this.#renewing) this.#close(this.#renewing);
    this.#renewing = undefined;
  }

  #close(ws: WebSocket): void {
    // No-ops rather than null: `ws` throws an 'error' event nobody listens to
    // (closing while still connecting emits one).
    const ignore = () => {};
    ws.onopen = ignore;
    ws.onmessage = ignore;
    ws.onerror = ignore;
    ws.onclose = ignore;
    this.#on.closed(ws);
    try {
      ws.close(1000);
    } catch {
      // Closing a socket that is still connecting throws in some implementations; it is gone either way.
    }
  }
}

/** Neither the options nor the global scope provide a WebSocket constructor. */
class NoWebSocketError extends Error {
  constructor() {
    super('No WebSocket: pass { WebSocket } (from ws) on Node.js 20');
    this.name = 'NoWebSocketError';
  }
}
