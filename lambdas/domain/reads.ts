/**
 * Read receipts and unread counts. A participant's read position is on
 * their Memberships row (the message read up to, its create's position and
 * ordinal, when) and only moves forward; a participant's own send moves it
 * too (MessageStore.commit). Unread counts are one subtraction per chat,
 * the chat head's message count minus the position's ordinal: no scan.
 *
 * `message:read` is stream-driven: a read that moved the position writes
 * the reader's read marker in Messages (at most once a second per reader
 * per chat), and the fan-out sends the marker's stream record to the chat's
 * other users. A read inside the second waits for it to end and then shows
 * the position as it is then, so the last position is always sent, once.
 */
import { ForbiddenError, NotFoundError } from '../commons/errors';
import { READ_THROTTLE_MS, type AckResults, type ChatSummary, type Page, type ReadState } from '../../protocol';
import { DEFAULT_LIMITS } from '../system/limits';
import { requireParticipant } from './memberships';
import type { MembershipRow, MembershipStore, MessageStore, ReadMark } from './ports';

export interface ReadMarkerDeps {
  messages: Pick<MessageStore, 'getMessage' | 'showRead'>;
  memberships: Pick<MembershipStore, 'get' | 'moveRead' | 'countUpTo'>;
  /** Participants above which a chat sends no `message:read`. @default the presenceBroadcastMaxMembers setting's default */
  broadcastMaxMembers?: number;
  /** @default READ_THROTTLE_MS */
  throttleMs?: number;
  /** Injected for tests. @default Date.now */
  now?: () => number;
  /** Waits for a throttle window to end. Injected for tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export interface MarkReadInput {
  chatId: string;
  messageId: string;
}

/**
 * Moves the caller's read position to `messageId` when it is further than
 * theirs; otherwise changes nothing and answers the position as it is
 * (`moved: false`).
 * @throws {ForbiddenError} the caller is not a participant (whatever the message).
 * @throws {NotFoundError} no such message in this chat.
 */
export type MarkRead = (userId: string, input: MarkReadInput) => Promise<AckResults['message:read']>;

export interface ReadQueryDeps {
  messages: Pick<MessageStore, 'messageCounts'>;
  memberships: Pick<MembershipStore, 'get' | 'readsOf' | 'pageOfChat'>;
}

export interface ReadQueries {
  /** One page of the read positions of a chat's participants, for a participant. */
  positions(userId: string, chatId: string, page?: { limit?: number; cursor?: string }): Promise<Page<ReadState>>;
  /** The page's chats with the caller's read position and unread count: two BatchGetItems, whatever the page size. */
  withUnread(userId: string, page: Page<ChatSummary>): Promise<Page<ChatSummary>>;
}

export const DEFAULT_READS_PAGE_SIZE = 50;

/** A trailing show waits for the window at most this many times (a concurrent show can move the window). */
const MAX_SHOW_ATTEMPTS = 3;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The read position a membership row (or its projection) carries, if any; rows without an ordinal use the position. */
export function readMarkOf(row: Partial<MembershipRow>): ReadMark | undefined {
  const { readMessageId, readSeq, readOrdinal, readAt } = row;
  if (typeof readMessageId !== 'string' || typeof readSeq !== 'number' || typeof readAt !== 'string') return undefined;
  return { messageId: readMessageId, seq: readSeq, ordinal: typeof readOrdinal === 'number' ? readOrdinal : readSeq, readAt };
}

function toReadState(row: MembershipRow): ReadState {
  const mark = readMarkOf(row);
  return mark === undefined ? { userId: row.userId, seq: 0 } : { userId: row.userId, messageId: mark.messageId, seq: mark.seq, readAt: mark.readAt };
}

/**
 * Creates `markRead` over the stores.
 *
 * Costs per `markRead`: one strongly consistent GetItem of the message, one
 * conditional UpdateItem of the reader's membership row; when it moved the
 * position in a chat that broadcasts, a COUNT Query bounded by the chat-size
 * setting and one conditional UpdateItem of the read marker (its stream
 * record is the broadcast); a read inside the throttle window adds one
 * GetItem and one more UpdateItem at the window's end.
 *
 * @example
 * const markRead = createReadMarker({ messages, memberships });
 * await markRead('bob', { chatId: 'c1', messageId: '01J…' }); // { chatId, userId: 'bob', messageId, seq: 7, readAt, moved: true }
 */
export function createReadMarker(deps: ReadMarkerDeps): MarkRead {
  const { messages, memberships } = deps;
  const clock = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const throttleMs = deps.throttleMs ?? READ_THROTTLE_MS;
  const maxMembers = deps.broadcastMaxMembers ?? DEFAULT_LIMITS.presenceBroadcastMaxMembers;

  const broadcasts = async (chatId: string): Promise<boolean> =>
    maxMembers > 0 && (await memberships.countUpTo(chatId, maxMembers)) <= maxMembers;

  /**
   * Writes the read marker with the latest position: now when the window is
   * over, else when it ends, with the position as it is then (a later read
   * may have moved it; its own call then finds it shown and stops).
   */
  const show = async (chatId: string, userId: string, mark: ReadMark): Promise<void> => {
    let latest = mark;
    for (let attempt = 0; attempt < MAX_SHOW_ATTEMPTS; attempt++) {
      const nowMs = clock();
      const shown = await messages.showRead(chatId, userId, latest, nowMs, throttleMs);
      if (shown.outcome === 'written') return;
      if (shown.shownSeq !== undefined && shown.shownSeq >= latest.seq) return; // This position or a later one is out.
      await sleep(Math.max(0, (shown.shownAt ?? nowMs) + throttleMs - clock()));
      const row = await memberships.get(chatId, userId);
      const current = row === undefined ? undefined : readMarkOf(row);
      if (current === undefined) return; // Left the chat meanwhile.
      if (current.seq > latest.seq) latest = current;
    }
  };

  return async (userId, { chatId, messageId }) => {
    const message = await messages.getMessage(chatId, messageId);
    if (message === undefined) {
      // An outsider learns nothing about the chat's messages: FORBIDDEN first.
      await requireParticipant(memberships, chatId, userId);
      throw new NotFoundError('Message not found in this chat');
    }
    const mark: ReadMark = { messageId, seq: message.createdSeq, ordinal: message.ordinal ?? message.createdSeq, readAt: new Date(clock()).toISOString() };
    const moved = await memberships.moveRead(chatId, userId, mark);
    if (moved.outcome === 'absent') throw new ForbiddenError('Not a participant of this chat');
    if (moved.outcome === 'refused') {
      // At or past this message already: nothing written, nothing sent; the ack tells where the position is.
      const current = readMarkOf(moved.old) ?? mark;
      return { chatId, userId, messageId: current.messageId, seq: current.seq, readAt: current.readAt, moved: false };
    }
    if (await broadcasts(chatId)) await show(chatId, userId, mark);
    return { chatId, userId, messageId, seq: mark.seq, readAt: mark.readAt, moved: true };
  };
}

/**
 * Creates the read queries of the HTTP API.
 *
 * @example
 * const page = await createReadQueries({ messages, memberships }).withUnread('bob', await chats.listForUser('bob'));
 */
export function createReadQueries(deps: ReadQueryDeps): ReadQueries {
  const { messages, memberships } = deps;
  return {
    async positions(userId, chatId, page = {}) {
      await requireParticipant(memberships, chatId, userId);
      const { rows, next } = await memberships.pageOfChat(chatId, page.limit ?? DEFAULT_READS_PAGE_SIZE, page.cursor);
      return { items: rows.map(toReadState), ...(next !== undefined && { next }) };
    },

    async withUnread(userId, page) {
      if (page.items.length === 0) return page;
      const chatIds = page.items.map((chat) => chat.chatId);
      const [reads, counts] = await Promise.all([memberships.readsOf(userId, chatIds), messages.messageCounts(chatIds)]);
      const items = page.items.map((chat): ChatSummary => {
        const read = reads.get(chat.chatId);
        const unreadCount = Math.max(0, (counts.get(chat.chatId) ?? 0) - (read?.ordinal ?? 0));
        return { ...chat, unreadCount, ...(read !== undefined && { read: { messageId: read.messageId, seq: read.seq, readAt: read.readAt } }) };
      });
      return { ...page, items };
    },
  };
}
