/**
 * The Messages table behind the MessageStore port: message rows, the
 * idempotency markers beside them, and one head row per chat holding the
 * chat's last position. Markers and the head sort after every message id.
 *
 * Positions: every write of a chat's messages is one TransactWriteItems of
 * [the writer's membership gate, the head `lastSeq: n-1 → n`, (the marker,)
 * the message with `seq: n`]. The head's condition makes the writes of a
 * chat take 1, 2, 3, … in commit order: a write can only commit on top of
 * the one before it. n - 1 is guessed from what this instance last saw of
 * the chat; a wrong guess cancels the transaction, whose cancellation reason
 * carries the head as it is (ALL_OLD), and the write is tried again on it.
 * An instance runs its own writes to one chat one after the other, so only
 * writes from other instances can make a guess wrong.
 *
 * Ordinals: the head also counts the chat's messages (`lastOrdinal`, moved
 * by creates only) and a new message carries its ordinal, so an unread count
 * is one subtraction (edits and deletes take positions, not ordinals). A
 * create moves the writer's read position to the new message, in the same
 * item of the transaction as the membership gate: sending reads the chat.
 * Heads written before ordinals count every earlier position as a message.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../commons/backoff';
import { ConflictError } from '../../commons/errors';
import { MARKER_PREFIX } from '../../domain/idempotency';
import type { MarkerRow, MembershipRow, MessageRow, MessageStore, MessageWrite, MemberGate, SequencedWrite } from '../../domain/ports';
import { CHAT_HEAD_ID, readMarkIdOf } from '../../system/schema';
import { batchGetAll, isConditionFailure, itemOfConditionFailure } from './commands';
import { gateExpression, READ_FIELDS } from './membership-store';

export interface MessageStoreDeps {
  documentClient: DynamoDBDocumentClient;
  messagesTable: string;
  /** The sequenced writes authorize against the writer's membership row, in the same transaction. */
  membershipsTable?: string;
  /** Attempts of one write while the head keeps moving (other writers of the chat). @default MAX_COMMIT_ATTEMPTS */
  maxAttempts?: number;
}

/** Attempts of one sequenced write before it gives up with CONFLICT (each loses only to a write that committed). */
export const MAX_COMMIT_ATTEMPTS = 12;

/** Chats whose last position this instance remembers (the guess of the next write). */
const HEAD_CACHE_SIZE = 10_000;

/** A read marker row outlives its last write by a day, then TTL removes it (the next read writes it again). */
const READ_MARK_TTL_SECONDS = 24 * 60 * 60;

/** A chat's head as one image shows it: its last position and its message count. */
interface Head {
  seq: number;
  ordinal: number;
}

/** The head of a head row's image; a head written before ordinals counts every position as a message. */
function headOf(item: Record<string, unknown> | undefined): Head | undefined {
  if (typeof item?.lastSeq !== 'number') return undefined;
  return { seq: item.lastSeq, ordinal: typeof item.lastOrdinal === 'number' ? item.lastOrdinal : item.lastSeq };
}

/** Only rows of kind 'message': markers and the head share the partition. */
const messagesOf = (items: Record<string, unknown>[]): MessageRow[] =>
  items.filter((item) => item.kind === 'message') as unknown as MessageRow[];

/** The condition of every change: only the sender's own message, once deleted never again. */
const SENDERS_LIVE_MESSAGE = 'kind = :message AND senderId = :userId AND attribute_not_exists(deletedAt)';

/** A cancelled transaction's reasons, one per item in request order. */
interface CancellationReason {
  Code?: string;
  Item?: Record<string, AttributeValue>;
}

