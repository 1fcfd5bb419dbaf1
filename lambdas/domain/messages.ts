/**
 * The message service, shared by the WebSocket actions and the HTTP API:
 * send (idempotent with a clientMessageId), edit, soft delete, list. It
 * writes through the stores only; the Messages stream drives the broadcasts.
 */
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../commons/errors';
import { sortableId } from '../commons/ids';
import type { Message } from '../../protocol';
import { hashOf, IDEMPOTENCY_TTL_SECONDS, markerIdOf } from './idempotency';
import { admitThrough, requireParticipant, type MessageRateLimit } from './memberships';
import type { MarkerRow, MembershipStore, MessageRow, MessageStore } from './ports';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export interface MessageServiceDeps {
  messages: MessageStore;
  /** Only read by `list`: writes authorize inside their transaction. */
  memberships: Pick<MembershipStore, 'get'>;
  /** Injected for tests. @default Date.now */
  now?: () => number;
  /** The flood limit on sends and edits. @default the messageRateLimit / messageRateWindowMs settings' defaults */
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
  /** Only messages whose latest write (create, edit, delete) is after this chat position, in position order. */
  afterSeq?: number;
}
export interface MessagePage {
  items: Message[];
  /** Pass as `after` (forward pages), `before` (with `before`) or `afterSeq` (with `afterSeq`) to get the next page. */
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
    seq: row.seq,
  };
}

/**
 * Creates the message service over the message and membership stores.
 * Every write goes through `messages.commit`: one transaction that checks
 * (and, for sends and edits, counts) the writer's membership, takes the
 * chat's next position and writes the message, so a refused write takes no
 * position and a committed one is authorized, counted and positioned at once.
 */
export function createMessageService(deps: MessageServiceDeps): MessageService {
  const { messages, memberships } = deps;
  const now = deps.now ?? Date.now;

  /**
   * A send whose marker already exists is a retry (the first attempt's ack
   * may have been lost, e.g. to API Gateway's 29 s timeout): it returns the
   * message the marker points at, same id and position. Marker and message
   * are written in one transaction, so the message exists.
   */
  const answerRetry = async (chatId: string, content: string, existing: MarkerRow): Promise<Message> => {
    if (existing.contentHash !== hashOf(content)) {
      throw new ConflictError('clientMessageId was already used for different content');
    }
    const stored = await messages.getMessage(chatId, existing.targetMessageId);
    if (stored === undefined) throw new ConflictError('The message of this clientMessageId is gone; send with a new clientMessageId');
    return toMessage(stored);
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
  const acceptedRetry = async (chatId: string, senderId: string, input: SendInput): Promise<Message | undefined> => {
    if (input.clientMessageId === undefined) return undefined;
    const marker = await messages.getMarker(chatId, markerIdOf(senderId, input.clientMessageId));
    return marker?.kind === 'idempotency' ? answerRetry(chatId, input.content, marker) : undefined;
  };

  return {
    async send(senderId, input) {
      const at = now();
      const row: Omit<MessageRow, 'seq' | 'createdSeq'> = {
        chatId: input.chatId,
        messageId: sortableId(at),
        kind: 'message',
        senderId,
        content: input.content,
        createdAt: new Date(at).toISOString(),
        ...(input.clientMessageId !== undefined && { clientMessageId: input.clientMessageId }),
      };
      const marker: MarkerRow | undefined = input.clientMessageId === undefined
        ? undefined
        : {
            chatId: row.chatId,
            messageId: markerIdOf(senderId, input.clientMessageId),
            kind: 'idempotency',
            targetMessageId: row.messageId,
            createdAt: row.createdAt,
            contentHash: hashOf(row.content),
            expiresAt: Math.floor(at / 1000) + IDEMPOTENCY_TTL_SECONDS,
          };
      try {
        return await admitThrough<Message>(async (gate) => {
          const write = await messages.commit(input.chatId, senderId, gate, { kind: 'create', row, ...(marker !== undefined && { marker }) });
          if (write.outcome === 'written') return { admitted: toMessage({ ...row, seq: write.seq, createdSeq: write.seq }) };
          if (write.by === 'marker') return { admitted: await answerRetry(input.chatId, input.content, write.existing) };
          if (write.by === 'member') return { refused: write.old };
          // A fresh ULID is never taken; if it were, the send fails rather than overwrite.
          throw new ConflictError('Message id already taken; retry');
        }, at, deps.rateLimit);
      } catch (err) {
        if (!(err instanceof RateLimitedError)) throw err;
        const retried = await acceptedRetry(input.chatId, senderId, input);
        if (retried === undefined) throw err;
        return retried;
      }
    },

    async edit(userId, input) {
      // Read first: the ack carries the whole message, and a transaction returns no row.
      const old = await messages.getMessage(input.chatId, input.messageId);
      if (old === undefined || old.senderId !== userId || old.deletedAt !== undefined) {
        throw refusal(old as Record<string, unknown> | undefined, userId);
      }
      const at = now();
      const editedAt = new Date(at).toISOString();
      // Edits count against the flood limit: each is broadcast to the whole room, like a send.
      return admitThrough<Message>(async (gate) => {
        const write = await messages.commit(input.chatId, userId, gate, { kind: 'edit', messageId: input.messageId, content: input.content, editedAt });
        if (write.outcome === 'written') return { admitted: toMessage({ ...old, content: input.content, editedAt, seq: write.seq }) };
        if (write.by === 'member') return { refused: write.old };
        throw refusal(write.by === 'message' ? write.old : undefined, userId);
      }, at, deps.rateLimit);
    },

    async remove(userId, input) {
      // Deletes are not counted: a message is deleted once at most, so deletes never outnumber
      // the (limited) sends, and cleaning up after a burst must not be refused.
      const deletedAt = new Date(now()).toISOString();
      const write = await messages.commit(input.chatId, userId, { kind: 'member' }, { kind: 'delete', messageId: input.messageId, deletedAt });
      if (write.outcome === 'written') return { messageId: input.messageId, deletedAt };
      if (write.by === 'member') throw new ForbiddenError('Not a participant of this chat');
      const old = write.by === 'message' ? write.old : undefined;
      // Deleting twice is a success with the first deletion's time, and no second event.
      if (old?.kind === 'message' && old.senderId === userId && typeof old.deletedAt === 'string') {
        return { messageId: input.messageId, deletedAt: old.deletedAt };
      }
      throw refusal(old, userId);
    },

    async list(userId, input) {
      const cursors = [input.before, input.after, input.afterSeq].filter((c) => c !== undefined).length;
      if (cursors > 1) throw new BadRequestError('Use one of before, after and afterSeq, not several');
      await requireParticipant(memberships, input.chatId, userId);
      const limit = input.limit ?? DEFAULT_PAGE_SIZE;
      // One extra row tells whether another page exists.
      if (input.afterSeq !== undefined) {
        const { rows } = await messages.changesAfter(input.chatId, input.afterSeq, limit + 1);
        const items = rows.slice(0, limit).map(toMessage);
        const next = items[items.length - 1]?.seq;
        return { items, ...(rows.length > limit && next !== undefined && { next: String(next) }) };
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
