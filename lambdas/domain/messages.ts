/**
 * The message service, shared by the WebSocket actions and the HTTP API:
 * send (idempotent with a clientMessageId), edit, soft delete, list. It
 * writes through the stores only; the Messages stream drives the broadcasts.
 */
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../commons/errors';
import { sortableId } from '../commons/ids';
import type { Message } from '../../protocol';
import { hashOf, IDEMPOTENCY_TTL_SECONDS, markerIdOf } from './idempotency';
import { admitMessage, requireParticipant, type MessageRateLimit } from './memberships';
import type { MarkerRow, MembershipStore, MessageRow, MessageStore } from './ports';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export interface MessageServiceDeps {
  messages: MessageStore;
  memberships: Pick<MembershipStore, 'get' | 'countMessage' | 'reopenWindow'>;
  /** Injected for tests. @default Date.now */
  now?: () => number;
  /** The flood limit on sends and edits. @default MESSAGE_RATE_LIMIT per MESSAGE_RATE_WINDOW_MS */
  rateLimit?: MessageRateLimit;
}

export interface SendInput {
  chatId: string;
  content: string;
  clientMessageId?: string;
}
export interface EditInput {
  chatId: string;
  messageId: string;
  content: string;
}
export interface DeleteInput {
  chatId: string;
  messageId: string;
}
export interface ListInput {
  chatId: string;
  limit?: number;
  /** Only messages older than this messageId (the page just before it). */
  before?: string;
  /** Only messages newer than this messageId. */
  after?: string;
  /** Only messages written (created, edited, deleted) after this changeId, oldest change first. */
  changedAfter?: string;
}
export interface MessagePage {
  items: Message[];
  /** Pass as `after` (forward pages), `before` (with `before`) or `changedAfter` (with `changedAfter`) to get the next page. */
  next?: string;
}

export interface MessageService {
  send(senderId: string, input: SendInput): Promise<Message>;
  edit(userId: string, input: EditInput): Promise<Message>;
  remove(userId: string, input: DeleteInput): Promise<{ messageId: string; deletedAt: string }>;
  list(userId: string, input: ListInput): Promise<MessagePage>;
}

/** The API shape of a stored message. */
export function toMessage(row: MessageRow): Message {
  return {
    messageId: row.messageId,
    chatId: row.chatId,
    senderId: row.senderId,
    content: row.content,
    timestamp: row.createdAt,
    ...(row.editedAt !== undefined && { editedAt: row.editedAt }),
    ...(row.deletedAt !== undefined && { deletedAt: row.deletedAt }),
    ...(row.changeId !== undefined && { changeId: row.changeId }),
    ...(row.createdChangeId !== undefined && { createdChangeId: row.createdChangeId }),
  };
}

/**
 * Creates the message service over the message and membership stores.
 */