function cancellationReasonsOf(err: unknown): CancellationReason[] | undefined {
  if (!(err instanceof Error) || err.name !== 'TransactionCanceledException') return undefined;
  return (err as Error & { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

const failedCondition = (reason: CancellationReason | undefined): boolean => reason?.Code === 'ConditionalCheckFailed';
const oldItem = (reason: CancellationReason | undefined): Record<string, unknown> | undefined =>
  reason?.Item === undefined ? undefined : unmarshall(reason.Item);

export function createMessageStore(deps: MessageStoreDeps): MessageStore {
  const { documentClient, messagesTable } = deps;
  const maxAttempts = deps.maxAttempts ?? MAX_COMMIT_ATTEMPTS;
  /** chatId → last head seen by this instance. */
  const lastSeen = new Map<string, Head>();
  /** chatId → the tail of this instance's writes to the chat, which run one after the other. */
  const queues = new Map<string, Promise<unknown>>();

  /**
   * Runs the writes of one chat from this instance one at a time: each then
   * guesses the head its predecessor left, so concurrent sends in one
   * instance never cancel each other; only other instances' writes can.
   */
  const inTurn = <T>(chatId: string, write: () => Promise<T>): Promise<T> => {
    const previous = queues.get(chatId) ?? Promise.resolve();
    const run = previous.then(write, write);
    const tail = run.catch(() => undefined);
    queues.set(chatId, tail);
    void tail.then(() => {
      if (queues.get(chatId) === tail) queues.delete(chatId);
    });
    return run;
  };

  const remember = (chatId: string, head: Head): void => {
    lastSeen.delete(chatId);
    if (lastSeen.size >= HEAD_CACHE_SIZE) lastSeen.delete(lastSeen.keys().next().value as string);
    lastSeen.set(chatId, head);
  };

  /**
   * The writer's membership item: the gate, and for a create the move of
   * the writer's read position to the new message (the new head, so never
   * backwards: no condition needed for it).
   */
  const gateItem = (chatId: string, userId: string, gate: MemberGate, write: MessageWrite, next: Head): Record<string, unknown> => {
    const common = { TableName: deps.membershipsTable, Key: { chatId, userId }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' };
    const read = write.kind === 'create'
      ? { expression: READ_FIELDS.set, values: READ_FIELDS.values({ messageId: write.row.messageId, seq: next.seq, ordinal: next.ordinal, readAt: write.row.createdAt }) }
      : undefined;
    if (gate.kind === 'member') {
      const check = { ...common, ConditionExpression: 'attribute_exists(userId)' };
      return read === undefined
        ? { ConditionCheck: check }
        : { Update: { ...check, UpdateExpression: `SET ${read.expression}`, ExpressionAttributeValues: read.values } };
    }
    const expression = gateExpression(gate);
    if (read === undefined) return { Update: { ...common, ...expression } };
    return {
      Update: {
        ...common,
        ...expression,
        UpdateExpression: `${expression.UpdateExpression}, ${read.expression}`,
        ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ...read.values },
      },
    };
  };

  const headItem = (chatId: string, previous: Head, next: Head): Record<string, unknown> => ({
    Update: {
      TableName: messagesTable,
      Key: { chatId, messageId: CHAT_HEAD_ID },
      UpdateExpression: 'SET lastSeq = :seq, lastOrdinal = :ordinal, kind = :head',
      // lastSeq pins the image the guess came from, and with it lastOrdinal.
      ConditionExpression: previous.seq === 0 ? 'attribute_not_exists(lastSeq)' : 'lastSeq = :previous',
      ExpressionAttributeValues: { ':seq': next.seq, ':ordinal': next.ordinal, ':head': 'head', ...(previous.seq !== 0 && { ':previous': previous.seq }) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  });

  /** The items of the write itself, at head `next`. */
  const writeItems = (chatId: string, userId: string, write: MessageWrite, next: Head): Record<string, unknown>[] => {
    const { seq } = next;
    const key = { chatId, messageId: write.kind === 'create' ? write.row.messageId : write.messageId };
    switch (write.kind) {
      case 'create':
        return [
          ...(write.marker === undefined
            ? []
            : [{ Put: { TableName: messagesTable, Item: write.marker, ConditionExpression: 'attribute_not_exists(messageId)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }]),
          { Put: { TableName: messagesTable, Item: { ...write.row, seq, createdSeq: seq, ordinal: next.ordinal }, ConditionExpression: 'attribute_not_exists(messageId)' } },
        ];
      case 'edit':
        return [{
          Update: {
            TableName: messagesTable,
            Key: key,
            UpdateExpression: 'SET content = :content, editedAt = :at, seq = :seq',
            ConditionExpression: SENDERS_LIVE_MESSAGE,
            ExpressionAttributeValues: { ':content': write.content, ':at': write.editedAt, ':seq': seq, ':message': 'message', ':userId': userId },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        }];
      case 'delete':
        return [{
          Update: {
            TableName: messagesTable,
            Key: key,
            // Soft delete: the stream's MODIFY carries message:deleted; content is cleared.
            UpdateExpression: 'SET content = :empty, deletedAt = :at, deletedBy = :userId, seq = :seq',
            ConditionExpression: SENDERS_LIVE_MESSAGE,
            ExpressionAttributeValues: { ':empty': '', ':at': write.deletedAt, ':userId': userId, ':seq': seq, ':message': 'message' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        }];
    }
  };

  /** The head as a consistent read finds it (a conflict without a reason to read it from). */
  const readHead = async (chatId: string): Promise<Head> => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: messagesTable, Key: { chatId, messageId: CHAT_HEAD_ID }, ConsistentRead: true, ProjectionExpression: 'lastSeq, lastOrdinal' }),
    );
    return headOf(Item) ?? { seq: 0, ordinal: 0 };
  };

  /** One sequenced write, tried on the head this instance last saw and again on the head as it is (MessageStore.commit). */
  async function commitNow(chatId: string, userId: string, gate: MemberGate, write: MessageWrite): Promise<SequencedWrite> {
    if (deps.membershipsTable === undefined) throw new Error('createMessageStore: commit needs membershipsTable');
    let previous = lastSeen.get(chatId) ?? { seq: 0, ordinal: 0 };
    for (let attempt = 1; ; attempt++) {
      const next = { seq: previous.seq + 1, ordinal: previous.ordinal + (write.kind === 'create' ? 1 : 0) };
      const items = [gateItem(chatId, userId, gate, write, next), headItem(chatId, previous, next), ...writeItems(chatId, userId, write, next)];
      try {
        await documentClient.send(new TransactWriteCommand({ TransactItems: items as never }));
        remember(chatId, next);
        return { outcome: 'written', seq: next.seq };
      } catch (err) {
        const reasons = cancellationReasonsOf(err);
        if (reasons === undefined) throw err;
        const [gateReason, headReason] = reasons;
        const hasMarker = write.kind === 'create' && write.marker !== undefined;
        const markerReason = hasMarker ? reasons[2] : undefined;
        const messageReason = reasons[hasMarker ? 3 : 2];
        // The write's own conditions first: they hold whatever the head, so no retry changes them.
        if (failedCondition(markerReason) && write.kind === 'create' && write.marker !== undefined) {
          const existing = (oldItem(markerReason) as MarkerRow | undefined) ?? (await store.getMarker(chatId, write.marker.messageId));
          if (existing !== undefined) return { outcome: 'refused', by: 'marker', existing };
        }
        if (failedCondition(gateReason)) {
          const old = oldItem(gateReason) as MembershipRow | undefined;
          return { outcome: 'refused', by: 'member', ...(old !== undefined && { old }) };
        }
        if (failedCondition(messageReason)) {
          // A create whose id is taken (a publisher's retry under the app's id) is refused like an edit of a
          // missing message: no head move can change it, so it is never retried.
          const old = oldItem(messageReason);
          return { outcome: 'refused', by: 'message', ...(old !== undefined && { old }) };
        }
        if (attempt >= maxAttempts) throw new ConflictError('The chat is too busy to take this write now; retry');
        if (failedCondition(headReason)) {
          // Another write took the position: go on from the head as it is.
          previous = headOf(oldItem(headReason)) ?? (await readHead(chatId));
          remember(chatId, previous);
        } else {
          // A transaction conflict (another write in flight on the same rows): wait a little, read the head.
          await sleep(backoffDelay(attempt, 10));
          previous = await readHead(chatId);
        }
      }
    }
  }

  const store: MessageStore = {
    async getMessage(chatId, messageId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: messagesTable, Key: { chatId, messageId }, ConsistentRead: true }),
      );
      return Item?.kind === 'message' ? (Item as MessageRow) : undefined;
    },

    async getMarker(chatId, markerId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: messagesTable, Key: { chatId, messageId: markerId }, ConsistentRead: true }),
      );
      return Item as MarkerRow | undefined;
    },

    commit: (chatId, userId, gate, write) => inTurn(chatId, () => commitNow(chatId, userId, gate, write)),

    async heads(chatIds) {
      const unique = [...new Set(chatIds)];
      const heads = await Promise.all(unique.map(readHead));
      return new Map(unique.map((chatId, i) => [chatId, (heads[i] as Head).seq]));
    },

    async listByMessageId(chatId, cursor, limit) {
      const backwards = cursor.before !== undefined;
      const keyCondition = cursor.after !== undefined ? 'chatId = :chatId AND messageId > :bound' : 'chatId = :chatId AND messageId < :bound';
      // Without a cursor the bound is the first marker id: every message sorts below it.
      const bound = cursor.after ?? cursor.before ?? MARKER_PREFIX;
      const { Items = [] } = await documentClient.send(
        new QueryCommand({
          TableName: messagesTable,
          KeyConditionExpression: keyCondition,
          ExpressionAttributeValues: { ':chatId': chatId, ':bound': bound },
          ScanIndexForward: !backwards,
          Limit: limit,
        }),
      );
      // Markers and the head sort after every message, so with `after` they can only follow the last message.
      return messagesOf(Items as Record<string, unknown>[]);
    },

    /**
     * From the `bySeq` index (a local index: strongly consistent reads). Only
     * message rows carry `seq` (the head keeps `lastSeq`, markers neither), so
     * the sparse index holds nothing else; other kinds are filtered anyway.
     */
    async changesAfter(chatId, afterSeq, limit, startKey) {
      const { Items = [], LastEvaluatedKey } = await documentClient.send(
        new QueryCommand({
          TableName: messagesTable,
          IndexName: 'bySeq',
          KeyConditionExpression: 'chatId = :chatId AND seq > :afterSeq',
          ExpressionAttributeValues: { ':chatId': chatId, ':afterSeq': afterSeq },
          ConsistentRead: true,
          Limit: limit,
          ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
        }),
      );
      return { rows: messagesOf(Items as Record<string, unknown>[]), ...(LastEvaluatedKey !== undefined && { lastKey: LastEvaluatedKey }) };
    },

    async messageCounts(chatIds) {
      const unique = [...new Set(chatIds)];
      const items = await batchGetAll(documentClient, messagesTable, unique.map((chatId) => ({ chatId, messageId: CHAT_HEAD_ID })), {
        attributes: ['chatId', 'lastSeq', 'lastOrdinal'],
      });
      const counts = new Map(unique.map((chatId) => [chatId, 0]));
      for (const item of items) {
        const head = headOf(item);
        if (head !== undefined) counts.set(item.chatId as string, head.ordinal);
      }
      return counts;
    },

    async showRead(chatId, userId, mark, nowMs, throttleMs) {
      try {
        await documentClient.send(
          new UpdateCommand({
            TableName: messagesTable,
            Key: { chatId, messageId: readMarkIdOf(userId) },
            UpdateExpression:
              'SET kind = :read, userId = :userId, readMessageId = :messageId, readSeq = :seq, readAt = :readAt, shownAt = :now, expiresAt = :expiresAt',
            ConditionExpression:
              '(attribute_not_exists(shownAt) OR shownAt <= :threshold) AND (attribute_not_exists(readSeq) OR readSeq < :seq)',
            ExpressionAttributeValues: {
              ':read': 'read',
              ':userId': userId,
              ':messageId': mark.messageId,
              ':seq': mark.seq,
              ':readAt': mark.readAt,
              ':now': nowMs,
              ':threshold': nowMs - throttleMs,
              ':expiresAt': Math.floor(nowMs / 1000) + READ_MARK_TTL_SECONDS,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'written' };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const old = itemOfConditionFailure(err);
        return {
          outcome: 'refused',
          ...(typeof old?.readSeq === 'number' && { shownSeq: old.readSeq }),
          ...(typeof old?.shownAt === 'number' && { shownAt: old.shownAt }),
        };
      }
    },
  };
  return store;
}
