import {
  JSON_SUBPROTOCOL,
  type ClientFrame,
  type Message,
  type TypingData,
  KEEPALIVE_ACTION,
} from '../../protocol';
import { Backoff } from './backoff';
import { createDebug } from './debug';
import { AckTimeoutError, ClientError, DisconnectedError } from './errors';
import { Emitter } from './emitter';
import { DEFAULTS, resolveAuth, type AuthOption, type SocketOptions } from './options';
import { deleteKey, editKey, eventsOfMessage, fetchMessagesAfter, ulidFloor } from './recovery';
import { SeenIds } from './seen';
import {
  RESERVED_EVENTS,
  type AckCallback,
  type ActionsMap,
  type ClientEmitActions,
  type DisconnectReason,
  type EventMeta,
  type EventsMap,
  type ReservedEvents,
  type ServerListenEvents,
} from './typed-events';
import { TypingSender, TypingTracker } from './typing';

const debug = createDebug('lettera:socket');

const KEEPALIVE_ACK_PREFIX = 'ping:';
const OPEN = 1;

type Timer = ReturnType<typeof setTimeout>;
type AnyAck = (err: ClientError | null, data?: unknown) => void;

interface PendingAck {
  callback: AnyAck;
  timer?: Timer;
  /** The connection the frame went out on; undefined while buffered. */
  ws?: WebSocket;
}

interface Envelope {
  event: string;
  data?: unknown;
  id?: string;
  ts?: number;
  ackId?: number | string;
  error?: { code: string; message: string };
}

const MESSAGE_EVENTS = new Set<string>(['message:new', 'message:edited', 'message:deleted']);
/** Event ids of message events are change ids (ULIDs); only those move the change cursor. */
const CHANGE_ID = /^[0-9A-Z]{26}$/;
/** The larger of two sortable ids (ULIDs sort by time). */
const newer = (a?: string, b?: string): string | undefined => (b !== undefined && (a === undefined || b > a) ? b : a);

/**
 * The emit side of `socket.timeout(ms)`: the ack fails with `TIMEOUT` after `ms`.
 *
 * @example
 * socket.timeout(3000).emit('user:typing', { chatId }, (err) => err && console.warn(err.code));
 */
export interface TimeoutOperator<Emit extends ActionsMap> {
  emit<A extends keyof Emit & string>(action: A, data: Emit[A]['data'], ack: AckCallback<Emit[A]['ack']>): void;
  emitWithAck<A extends keyof Emit & string>(action: A, data: Emit[A]['data']): Promise<Emit[A]['ack']>;
}

/**
 * A connection to lettera-realtime over the JSON protocol (v1), with the
 * socket.io-client API: typed `on`/`once`/`off`/`emit`, acks, `timeout()`,
 * `emitWithAck`, reconnection with backoff, buffering, keepalive, seamless
 * replacement before API Gateway's 2-hour cap, recovery of missed messages
 * and de-duplication by event id.
 *
 * @example
 * const socket = connect('wss://ws.example.com/prod', { auth: { token } });
 * socket.on('message:new', (msg) => render(msg));
 * const stored = await socket.emitWithAck('message:send', { chatId, content: 'hi' });
 */
export class ChatSocket<
  Listen extends EventsMap = ServerListenEvents,
  Emit extends ActionsMap = ClientEmitActions,
