/**
 * The message service, shared by the WebSocket actions and the HTTP API:
 * send (idempotent with a clientMessageId), edit, soft delete, list. It
 * writes to DynamoDB only; the Messages stream drives the broadcasts.
 */
import { createHash } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, itemOfConditionFailure } from '../adapters/dynamodb/commands';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../commons/errors';
import { sortableId } from '../commons/ids';
import type { Message } from '../../protocol';
import { admitMessage, requireParticipant, type MessageRateLimit } from './memberships';

/** Marker rows of clientMessageId live this long (TTL), far beyond any client retry. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Sort keys of markers start here; every ULID sorts below it, so history queries bound by it. */
export const MARKER_PREFIX = 'idem#';
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** A Messages row of kind 'message'. */
export interface MessageRow {
  chatId: string;
  messageId: string;
  kind: 'message';
  senderId: string;
  content: string;
  createdAt: string;
  changeId: string;
  editedAt?: string;
  deletedAt?: string;
  deletedBy?: string;
  clientMessageId?: string;
}

/** A Messages row of kind 'idempotency': points a (sender, clientMessageId) at its message. */
interface MarkerRow {
  chatId: string;
  messageId: string;
  kind: 'idempotency';
  targetMessageId: string;
  createdAt: string;
  contentHash: string;
  expiresAt: number;
}

export interface MessageServiceDeps {
  documentClient: DynamoDBDocumentClient;
  membershipsTable: string;
  messagesTable: string;
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
  };
}

export interface ChangesPage {
  /** Message rows, oldest change first. */
  rows: MessageRow[];
  /** Where the next page starts; undefined on the last page. */
  lastKey?: Record<string, unknown>;
}

/**
 * One page of a chat's message rows written after `changeId`, oldest change
 * first, from the `byChange` index. Idempotency markers have no changeId, so
 * the (sparse) index never holds them; they are filtered out anyway. Shared
 * by the HTTP API's `changedAfter` and the Socket.IO recovery.
 *
 * @example
 * const { rows, lastKey } = await changesAfter({ documentClient, messagesTable }, 'c1', lastChangeId, 51);
 */
export async function changesAfter(
  deps: { documentClient: DynamoDBDocumentClient; messagesTable: string },
  chatId: string,
  changeId: string,
  limit: number,
  startKey?: Record<string, unknown>,
): Promise<ChangesPage> {
  const { Items = [], LastEvaluatedKey } = await deps.documentClient.send(
    new QueryCommand({
      TableName: deps.messagesTable,
      IndexName: 'byChange',
      KeyConditionExpression: 'chatId = :chatId AND changeId > :offset',
      ExpressionAttributeValues: { ':chatId': chatId, ':offset': changeId },
      Limit: limit,
      ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
    }),
  );
  const rows = (Items as Record<string, unknown>[]).filter((item) => item.kind === 'message') as unknown as MessageRow[];
  return { rows, ...(LastEvaluatedKey !== undefined && { lastKey: LastEvaluatedKey }) };
}

const hashOf = (content: string): string => createHash('sha256').update(content).digest('base64url');

/** Sort key of the idempotency marker of (sender, clientMessageId). */
const markerIdOf = (senderId: string, clientMessageId: string): string => `${MARKER_PREFIX}${senderId}#${clientMessageId}`;

/**
 * Creates the message service over the Memberships and Messages tables.
 *
 * @example
 * const messages = createMessageService({ documentClient, membershipsTable, messagesTable });
 * const message = await messages.send('alice', { chatId: 'c1', content: 'hi', clientMessageId: 'k1' });
 */
