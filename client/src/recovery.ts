/**
 * The receiving side of a socket: each chat's message events reach the app
 * once and in position order. Every committed write of a chat's messages
 * takes the chat's next position (`seq` = 1, 2, 3, ... without holes), and
 * the socket keeps, per chat, its position: the largest seq applied. A live
 * event at position + 1 is applied; one at or below the position is a
 * repeat and is dropped; one further ahead reveals a gap: the chat's live
 * events are held while `GET /chats/{chatId}/messages?afterSeq=<position>`
 * (every page) is applied, then the held ones above the new position are
 * released in order. Every (re)connection runs the same catch-up for every
 * chat with a position.
 */
import { Backoff } from './backoff';
import { ClientError, toError } from './errors';
import { createDebug } from './debug';
import { eventsOfMessage, fetchAfter } from './history';
import { DEFAULTS, type SocketOptions } from './options';
import { SeenIds } from './seen';

const debug = createDebug('lettera:recovery');

/** A server event as parsed from a frame (nothing checked yet but `event`). */
export interface IncomingEvent {
  event: string;
  data?: unknown;
  id?: string;
  seq?: number;
  ts?: number;
}

/** What recovery needs to know about the connection. */
export interface RecoveryContext {
  /** The token of the latest connection, sent to the history API. */
  readonly token: string | undefined;
  /** False once the socket was disconnected for good: stop fetching. */
  readonly active: boolean;
}

const MESSAGE_EVENTS = new Set<string>(['message:new', 'message:edited', 'message:deleted']);
/** History answers that a retry cannot change: the user left the chat, or it is gone. */
const FINAL = new Set<string>(['FORBIDDEN', 'NOT_FOUND']);

/** A chat being caught up: live events held meanwhile, and whether another pass is due. */
interface CatchUp {
  held: IncomingEvent[];
  again: boolean;
}

/**
 * @example
 * const recovery = new Recovery(
 *   { httpUrl: 'https://api.example.com' },
 *   transport,
 *   (event, recovered) => console.log(event.event, event.seq, recovered),
 *   (err, chatId) => console.warn(`could not recover ${chatId}: ${err.message}`),
 * );
 * recovery.track('c1', 41);                                          // the app shows c1 up to position 41
 * recovery.receive({ event: 'message:new', data: message, id: 'e42', seq: 42 }); // applied
 * recovery.receive({ event: 'message:new', data: message, id: 'e42', seq: 42 }); // a repeat: dropped
 * recovery.recover();                                                // after a reconnect
 */
