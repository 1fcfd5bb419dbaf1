import type { TypingData } from '../../protocol';
import { createDebug } from './debug';
import { Emitter } from './emitter';
import { DEFAULTS, type AuthOption, type SocketOptions } from './options';
import { Outbox, type AckFrameIn, type AnyAck } from './outbox';
import { randomId } from './random-id';
import { Recovery, type IncomingEvent } from './recovery';
import type { ConnectionStateName } from './connection-state';
import { Transport } from './transport';
import {
  RESERVED_EVENTS,
  type AckCallback,
  type ActionsMap,
  type ClientEmitActions,
  type EventMeta,
  type EventsMap,
  type ReservedEvents,
  type ServerListenEvents,
} from './typed-events';
import { TypingSender, TypingTracker } from './typing';

const debug = createDebug('lettera:socket');

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
 * A facade: the connection lives in {@link Transport} (one explicit
 * state), outgoing frames and their acks in {@link Outbox}, received events
 * and catch-up in {@link Recovery}, typing in {@link TypingSender} and
 * {@link TypingTracker}.
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
  get id(): string | undefined {
    const state = this.#transport.state;
    return state.name === 'open' ? state.id : undefined;
  }

  readonly #opts: SocketOptions;
  readonly #now: () => number;
  readonly #transport: Transport;
  readonly #outbox: Outbox;
  readonly #recovery: Recovery;
  readonly #typingSender: TypingSender;
  readonly #typingTracker: TypingTracker;

  constructor(url: string, options: SocketOptions = {}) {
    super();
    this.#opts = options;
    this.auth = options.auth;
    this.#now = options.now ?? Date.now;
    this.#transport = new Transport(url, options, () => this.auth, {
      // Every connection catches up what each followed chat missed meanwhile.
      open: () => {
        this.#outbox.flush();
        this.emitLocal('connect');
        this.#recovery.recover();
      },
      renewed: () => this.#recovery.recover(),
      frame: (raw, ws) => this.#onFrame(raw, ws),
      // Sends to retry go out at once if another connection is current (the renewal's overlap ended).
      closed: (ws) => {
        this.#outbox.failSentOn(ws);
        this.#outbox.flush();
      },
      lost: (reason, details) => this.emitLocal('disconnect', reason, details),
      connectError: (err) => this.emitLocal('connect_error', err),
      reconnectAttempt: (attempt, delay) => this.emitLocal('reconnect_attempt', attempt, delay),
      reconnectFailed: () => this.emitLocal('reconnect_failed'),
    });
    this.#outbox = new Outbox((text) => this.#transport.send(text));
    this.#recovery = new Recovery(
      options,
      this.#transport,
      (event, recovered) => this.#deliver(event, recovered),
      (err, chatId) => this.emitLocal('recovery_error', err, chatId),
    );
    this.#typingSender = new TypingSender((action, chatId) => this.#transport.send(JSON.stringify({ action, data: { chatId } })), {
      throttleMs: options.typingThrottle ?? DEFAULTS.typingThrottle,
      idleMs: options.typingIdle ?? DEFAULTS.typingIdle,
      now: this.#now,
    });
    this.#typingTracker = new TypingTracker((data) =>
      this.emitLocal('user:stop-typing', data, { id: `local:${randomId()}`, ts: this.#now(), local: true } satisfies EventMeta),
    );
    if (options.autoConnect ?? DEFAULTS.autoConnect) this.connect();
  }

  /**
   * The connection state: `idle`, `opening`, `open` or `waiting` (for the
   * next reconnection attempt). `connected`, `active` and `id` derive from it.
   *
   * @example
   * statusBadge.textContent = socket.state; // 'open'
   */
  get state(): ConnectionStateName {
    return this.#transport.state.name;
  }

  /**
   * Whether the socket is connected now.
   *
   * @example
   * if (!socket.connected) showOfflineBanner();
   */
  get connected(): boolean {
    return this.#transport.state.name === 'open';
  }

  /**
   * Whether the socket is disconnected now.
   *
   * @example
   * if (socket.disconnected) socket.connect();
   */
  get disconnected(): boolean {
    return !this.connected;
  }

  /**
   * Whether the socket keeps (re)connecting: true from `connect()` until
   * `disconnect()` or `reconnect_failed`.
   *
   * @example
   * socket.on('disconnect', () => { if (!socket.active) showSignedOut(); });
   */
  get active(): boolean {
    return this.#transport.active;
  }

  /**
   * Opens the connection (again, after `disconnect()`); a no-op when connected or connecting.
   *
   * @example
   * const socket = connect(url, { autoConnect: false, auth: { token } });
   * socket.connect();
   */
  connect(): this {
    this.#transport.connect();
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
    this.#typingSender.clear();
    this.#typingTracker.clear();
    this.#transport.disconnect();
    this.#outbox.clear();
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
   * server's code on refusal, or `TIMEOUT` (after `ackTimeout`, 30 s by
   * default) / `DISCONNECTED` / `GATEWAY_ERROR`. While disconnected, emits
   * are buffered and sent in order on connect. A `message:send` without a
   * `clientMessageId` gets one, written into `data`, so passing the same
   * object again retries the same send; it is sent again by itself on the
   * next connection when the one it went out on closed before its ack.
   * Reserved names (`connect`, `disconnect`, ...) throw.
   *
   * @example
   * socket.emit('message:send', { chatId, content: 'hi' }, (err, message) => {
   *   if (err) return showError(err.code);
   *   if (message) markSent(message.messageId);
   * });
   */
  emit<A extends keyof Emit & string>(action: A, data: Emit[A]['data'], ack?: AckCallback<Emit[A]['ack']>): this {
    this.#emit(action, data, ack as AnyAck | undefined, this.#ackTimeout);
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
    return this.#emitWithAck(action, data, this.#ackTimeout);
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
   * Follows a chat from position `seq`: the app shows its messages up to
   * there (the largest `seq` of the history page it loaded; 0 for none).
   * Every connection and every gap then fetches what came after. Without a
   * number, a followed chat keeps its position and a new one starts at its
   * first message event, like a chat first heard of from a live event.
   *
   * @example
   * const page = await api.messages(chatId);
   * socket.trackChat(chatId, Math.max(0, ...page.items.map((m) => m.seq)));
   */
  trackChat(chatId: string, seq?: number): void {
    this.#recovery.track(chatId, seq);
  }

  /**
   * A chat's position: the largest `seq` delivered (or given to
   * `trackChat`); undefined for a chat not followed.
   *
   * @example
   * localStorage.setItem(`seq:${chatId}`, String(socket.position(chatId) ?? 0));
   */
  position(chatId: string): number | undefined {
    return this.#recovery.position(chatId);
  }

  /**
   * Stops recovering a chat (the user left it).
   *
   * @example
   * socket.untrackChat(chatId);
   */
  untrackChat(chatId: string): void {
    this.#recovery.untrack(chatId);
  }

  // ---- sending -------------------------------------------------------------

  get #ackTimeout(): number {
    return this.#opts.ackTimeout ?? DEFAULTS.ackTimeout;
  }

  #emit(action: string, data: unknown, ack: AnyAck | undefined, timeoutMs: number): void {
    if (Object.hasOwn(RESERVED_EVENTS, action)) throw new Error(`"${action}" is a reserved event name`);
    // The idempotency key makes a repeated send safe: stored once, acked with the same message.
    const send = action === 'message:send' && !!data && typeof data === 'object';
    if (send) (data as { clientMessageId?: string }).clientMessageId ??= randomId();
    this.#outbox.push(action, data, ack, timeoutMs, send);
  }

  #emitWithAck(action: string, data: unknown, timeoutMs: number): Promise<never> {
    return new Promise((resolve, reject) => {
      this.#emit(action, data, (err, result) => (err ? reject(err) : resolve(result as never)), timeoutMs);
    });
  }

  // ---- receiving -----------------------------------------------------------

  #onFrame(raw: unknown, ws: WebSocket): void {
    let frame: (IncomingEvent & AckFrameIn & { message?: unknown }) | null;
    try {
      frame = JSON.parse(String(raw)) as IncomingEvent & AckFrameIn;
    } catch {
      return;
    }
    if (!frame) return;
    // API Gateway's own error frame, `{"message": "Internal server error", "connectionId", "requestId"}`.
    if (frame.event === undefined && typeof frame.message === 'string') {
      if (!this.#outbox.failOldest(ws, frame.message)) this.emitLocal('error', { code: 'GATEWAY_ERROR', message: frame.message });
      return;
    }
    if (typeof frame.event !== 'string') return;
    if (frame.event === 'ack') this.#outbox.settle(frame);
    else if (frame.event === 'error') this.emitLocal('error', frame.data);
    else if (frame.event !== 'pong') this.#recovery.receive(frame);
  }

  /** Hands a (de-duplicated) server event to the listeners. */
  #deliver(event: IncomingEvent, recovered: boolean): void {
    const data = event.data ?? {};
    if (event.event === 'user:typing') this.#typingTracker.refresh(data as TypingData);
    if (event.event === 'user:stop-typing') this.#typingTracker.cancel(data as TypingData);
    const meta: EventMeta = { id: event.id ?? '', ts: event.ts ?? this.#now() };
    if (event.seq !== undefined) meta.seq = event.seq;
    if (recovered) meta.recovered = true;
    this.emitLocal(event.event, data, meta);
  }
}
