import { TYPING_EXPIRES_IN_MS, type TypingData } from '../../protocol';

type Timer = ReturnType<typeof setTimeout>;

/**
 * Sending side of typing indicators: while the user types, at most one
 * `user:typing` per `throttleMs` per chat; `user:stop-typing` after `idleMs`
 * without a keystroke or on an explicit stop.
 *
 * @example
 * const sender = new TypingSender((action, chatId) => socket.emit(action, { chatId }), {
 *   throttleMs: 2000, idleMs: 2000, now: Date.now,
 * });
 * input.addEventListener('input', () => sender.typing(chatId));
 */
export class TypingSender {
  readonly #send: (action: 'user:typing' | 'user:stop-typing', chatId: string) => void;
  readonly #throttleMs: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #chats = new Map<string, { lastSent: number; idle: Timer }>();

  constructor(
    send: (action: 'user:typing' | 'user:stop-typing', chatId: string) => void,
    options: { throttleMs: number; idleMs: number; now: () => number },
  ) {
    this.#send = send;
    this.#throttleMs = options.throttleMs;
    this.#idleMs = options.idleMs;
    this.#now = options.now;
  }

  /** A keystroke in a chat: sends `user:typing` unless one went out within the throttle window. */
  typing(chatId: string): void {
    const now = this.#now();
    const state = this.#chats.get(chatId);
    if (state) clearTimeout(state.idle);
    let lastSent = state?.lastSent ?? -Infinity;
    if (now - lastSent >= this.#throttleMs) {
      this.#send('user:typing', chatId);
      lastSent = now;
    }
    this.#chats.set(chatId, { lastSent, idle: setTimeout(() => this.stop(chatId), this.#idleMs) });
  }

  /** The user stopped (sent the message, cleared the input): sends `user:stop-typing` once. */
  stop(chatId: string): void {
    const state = this.#chats.get(chatId);
    if (!state) return;
    clearTimeout(state.idle);
    this.#chats.delete(chatId);
    this.#send('user:stop-typing', chatId);
  }

  /** Forgets every chat without sending anything (the socket is going away). */
  clear(): void {
    for (const state of this.#chats.values()) clearTimeout(state.idle);
    this.#chats.clear();
  }
}

/**
 * Receiving side: a `user:typing` indicator expires by itself after its
 * `expiresInMs` unless refreshed; the expiry is reported as a
 * `user:stop-typing` made locally, so a lost stop never leaves a user typing
 * forever.
 *
 * @example
 * const tracker = new TypingTracker((data) => emitLocal('user:stop-typing', data));
 * tracker.refresh(typingData); // on user:typing
 * tracker.cancel(typingData);  // on user:stop-typing
 */
export class TypingTracker {
  readonly #onExpire: (data: TypingData) => void;
  readonly #timers = new Map<string, Timer>();

  constructor(onExpire: (data: TypingData) => void) {
    this.#onExpire = onExpire;
  }

  /** A `user:typing` arrived: (re)starts its expiry. */
  refresh(data: TypingData): void {
    const key = keyOf(data);
    clearTimeout(this.#timers.get(key));
    const ms = typeof data.expiresInMs === 'number' && data.expiresInMs > 0 ? data.expiresInMs : TYPING_EXPIRES_IN_MS;
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.#onExpire({ chatId: data.chatId, userId: data.userId, isTyping: false, expiresInMs: 0 });
      }, ms),
    );
  }

  /** A real `user:stop-typing` arrived: no local one will follow. */
  cancel(data: Pick<TypingData, 'chatId' | 'userId'>): void {
    const key = keyOf(data);
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }

  /** Drops every pending expiry silently. */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

function keyOf(data: Pick<TypingData, 'chatId' | 'userId'>): string {
  return `${data.chatId}\n${data.userId}`;
}