export class Recovery {
  readonly #opts: SocketOptions;
  readonly #context: RecoveryContext;
  readonly #deliver: (event: IncomingEvent, recovered: boolean) => void;
  readonly #onError: (err: Error, chatId: string) => void;
  /** Messages whose `message:new` the app got, to tell an edit of a shown message from one never shown. */
  readonly #shown: SeenIds;
  /** Ids of events without a chat position (presence, typing), repeated by the overlap of two connections. */
  readonly #ids: SeenIds;
  /** chatId → position: the largest seq applied; undefined until the chat's first message event. */
  readonly #positions = new Map<string, number | undefined>();
  readonly #catchUps = new Map<string, CatchUp>();

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
    this.#shown = new SeenIds(options.dedupeCapacity ?? DEFAULTS.dedupeCapacity);
    this.#ids = new SeenIds(options.dedupeCapacity ?? DEFAULTS.dedupeCapacity);
    for (const chatId of options.chats ?? []) this.track(chatId);
  }

  /**
   * Follows a chat from position `seq` on: the app shows its messages up to
   * there (0: none). Without a number, a chat already followed keeps its
   * position and a new one starts at its first message event.
   */
  track(chatId: string, seq?: number): void {
    if (typeof seq === 'number') this.#positions.set(chatId, seq);
    else if (!this.#positions.has(chatId)) this.#positions.set(chatId, undefined);
  }

  untrack(chatId: string): void {
    this.#positions.delete(chatId);
    this.#catchUps.delete(chatId);
  }

  /** The chat's position (largest seq applied), undefined for a chat not followed. */
  position(chatId: string): number | undefined {
    return this.#positions.get(chatId);
  }

  /** A live server event: applied, dropped as a repeat, or held while the chat catches up. */
  receive(event: IncomingEvent): void {
    const chatId = (event.data as { chatId?: unknown } | undefined)?.chatId;
    const seq = event.seq;
    if (!MESSAGE_EVENTS.has(event.event) || typeof chatId !== 'string' || typeof seq !== 'number') {
      if (event.id === undefined || this.#ids.add(event.id)) this.#deliver(event, false);
      return;
    }
    // A chat first heard of mid-session starts at this event: what came
    // before is the app's to load, as it loads any chat it opens.
    if (this.#positions.get(chatId) === undefined) this.#positions.set(chatId, seq - 1);
    const catchUp = this.#catchUps.get(chatId);
    if (catchUp) catchUp.held.push(event);
    else if (!this.#apply(chatId, event) && this.#opts.httpUrl) {
      debug('gap in %s before %d', chatId, seq);
      this.#catchUp(chatId, [event]);
    }
  }

  /** Catches up every chat with a position (the socket (re)connected or renewed its connection). */
  recover(): void {
    for (const [chatId, position] of this.#positions) if (position !== undefined) this.#catchUp(chatId, []);
  }

  /**
   * Applies a live event if it is the chat's next one, drops it if the
   * chat is past it; returns false when it lies ahead of a gap. Without a
   * history API a gap cannot be filled, so the event is applied across it.
   */
  #apply(chatId: string, event: IncomingEvent): boolean {
    const position = this.#positions.get(chatId) ?? 0;
    const seq = event.seq!;
    if (seq <= position) {
      return true;
    }
    if (seq > position + 1 && this.#opts.httpUrl) return false;
    this.#positions.set(chatId, seq);
    this.#show(event, false);
    return true;
  }

  #show(event: IncomingEvent, recovered: boolean): void {
    const messageId = (event.data as { messageId?: unknown }).messageId;
    if (event.event === 'message:new' && typeof messageId === 'string') this.#shown.add(messageId);
    this.#deliver(event, recovered);
  }

  /** Starts (or asks for one more pass of) a chat's catch-up. */
  #catchUp(chatId: string, held: IncomingEvent[]): void {
    const running = this.#catchUps.get(chatId);
    if (running) {
      running.again = true;
      running.held.push(...held);
      return;
    }
    const httpUrl = this.#opts.httpUrl;
    const fetchFn = this.#opts.fetch ?? globalThis.fetch;
    if (!httpUrl || !fetchFn) return;
    const catchUp: CatchUp = { held, again: false };
    this.#catchUps.set(chatId, catchUp);
    const backoff = new Backoff({
      min: this.#opts.reconnectionDelay ?? DEFAULTS.reconnectionDelay,
      max: this.#opts.reconnectionDelayMax ?? DEFAULTS.reconnectionDelayMax,
      jitter: this.#opts.randomizationFactor ?? DEFAULTS.randomizationFactor,
      random: this.#opts.random,
    });
    const pass = async (): Promise<void> => {
      // The chat was untracked, or the socket closed for good: stop.
      if (this.#catchUps.get(chatId) !== catchUp || !this.#context.active) return void this.#catchUps.delete(chatId);
      catchUp.again = false;
      try {
        const items = await fetchAfter({ httpUrl, chatId, afterSeq: this.#positions.get(chatId) ?? 0, token: this.#context.token, fetch: fetchFn });
        if (this.#catchUps.get(chatId) !== catchUp) return;
        for (const item of items.sort((a, b) => a.seq - b.seq)) {
          if (item.seq <= (this.#positions.get(chatId) ?? 0)) continue;
          this.#positions.set(chatId, item.seq);
          for (const event of eventsOfMessage(item, this.#shown.has(item.messageId))) this.#show(event, true);
        }
        // Held events in order: repeats dropped, the next ones applied, until a gap is left.
        catchUp.held.sort((a, b) => a.seq! - b.seq!);
        while (catchUp.held.length && this.#apply(chatId, catchUp.held[0]!)) catchUp.held.shift();
        if (!catchUp.held.length && !catchUp.again) return void this.#catchUps.delete(chatId);
        // A connection came back meanwhile: once more at once. The history did not reach a held event yet: after a backoff.
        if (catchUp.again) return void pass();
      } catch (err) {
        this.#onError(toError(err, 'recovery failed'), chatId);
        if (err instanceof ClientError && FINAL.has(err.code)) return this.untrack(chatId);
      }
      setTimeout(() => void pass(), backoff.duration());
    };
    void pass();
  }
}
