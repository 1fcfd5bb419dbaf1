/**
 * The receiving side of a socket: server events are delivered once (an
 * event repeated by at-least-once delivery or by two overlapping
 * connections is dropped by id), each chat's change cursor follows what was
 * delivered, and after a reconnect what a chat missed is fetched from the
 * history API and delivered, in order, before the live events that arrived
 * meanwhile.
 */
import { toError } from './errors';
import { createDebug } from './debug';
import { deleteKey, editKey, eventsOfMessage, fetchChanges, ulidFloor } from './history';
import { DEFAULTS, type SocketOptions } from './options';
import { SeenIds } from './seen';

const debug = createDebug('lettera:recovery');

/** A server event as parsed from a frame (nothing checked yet but `event`). */
export interface IncomingEvent {
  event: string;
  data?: unknown;
  id?: string;
  ts?: number;
}

/** What recovery needs to know about the connection. */
export interface RecoveryContext {
  /** When the previous connection was lost or replaced, ms since the epoch. */
  readonly lostAt: number;
  /** The token of the latest connection, sent to the history API. */
  readonly token: string | undefined;
  /** False once the socket was disconnected for good: stop fetching. */
  readonly active: boolean;
}

const MESSAGE_EVENTS = new Set<string>(['message:new', 'message:edited', 'message:deleted']);
/** Event ids of message events are change ids (ULIDs); only those move the change cursor. */
const CHANGE_ID = /^[0-9A-Z]{26}$/;
/** The larger of two sortable ids (ULIDs sort by time). */
const newer = (a?: string, b?: string): string | undefined => (b !== undefined && (a === undefined || b > a) ? b : a);

/**
 * @example
 * const recovery = new Recovery(
 *   { httpUrl: 'https://api.example.com' },
 *   transport,
 *   (event, recovered) => console.log(event.event, event.id, recovered),
 *   (err, chatId) => console.warn(`could not recover ${chatId}: ${err.message}`),
 * );
 * recovery.track('c1', lastMessageIdShown);
 * recovery.receive({ event: 'message:new', data: message, id: message.messageId }); // delivered once
 * void recovery.recover();                                                          // after a reconnect
 */
export class Recovery {
  readonly #opts: SocketOptions;
  readonly #context: RecoveryContext;
  readonly #deliver: (event: IncomingEvent, recovered: boolean) => void;
  readonly #onError: (err: Error, chatId: string) => void;
  readonly #seen: SeenIds;
  /** chatId → newest change id delivered (the `changedAfter` cursor), undefined until one is known. */
  readonly #cursors = new Map<string, string | undefined>();
  #recovering = false;
  #recoverAgain = false;
  /** Live message events that arrived during a recovery pass. */
  #held: IncomingEvent[] = [];

  constructor(
    options: SocketOptions,
    context: RecoveryContext,
    deliver: (event: IncomingEvent, recovered: boolean) => void,
    onError: (err: Error, chatId: string) => void,
  ) {
    this.#opts = options;
    this.#context = context;
    this.#deliver = deliver;
    this.#onError = onError;
    this.#seen = new SeenIds(options.dedupeCapacity ?? DEFAULTS.dedupeCapacity);
    for (const chatId of options.chats ?? []) this.#cursors.set(chatId, undefined);
  }

  /** Recovers a chat from now on, from `lastMessageId` when given (a message's id is the change id of its creation). */
  track(chatId: string, lastMessageId?: string): void {
    this.#advance(chatId, lastMessageId);
  }

  untrack(chatId: string): void {
    this.#cursors.delete(chatId);
  }

  /** A live server event: delivered now, or after the recovery pass running now (message events). */
  receive(event: IncomingEvent): void {
    // Delivered after the recovered ones, so a chat's order holds.
    if (this.#recovering && MESSAGE_EVENTS.has(event.event)) this.#held.push(event);
    else this.#accept(event, false);
  }

  /** Fetches what each known chat missed and delivers it in order, then the held live events. */
  async recover(): Promise<void> {
    const httpUrl = this.#opts.httpUrl;
    const fetchFn = this.#opts.fetch ?? globalThis.fetch;
    if (!httpUrl || !fetchFn || this.#cursors.size === 0) return;
    if (this.#recovering) {
      this.#recoverAgain = true;
      return;
    }
    this.#recovering = true;
    try {
      do {
        this.#recoverAgain = false;
        const floor = ulidFloor(this.#context.lostAt - (this.#opts.recoveryWindow ?? DEFAULTS.recoveryWindow));
        for (const [chatId, cursor] of [...this.#cursors]) {
          if (!this.#context.active) return;
          const since = cursor ?? floor;
          try {
            const items = await fetchChanges({ httpUrl, chatId, changedAfter: since, token: this.#context.token, fetch: fetchFn });
            debug('recovered %d messages of %s', items.length, chatId);
            for (const item of items) {
              for (const event of eventsOfMessage(item, since)) this.#accept(event, true);
              this.#advance(chatId, item.changeId);
            }
          } catch (err) {
            this.#onError(toError(err, 'recovery failed'), chatId);
          }
        }
      } while (this.#recoverAgain);
    } finally {
      this.#recovering = false;
      const held = this.#held;
      this.#held = [];
      for (const event of held) this.#accept(event, false);
    }
  }

  /** Delivers an event unless its id (or the edit/delete it stands for) was seen. */
  #accept(event: IncomingEvent, recovered: boolean): void {
    const data = (event.data ?? {}) as { chatId?: unknown; messageId?: unknown; editedAt?: unknown };
    const keys: string[] = [];
    if (typeof event.id === 'string') keys.push(event.id);
    if (!recovered && typeof data.messageId === 'string') {
      if (event.event === 'message:edited' && typeof data.editedAt === 'string') keys.push(editKey(data.messageId, data.editedAt));
      if (event.event === 'message:deleted') keys.push(deleteKey(data.messageId));
    }
    if (keys.some((k) => this.#seen.has(k))) {
      debug('dropping duplicate %s %s', event.event, event.id);
      return;
    }
    for (const k of keys) this.#seen.add(k);
    // Any event of a chat makes it known. A new message's id is the change id
    // of its creation; an edit's or delete's event id is its change id.
    // Recovery moves the cursor itself, by each item's changeId.
    if (!recovered && typeof data.chatId === 'string') {
      const changeId =
        event.event === 'message:new' && typeof data.messageId === 'string'
          ? data.messageId
          : MESSAGE_EVENTS.has(event.event) && CHANGE_ID.test(event.id ?? '')
            ? event.id
            : undefined;
      this.#advance(data.chatId, changeId);
    }
    this.#deliver(event, recovered);
  }

  #advance(chatId: string, changeId?: string): void {
    this.#cursors.set(chatId, newer(this.#cursors.get(chatId), changeId));
  }
}