export function createMessageService(deps: MessageServiceDeps): MessageService {
  const { documentClient, messagesTable } = deps;
  const now = deps.now ?? Date.now;

  const getMessageRow = async (chatId: string, messageId: string): Promise<MessageRow | undefined> => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: messagesTable, Key: { chatId, messageId }, ConsistentRead: true }),
    );
    return Item?.kind === 'message' ? (Item as MessageRow) : undefined;
  };

  /** Puts a new message row; false when the id is taken (a concurrent retry wrote it). */
  const putMessage = async (row: MessageRow): Promise<boolean> => {
    try {
      await documentClient.send(
        new PutCommand({ TableName: messagesTable, Item: row, ConditionExpression: 'attribute_not_exists(messageId)' }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  };

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
    let existing: MarkerRow | undefined;
    try {
      await documentClient.send(
        new PutCommand({
          TableName: messagesTable,
          Item: marker,
          ConditionExpression: 'attribute_not_exists(messageId)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      existing = itemOfConditionFailure(err) as MarkerRow | undefined;
      if (existing === undefined) {
        const { Item } = await documentClient.send(
          new GetCommand({ TableName: messagesTable, Key: { chatId: row.chatId, messageId: marker.messageId }, ConsistentRead: true }),
        );
        existing = Item as MarkerRow | undefined;
      }
      if (existing === undefined) throw new ConflictError('Concurrent send with this clientMessageId; retry', { cause: err });
    }
    if (existing === undefined) {
      await putMessage(row);
      return toMessage(row);
    }
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
    const stored = await getMessageRow(row.chatId, existing.targetMessageId);
    if (stored !== undefined) return toMessage(stored);
    // The first attempt wrote the marker and died before the message: finish its work, same id and time.
    const repaired: MessageRow = { ...row, messageId: existing.targetMessageId, changeId: existing.targetMessageId, createdAt: existing.createdAt };
    if (await putMessage(repaired)) return toMessage(repaired);
    const raced = await getMessageRow(row.chatId, existing.targetMessageId);
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
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: messagesTable, Key: { chatId: row.chatId, messageId: markerIdOf(row.senderId, clientMessageId) }, ConsistentRead: true }),
    );
    return Item?.kind === 'idempotency' ? answerRetry(row, Item as MarkerRow) : undefined;
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
        await admitMessage(deps, input.chatId, senderId, at, deps.rateLimit);
      } catch (err) {
        if (!(err instanceof RateLimitedError) || input.clientMessageId === undefined) throw err;
        const retried = await acceptedRetry(row, input.clientMessageId);
        if (retried === undefined) throw err;
        return retried;
      }
      if (input.clientMessageId !== undefined) return sendIdempotent(row, input.clientMessageId);
      await documentClient.send(
        new PutCommand({ TableName: messagesTable, Item: row, ConditionExpression: 'attribute_not_exists(messageId)' }),
      );
      return toMessage(row);
    },

    async edit(userId, input) {
      // Edits count against the flood limit: each is broadcast to the whole room, like a send.
      const at = now();
      await admitMessage(deps, input.chatId, userId, at, deps.rateLimit);
      try {
        const { Attributes } = await documentClient.send(
          new UpdateCommand({
            TableName: messagesTable,
            Key: { chatId: input.chatId, messageId: input.messageId },
            UpdateExpression: 'SET content = :content, editedAt = :at, changeId = :changeId',
            ConditionExpression: 'kind = :message AND senderId = :userId AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: {
              ':content': input.content,
              ':at': new Date(at).toISOString(),
              ':changeId': sortableId(at),
              ':message': 'message',
              ':userId': userId,
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return toMessage(Attributes as MessageRow);
      } catch (err) {
        if (isConditionFailure(err)) throw refusal(itemOfConditionFailure(err), userId);
        throw err;
      }
    },

    async remove(userId, input) {
      // Deletes are not counted: a message is deleted once at most, so deletes never outnumber
      // the (limited) sends, and cleaning up after a burst must not be refused.
      await requireParticipant(deps, input.chatId, userId);
      const at = now();
      const deletedAt = new Date(at).toISOString();
      try {
        await documentClient.send(
          new UpdateCommand({
            TableName: messagesTable,
            Key: { chatId: input.chatId, messageId: input.messageId },
            // Soft delete: the stream's MODIFY carries message:deleted; content is cleared.
            UpdateExpression: 'SET content = :empty, deletedAt = :at, deletedBy = :userId, changeId = :changeId',
            ConditionExpression: 'kind = :message AND senderId = :userId AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: {
              ':empty': '',
              ':at': deletedAt,
              ':userId': userId,
              ':changeId': sortableId(at),
              ':message': 'message',
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { messageId: input.messageId, deletedAt };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const old = itemOfConditionFailure(err);
        // Deleting twice is a success with the first deletion's time, and no second event.
        if (old?.kind === 'message' && old.senderId === userId && typeof old.deletedAt === 'string') {
          return { messageId: input.messageId, deletedAt: old.deletedAt };
        }
        throw refusal(old, userId);
      }
    },

    async list(userId, input) {
      const cursors = [input.before, input.after, input.changedAfter].filter((c) => c !== undefined).length;
      if (cursors > 1) throw new BadRequestError('Use one of before, after and changedAfter, not several');
      await requireParticipant(deps, input.chatId, userId);
      const limit = input.limit ?? DEFAULT_PAGE_SIZE;
      if (input.changedAfter !== undefined) {
        // One extra row tells whether another page exists.
        const { rows } = await changesAfter(deps, input.chatId, input.changedAfter, limit + 1);
        const items = rows.slice(0, limit).map(toMessage);
        const next = items[items.length - 1]?.changeId;
        return { items, ...(rows.length > limit && next !== undefined && { next }) };
      }
      const backwards = input.before !== undefined;
      let keyCondition = 'chatId = :chatId AND messageId < :bound';
      const values: Record<string, unknown> = { ':chatId': input.chatId, ':bound': input.before ?? MARKER_PREFIX };
      if (input.after !== undefined) {
        keyCondition = 'chatId = :chatId AND messageId > :bound';
        values[':bound'] = input.after;
      }
      const { Items = [] } = await documentClient.send(
        new QueryCommand({
          TableName: messagesTable,
          KeyConditionExpression: keyCondition,
          ExpressionAttributeValues: values,
          ScanIndexForward: !backwards,
          // One extra row tells whether another page exists.
          Limit: limit + 1,
        }),
      );
      // Markers sort after every message, so with `after` they can only follow the last message.
      const rows = (Items as Record<string, unknown>[]).filter((item) => item.kind === 'message') as unknown as MessageRow[];
      const more = rows.length > limit;
      const page = rows.slice(0, limit);
      if (backwards) page.reverse();
      const items = page.map(toMessage);
      const edge = backwards ? items[0] : items[items.length - 1];
      return { items, ...(more && edge !== undefined && { next: edge.messageId }) };
    },
  };
}