> extends Emitter<Listen & ReservedEvents> {
  /**
   * Credentials, read before every (re)connection; replace it to change the token.
   *
   * @example
   * socket.auth = { token: refreshedToken };
   */
  auth: AuthOption | undefined;

  /**
   * A random id the client makes for each connection (the server does not
   * expose its connection id in v1); undefined while disconnected. It stays
   * the same across the seamless replacement before the 2-hour cap.
   *
   * @example
   * socket.on('connect', () => console.log('connected as', socket.id));
   */
  id: string | undefined;

  readonly #url: string;
  readonly #opts: SocketOptions;
  readonly #backoff: Backoff;
  readonly #now: () => number;
  readonly #seen: SeenIds;
  readonly #typingSender: TypingSender;
  readonly #typingTracker: TypingTracker;
  /** chatId → newest messageId seen (the `after` cursor), if any. */
  readonly #chats = new Map<string, string | undefined>();
  /** chatId → newest change id seen (the `changedAfter` cursor). */
  readonly #changes = new Map<string, string>();
  /** The HTTP API answered a `changedAfter` request without change ids: it predates it. */
  #noChanges = false;
  readonly #acks = new Map<number | string, PendingAck>();
  #buffer: { text: string; ackId?: number }[] = [];
  #nextAckId = 1;
  #ws: WebSocket | undefined;
  #connecting = false;
  #connected = false;
  #active = false;
  #everConnected = false;
  #token: string | undefined;
  #lostAt = 0;
  #reconnectTimer: Timer | undefined;
  #keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  #renewTimer: Timer | undefined;
  #keepaliveCount = 0;
  /** Bumped by every connection attempt and by disconnect(): a stale attempt notices and stops. */
  #generation = 0;
  /** A replacement connection being opened next to the current one. */
  #renewing: WebSocket | undefined;
  #recovering = false;
  #recoverAgain = false;
  #held: Envelope[] = [];

  constructor(url: string, options: SocketOptions = {}) {
    super();
    this.#url = url;
    this.#opts = options;
    this.auth = options.auth;
    this.#now = options.now ?? Date.now;
    this.#backoff = new Backoff({
      min: options.reconnectionDelay ?? DEFAULTS.reconnectionDelay,
      max: options.reconnectionDelayMax ?? DEFAULTS.reconnectionDelayMax,
      jitter: options.randomizationFactor ?? DEFAULTS.randomizationFactor,
      random: options.random,
    });
    this.#seen = new SeenIds(options.dedupeCapacity ?? DEFAULTS.dedupeCapacity);
    this.#typingSender = new TypingSender((action, chatId) => this.#sendVolatile(action, { chatId }), {
      throttleMs: options.typingThrottle ?? DEFAULTS.typingThrottle,
      idleMs: options.typingIdle ?? DEFAULTS.typingIdle,
      now: this.#now,
    });
    this.#typingTracker = new TypingTracker((data) => this.#expireTyping(data));
    for (const chatId of options.chats ?? []) this.#chats.set(chatId, undefined);
    if (options.autoConnect ?? DEFAULTS.autoConnect) this.connect();
  }

  /**
   * Whether the socket is connected now.
   *
   * @example
   * if (!socket.connected) showOfflineBanner();
   */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Whether the socket is disconnected now.
   *
   * @example
   * if (socket.disconnected) socket.connect();
   */
  get disconnected(): boolean {
    return !this.#connected;
  }

  /**
   * Whether the socket keeps (re)connecting: true from `connect()` until
   * `disconnect()` or `reconnect_failed`.
   *
   * @example
   * socket.on('disconnect', () => { if (!socket.active) showSignedOut(); });
   */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Opens the connection (again, after `disconnect()`); a no-op when connected or connecting.
   *
   * @example
   * const socket = connect(url, { autoConnect: false, auth: { token } });
   * socket.connect();
   */
  connect(): this {
    if (this.#connected || this.#connecting) return this;
    this.#active = true;
    clearTimeout(this.#reconnectTimer);
    void this.#open(false);
    return this;
  }

  /**
   * Alias of {@link ChatSocket.connect}, as in socket.io-client.
   *
   * @example
   * socket.open();
   */
  open(): this {
    return this.connect();
  }

  /**
   * Closes the connection for good: no reconnection, pending acks fail with
   * `DISCONNECTED`, buffered emits are dropped.
   *
   * @example
   * logoutButton.onclick = () => socket.disconnect();
   */
  disconnect(): this {
    this.#active = false;
    this.#generation++;
    clearTimeout(this.#reconnectTimer);
    this.#typingSender.clear();
    this.#typingTracker.clear();
    this.#buffer = [];
    const ws = this.#ws;
    const wasConnected = this.#connected;
    this.#ws = undefined;
    this.#connecting = false;
    if (ws) this.#closeTransport(ws);
    if (wasConnected) this.#onLost('io client disconnect', { code: 1000, reason: 'client disconnect' });
    for (const [ackId, pending] of this.#acks) {
      this.#acks.delete(ackId);
      clearTimeout(pending.timer);
      pending.callback(new DisconnectedError());
    }
    return this;
  }

  /**
   * Alias of {@link ChatSocket.disconnect}, as in socket.io-client.
   *
   * @example
   * window.addEventListener('pagehide', () => socket.close());
   */
  close(): this {
    return this.disconnect();
  }

  /**
   * Sends an action. With a callback, the server's ack is delivered as
   * `(err, data)`: `err` is null on success, a {@link ClientError} with the
   * server's code on refusal, or `TIMEOUT` / `DISCONNECTED`. While
   * disconnected, emits are buffered and sent in order on connect.
   * Reserved names (`connect`, `disconnect`, ...) throw.
   *
   * @example
   * socket.emit('message:send', { chatId, content: 'hi' }, (err, message) => {
   *   if (err) return showError(err.code);
   *   markSent(message.messageId);
   * });
   */
  emit<A extends keyof Emit & string>(action: A, data: Emit[A]['data'], ack?: AckCallback<Emit[A]['ack']>): this {
    this.#emit(action, data, ack as AnyAck | undefined, this.#opts.ackTimeout);
    return this;
  }

  /**
   * Sends an action and resolves with its ack's data; rejects with a
   * {@link ClientError} carrying the server's code (or `TIMEOUT` after `ackTimeout`).
   *
   * @example
   * const message = await socket.emitWithAck('message:edit', { chatId, messageId, content });
   */
  emitWithAck<A extends keyof Emit & string>(action: A, data: Emit[A]['data']): Promise<Emit[A]['ack']> {
    return this.#emitWithAck(action, data, this.#opts.ackTimeout);
  }

  /**
   * Sets an ack timeout for one emit, as socket.io-client's `timeout()`.
   *
   * @example
   * socket.timeout(5000).emit('message:delete', { chatId, messageId }, (err) => {
   *   if (err?.code === 'TIMEOUT') retryLater();
   * });
   * await socket.timeout(5000).emitWithAck('message:send', { chatId, content });
   */
  timeout(ms: number): TimeoutOperator<Emit> {
    return {
      emit: (action, data, ack) => this.#emit(action, data, ack as AnyAck, ms),
      emitWithAck: (action, data) => this.#emitWithAck(action, data, ms),
    };
  }

  /**
   * Call on every keystroke in a chat's input: sends `user:typing` at most
   * once per `typingThrottle` and `user:stop-typing` after `typingIdle`
   * without keystrokes. Typing frames are volatile: dropped while disconnected.
   *
   * @example
   * input.addEventListener('input', () => socket.typing(chatId));
   */
  typing(chatId: string): void {
    this.#typingSender.typing(chatId);
  }

  /**
   * Ends typing in a chat now (message sent, input cleared).
   *
   * @example
   * form.addEventListener('submit', () => socket.stopTyping(chatId));
   */
  stopTyping(chatId: string): void {
    this.#typingSender.stop(chatId);
  }

  /**
   * Tells the socket about a chat, so a reconnect recovers its missed
   * messages; pass the newest messageId the app shows (e.g. from the history
   * page it loaded). Chats are also learned from the events received.
   *
   * @example
   * const page = await api.messages(chatId);
   * socket.trackChat(chatId, page.items.at(-1)?.messageId);
   */
  trackChat(chatId: string, lastMessageId?: string): void {
    // A message's id is also the change id of its creation: a valid change cursor.
    this.#advanceCursor(chatId, lastMessageId, lastMessageId);
  }

  /**
   * Stops recovering a chat (the user left it).
   *
   * @example
   * socket.untrackChat(chatId);
   */
  untrackChat(chatId: string): void {
    this.#chats.delete(chatId);
    this.#changes.delete(chatId);
  }

  // ---- sending -------------------------------------------------------------

  #emit(action: string, data: unknown, ack: AnyAck | undefined, timeoutMs: number | undefined): void {
    if (Object.hasOwn(RESERVED_EVENTS, action)) {
      throw new Error(`"${action}" is a reserved event name`);
    }
    const frame: ClientFrame = { action, data };
    let ackId: number | undefined;
    if (ack) {
      ackId = this.#nextAckId++;
      frame.ackId = ackId;
      const pending: PendingAck = { callback: ack };
      if (timeoutMs !== undefined) {
        const id = ackId;
        pending.timer = setTimeout(() => {
          this.#acks.delete(id);
          this.#buffer = this.#buffer.filter((b) => b.ackId !== id);
          debug('ack %s timed out after %d ms', id, timeoutMs);
          ack(new AckTimeoutError(timeoutMs));
        }, timeoutMs);
      }
      this.#acks.set(ackId, pending);
    }
    const text = JSON.stringify(frame);
    // A socket the server is closing (before its close event) would drop the frame silently.
    if (this.#connected && this.#ws?.readyState === OPEN) {
      this.#sendOn(this.#ws, text, ackId);
    } else {
      debug('buffering %s', action);
      this.#buffer.push({ text, ackId });
    }
  }

  #emitWithAck(action: string, data: unknown, timeoutMs: number | undefined): Promise<never> {
    return new Promise((resolve, reject) => {
      this.#emit(action, data, (err, result) => (err ? reject(err) : resolve(result as never)), timeoutMs);
    });
  }

  #sendVolatile(action: string, data: unknown): void {
    if (this.#connected && this.#ws?.readyState === OPEN) this.#sendOn(this.#ws, JSON.stringify({ action, data }));
  }

  #sendOn(ws: WebSocket, text: string, ackId?: number): void {
    const pending = ackId === undefined ? undefined : this.#acks.get(ackId);
    if (pending) pending.ws = ws;
    ws.send(text);
  }

  #flushBuffer(ws: WebSocket): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const { text, ackId } of buffered) this.#sendOn(ws, text, ackId);
  }

  // ---- connection lifecycle ------------------------------------------------

  /** Opens a WebSocket; `renew` opens a replacement next to the current one. */
  async #open(renew: boolean): Promise<void> {
    if (!renew) this.#connecting = true;
    const generation = renew ? this.#generation : ++this.#generation;
    let token: string | undefined;
    try {
      token = (await resolveAuth(this.auth)).token;
    } catch (err) {
      if (generation === this.#generation) this.#openFailed(renew, toError(err, 'auth function failed'));
      return;
    }
    // disconnect() (and maybe connect() again) happened while the auth function ran.
    if (!this.#active || generation !== this.#generation) return;
    const WS = (this.#opts.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) as
      | (new (url: string, protocols?: string[]) => WebSocket)
      | undefined;
    if (!WS) {
      this.#connecting = false;
      this.#active = false;
      this.emitLocal('connect_error', new Error('No WebSocket implementation: pass { WebSocket } (e.g. from the ws package) on Node.js 20'));
      return;
    }
    let url = this.#url;
    const protocols = [JSON_SUBPROTOCOL];
    if (token) {
      if ((this.#opts.tokenTransport ?? DEFAULTS.tokenTransport) === 'query') {
        url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      } else {
        protocols.push(token);
      }
    }
    let ws: WebSocket;
    try {
      ws = new WS(url, protocols);
    } catch (err) {
      this.#openFailed(renew, toError(err, 'WebSocket constructor failed'));
      return;
    }
    debug('opening %s (renew: %s)', this.#url, renew);
    if (renew) this.#renewing = ws;
    else this.#ws = ws;
    let opened = false;
    let errored: Error | undefined;
    ws.onopen = () => {
      opened = true;
      this.#token = token;
      if (renew) this.#swap(ws);
      else this.#onOpen(ws);
    };
    ws.onmessage = (ev: MessageEvent) => this.#onFrame(ev.data);
    ws.onerror = (ev: Event) => {
      errored = toError((ev as { error?: unknown }).error ?? (ev as { message?: unknown }).message, 'WebSocket error');
    };
    ws.onclose = (ev: CloseEvent) => {
      this.#failAcksOf(ws);
      if (!opened) {
        if (renew || this.#ws === ws) {
          if (!renew) this.#ws = undefined;
          this.#openFailed(renew, errored ?? new Error(`connection refused (close code ${ev.code})`));
        }
        return;
      }
      if (this.#ws !== ws) return; // a replaced connection, or one disconnect() closed
      this.#ws = undefined;
      const reason: DisconnectReason = errored
        ? 'transport error'
        : ev.code === 1005 || ev.code === 1006
          ? 'transport close'
          : 'io server disconnect';
      this.#onLost(reason, { code: ev.code, reason: ev.reason });
      this.#scheduleReconnect();
    };
  }

  #onOpen(ws: WebSocket): void {
    this.#connecting = false;
    this.#connected = true;
    this.id = randomId();
    this.#backoff.reset();
    this.#startTimers();
    debug('connected as %s', this.id);
    this.#flushBuffer(ws);
    this.emitLocal('connect');
    if (this.#everConnected) void this.#recover();
    this.#everConnected = true;
  }

  /** Makes the replacement current and closes the old connection after the overlap. */
  #swap(ws: WebSocket): void {
    this.#renewing = undefined;
    const old = this.#ws;
    if (!this.#connected || !this.#active || !old) {
      // The old connection went away meanwhile; the normal path reconnects.
      this.#closeTransport(ws);
      return;
    }
    debug('replacing the connection before its age cap');
    this.#ws = ws;
    this.#lostAt = this.#now();
    this.#startTimers();
    setTimeout(() => this.#closeTransport(old), this.#opts.connectionOverlap ?? DEFAULTS.connectionOverlap);
    void this.#recover();
  }

  #openFailed(renew: boolean, err: Error): void {
    debug('connect error: %s', err.message);
    if (renew) {
      this.#renewing = undefined;
      // Keep the current connection; try again a little later.
      if (this.#connected && this.#active) this.#renewTimer = setTimeout(() => void this.#open(true), this.#backoff.duration());
      return;
    }
    this.#connecting = false;
    this.emitLocal('connect_error', err);
    this.#scheduleReconnect();
  }

  #onLost(reason: DisconnectReason, details: { code: number; reason: string }): void {
    this.#connected = false;
    this.id = undefined;
    this.#lostAt = this.#now();
    this.#stopTimers();
    debug('disconnected: %s', reason);
    this.emitLocal('disconnect', reason, details);
  }

  #scheduleReconnect(): void {
    if (!this.#active || !(this.#opts.reconnection ?? DEFAULTS.reconnection)) {
      this.#active = false;
      return;
    }
    if (this.#backoff.attempts >= (this.#opts.reconnectionAttempts ?? DEFAULTS.reconnectionAttempts)) {
      this.#active = false;
      this.emitLocal('reconnect_failed');
      return;
    }
    const delay = this.#backoff.duration();
    debug('reconnecting in %d ms (attempt %d)', delay, this.#backoff.attempts);
    this.#connecting = true;
    this.emitLocal('reconnect_attempt', this.#backoff.attempts, delay);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#open(false), delay);
  }

  #startTimers(): void {
    this.#stopTimers();
    const interval = this.#opts.keepaliveInterval ?? DEFAULTS.keepaliveInterval;
    // Any data frame resets API Gateway's idle timer; pings (control frames) reportedly don't.
    this.#keepaliveTimer = setInterval(() => {
      const ackId = `${KEEPALIVE_ACK_PREFIX}${++this.#keepaliveCount}`;
      if (this.#ws?.readyState === OPEN) this.#ws.send(JSON.stringify({ action: KEEPALIVE_ACTION, ackId }));
    }, interval);
    this.#renewTimer = setTimeout(() => void this.#open(true), this.#opts.maxConnectionAge ?? DEFAULTS.maxConnectionAge);
  }

  #stopTimers(): void {
    clearInterval(this.#keepaliveTimer);
    clearTimeout(this.#renewTimer);
    if (this.#renewing) this.#closeTransport(this.#renewing);
    this.#renewing = undefined;
  }

  #closeTransport(ws: WebSocket): void {
    // No-ops rather than null: `ws` throws an 'error' event nobody listens to
    // (closing while still connecting emits one).
    const ignore = () => {};
    ws.onopen = ignore;
    ws.onmessage = ignore;
    ws.onerror = ignore;
    ws.onclose = ignore;
    this.#failAcksOf(ws);
    try {
      ws.close(1000);
    } catch {
      // Closing a socket that is still connecting throws in some implementations; it is gone either way.
    }
  }

  /** Acks awaited on a closed connection can never come: fail them now. */
  #failAcksOf(ws: WebSocket): void {
    for (const [ackId, pending] of this.#acks) {
      if (pending.ws !== ws) continue;
      this.#acks.delete(ackId);
      clearTimeout(pending.timer);
      pending.callback(new DisconnectedError());
    }
  }

  // ---- receiving -----------------------------------------------------------

  #onFrame(raw: unknown): void {
    let frame: Envelope;
    try {
      frame = JSON.parse(String(raw)) as Envelope;
    } catch {
      debug('ignoring a frame that is not JSON');
      return;
    }
    if (!frame || typeof frame.event !== 'string') return;
    switch (frame.event) {
      case 'ack':
        return this.#onAck(frame);
      case 'pong':
        return;
      case 'error':
        return this.emitLocal('error', frame.data);
      default:
        if (this.#recovering && MESSAGE_EVENTS.has(frame.event)) {
          // Delivered after the recovered ones, so a chat's order holds.
          this.#held.push(frame);
          return;
        }
        this.#deliver(frame);
    }
  }

  #onAck(frame: Envelope): void {
    if (frame.ackId === undefined) return;
    const pending = this.#acks.get(frame.ackId);
    if (!pending) return; // a keepalive's answer, or an ack that already timed out
    this.#acks.delete(frame.ackId);
    clearTimeout(pending.timer);
    if (frame.error) pending.callback(new ClientError(frame.error.code, frame.error.message));
    else pending.callback(null, frame.data);
  }

  /** Delivers a server event unless its id (or the edit/delete it stands for) was seen. */
  #deliver(frame: Envelope, recovered = false): void {
    const data = (frame.data ?? {}) as Record<string, unknown> & Partial<Message>;
    const keys: string[] = [];
    if (typeof frame.id === 'string') keys.push(frame.id);
    if (!recovered && typeof data.messageId === 'string') {
      if (frame.event === 'message:edited' && typeof data.editedAt === 'string') keys.push(editKey(data.messageId, data.editedAt));
      if (frame.event === 'message:deleted') keys.push(deleteKey(data.messageId));
    }
    if (keys.some((k) => this.#seen.has(k))) {
      debug('dropping duplicate %s %s', frame.event, frame.id);
      return;
    }
    for (const k of keys) this.#seen.add(k);
    if (typeof data.chatId === 'string') {
      // Recovered deletes move the cursor too: the history returned them in order.
      // Live message events' ids are change ids; recovery moves the change cursor itself.
      this.#advanceCursor(
        data.chatId,
        frame.event === 'message:new' || recovered ? data.messageId : undefined,
        !recovered && MESSAGE_EVENTS.has(frame.event) && CHANGE_ID.test(frame.id ?? '') ? frame.id : undefined,
      );
    }
    if (frame.event === 'user:typing') this.#typingTracker.refresh(data as unknown as TypingData);
    if (frame.event === 'user:stop-typing') this.#typingTracker.cancel(data as unknown as TypingData);
    const meta: EventMeta = { id: frame.id ?? '', ts: frame.ts ?? this.#now() };
    if (recovered) meta.recovered = true;
    this.emitLocal(frame.event, data, meta);
  }

  #expireTyping(data: TypingData): void {
    const meta: EventMeta = { id: `local:${randomId()}`, ts: this.#now(), local: true };
    this.emitLocal('user:stop-typing', data, meta);
  }

  #advanceCursor(chatId: string, messageId?: string, changeId?: string): void {
    this.#chats.set(chatId, newer(this.#chats.get(chatId), messageId));
    const change = newer(this.#changes.get(chatId), changeId);
    if (change !== undefined) this.#changes.set(chatId, change);
  }

  // ---- recovery ------------------------------------------------------------

  /** Fetches what each known chat missed and delivers it in order, then the held live events. */
  async #recover(): Promise<void> {
    const httpUrl = this.#opts.httpUrl;
    const fetchFn = this.#opts.fetch ?? globalThis.fetch;
    if (!httpUrl || !fetchFn || this.#chats.size === 0) return;
    if (this.#recovering) {
      this.#recoverAgain = true;
      return;
    }
    this.#recovering = true;
    try {
      do {
        this.#recoverAgain = false;
        const floor = ulidFloor(this.#lostAt - (this.#opts.recoveryWindow ?? DEFAULTS.recoveryWindow));
        for (const [chatId, cursor] of [...this.#chats]) {
          if (!this.#active) return;
          try {
            const request = { httpUrl, chatId, after: cursor ?? floor, token: this.#token, fetch: fetchFn };
            // Changes (edits and deletes of older messages too) where the server has them.
            const since = this.#changes.get(chatId) ?? request.after;
            let items = this.#noChanges ? [] : await fetchMessagesAfter({ ...request, after: since, changes: true });
            if (items[0] && !items[0].changeId) this.#noChanges = true;
            if (this.#noChanges) items = await fetchMessagesAfter(request);
            debug('recovered %d messages of %s', items.length, chatId);
            for (const item of items) {
              for (const event of eventsOfMessage(item, item.changeId && since)) this.#deliver(event, true);
              this.#advanceCursor(chatId, undefined, item.changeId);
            }
          } catch (err) {
            this.emitLocal('recovery_error', toError(err, 'recovery failed'), chatId);
          }
        }
      } while (this.#recoverAgain);
    } finally {
      this.#recovering = false;
      const held = this.#held;
      this.#held = [];
      for (const frame of held) this.#deliver(frame);
    }
  }
}

function toError(value: unknown, fallback: string): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' && value ? value : fallback);
}

/** 16 random hex characters; crypto.getRandomValues works in insecure browser contexts too. */
function randomId(): string {
  const bytes = new Uint8Array(8);
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