export function createMessageService(deps: MessageServiceDeps): MessageService {
  const { messages, memberships } = deps;
  const now = deps.now ?? Date.now;

  /**
   * Sends with a clientMessageId: the marker goes first (conditional), then
   * the message. A retry finds the marker and returns the message it points
   * at, writing the message itself if the first attempt died in between.
   */
  const sendIdempotent = async (row: MessageRow, clientMessageId: string): Promise<Message> => {
    const marker: MarkerRow = {
      chatId: row.chatId,
      messageId: markerIdOf(row.senderId, clientMessageId),
      kind: 'idempotency',
      targetMessageId: row.messageId,
      createdAt: row.createdAt,
      contentHash: hashOf(row.content),
      expiresAt: Math.floor(now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };
    const put = await messages.putMarker(marker);
    if (put.outcome === 'written') {
      await messages.putMessage(row);
      return toMessage(row);
    }
    const existing = put.existing ?? (await messages.getMarker(row.chatId, marker.messageId));
    if (existing === undefined) throw new ConflictError('Concurrent send with this clientMessageId; retry');
    return answerRetry(row, existing);
  };

  /**
   * A send whose marker already exists is a retry: it returns the message the
   * marker points at, writing it if the first attempt died before it did.
   */
  const answerRetry = async (row: MessageRow, existing: MarkerRow): Promise<Message> => {
    if (existing.contentHash !== hashOf(row.content)) {
      throw new ConflictError('clientMessageId was already used for different content');
    }
    const stored = await messages.getMessage(row.chatId, existing.targetMessageId);
    if (stored !== undefined) return toMessage(stored);
    // The first attempt wrote the marker and died before the message: finish its work, same id and time.
    const repaired: MessageRow = { ...row, messageId: existing.targetMessageId, changeId: existing.targetMessageId, createdAt: existing.createdAt };
    if (await messages.putMessage(repaired)) return toMessage(repaired);
    const raced = await messages.getMessage(row.chatId, existing.targetMessageId);
    if (raced === undefined) throw new ConflictError('Concurrent send with this clientMessageId; retry');
    return toMessage(raced);
  };

  /** Explains a failed edit/delete condition from the row as it was. */
  const refusal = (old: Record<string, unknown> | undefined, userId: string): Error => {
    if (old === undefined || old.kind !== 'message') return new NotFoundError('Message not found');
    if (old.senderId !== userId) return new ForbiddenError('Only the sender may change a message');
    return new ConflictError('Message was deleted');
  };

  /**
   * A send refused by the flood limit that is the retry of a send already
   * accepted (its marker exists) is answered as any retry, not refused: the
   * first attempt may have been stored and broadcast with its ack lost, and a
   * refusal would tell the client it was not. It writes no new message, so
   * the limit holds. Costs one read, on the refusal path only.
   */
  const acceptedRetry = async (row: MessageRow, clientMessageId: string): Promise<Message | undefined> => {
    const marker = await messages.getMarker(row.chatId, markerIdOf(row.senderId, clientMessageId));
    return marker?.kind === 'idempotency' ? answerRetry(row, marker) : undefined;
  };

  return {
    async send(senderId, input) {
      const at = now();
      const messageId = sortableId(at);
      const row: MessageRow = {
        chatId: input.chatId,
        messageId,
        kind: 'message',
        senderId,
        content: input.content,
        createdAt: new Date(at).toISOString(),
        changeId: messageId,
        ...(input.clientMessageId !== undefined && { clientMessageId: input.clientMessageId }),
      };
      try {
        // Authorizes and counts against the flood limit in one write (no read).
        await admitMessage(memberships, input.chatId, senderId, at, deps.rateLimit);
      } catch (err) {
        if (!(err instanceof RateLimitedError) || input.clientMessageId === undefined) throw err;
        const retried = await acceptedRetry(row, input.clientMessageId);
        if (retried === undefined) throw err;
        return retried;
      }
      if (input.clientMessageId !== undefined) return sendIdempotent(row, input.clientMessageId);
      // A fresh ULID is never taken; if it were, the send fails rather than overwrite.
      if (!(await messages.putMessage(row))) throw new ConflictError('Message id already taken; retry');
      return toMessage(row);
    },

    async edit(userId, input) {
      // Edits count against the flood limit: each is broadcast to the whole room, like a send.
      const at = now();
      await admitMessage(memberships, input.chatId, userId, at, deps.rateLimit);
      const change = await messages.edit(input, userId, { content: input.content, editedAt: new Date(at).toISOString(), changeId: sortableId(at) });
      if (change.outcome === 'refused') throw refusal(change.old, userId);
      return toMessage(change.row as MessageRow);
    },

    async remove(userId, input) {
      // Deletes are not counted: a message is deleted once at most, so deletes never outnumber
      // the (limited) sends, and cleaning up after a burst must not be refused.
      await requireParticipant(memberships, input.chatId, userId);
      const at = now();
      const deletedAt = new Date(at).toISOString();
      const change = await messages.softDelete(input, userId, { deletedAt, changeId: sortableId(at) });
      if (change.outcome === 'written') return { messageId: input.messageId, deletedAt };
      const { old } = change;
      // Deleting twice is a success with the first deletion's time, and no second event.
      if (old?.kind === 'message' && old.senderId === userId && typeof old.deletedAt === 'string') {
        return { messageId: input.messageId, deletedAt: old.deletedAt };
      }
      throw refusal(old, userId);
    },

    async list(userId, input) {
      const cursors = [input.before, input.after, input.changedAfter].filter((c) => c !== undefined).length;
      if (cursors > 1) throw new BadRequestError('Use one of before, after and changedAfter, not several');
      await requireParticipant(memberships, input.chatId, userId);
      const limit = input.limit ?? DEFAULT_PAGE_SIZE;
      // One extra row tells whether another page exists.
      if (input.changedAfter !== undefined) {
        const { rows } = await messages.changesAfter(input.chatId, input.changedAfter, limit + 1);
        const items = rows.slice(0, limit).map(toMessage);
        const next = items[items.length - 1]?.changeId;
        return { items, ...(rows.length > limit && next !== undefined && { next }) };
      }
      const backwards = input.before !== undefined;
      const rows = await messages.listByMessageId(
        input.chatId,
        { ...(input.before !== undefined && { before: input.before }), ...(input.after !== undefined && { after: input.after }) },
        limit + 1,
      );
      const more = rows.length > limit;
      const page = rows.slice(0, limit);
      if (backwards) page.reverse();
      const items = page.map(toMessage);
      const edge = backwards ? items[0] : items[items.length - 1];
      return { items, ...(more && edge !== undefined && { next: edge.messageId }) };
    },
  };
}
