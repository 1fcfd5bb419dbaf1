/**
 * The Messages table behind the MessageStore port: message rows and
 * idempotency markers share a partition (the chat), markers sorting after
 * every message id.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MARKER_PREFIX } from '../../domain/idempotency';
import type { MarkerRow, MessageChange, MessageRow, MessageStore } from '../../domain/ports';
import { isConditionFailure, itemOfConditionFailure } from './commands';

export interface MessageStoreDeps {
  documentClient: DynamoDBDocumentClient;
  messagesTable: string;
}

/** Only rows of kind 'message': markers share the partition. */
const messagesOf = (items: Record<string, unknown>[]): MessageRow[] =>
  items.filter((item) => item.kind === 'message') as unknown as MessageRow[];

/** The condition of every change: only the sender's own message, once deleted never again. */
const SENDERS_LIVE_MESSAGE = 'kind = :message AND senderId = :userId AND attribute_not_exists(deletedAt)';

export function createMessageStore(deps: MessageStoreDeps): MessageStore {
  const { documentClient, messagesTable } = deps;

  const update = async (
    key: { chatId: string; messageId: string },
    expression: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown>; ReturnValues?: 'ALL_NEW' },
  ): Promise<MessageChange> => {
    try {
      const { Attributes } = await documentClient.send(
        new UpdateCommand({
          TableName: messagesTable,
          Key: { chatId: key.chatId, messageId: key.messageId },
          ...expression,
          ConditionExpression: SENDERS_LIVE_MESSAGE,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'written', ...(Attributes !== undefined && { row: Attributes as MessageRow }) };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const old = itemOfConditionFailure(err);
      return { outcome: 'refused', ...(old !== undefined && { old }) };
    }
  };

  return {
    async getMessage(chatId, messageId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: messagesTable, Key: { chatId, messageId }, ConsistentRead: true }),
      );
      return Item?.kind === 'message' ? (Item as MessageRow) : undefined;
    },

    async putMessage(row) {
      try {
        await documentClient.send(
          new PutCommand({ TableName: messagesTable, Item: row, ConditionExpression: 'attribute_not_exists(messageId)' }),
        );
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw err;
      }
    },

    async putMarker(marker) {
      try {
        await documentClient.send(
          new PutCommand({
            TableName: messagesTable,
            Item: marker,
            ConditionExpression: 'attribute_not_exists(messageId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'written' };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const existing = itemOfConditionFailure(err) as MarkerRow | undefined;
        return { outcome: 'taken', ...(existing !== undefined && { existing }) };
      }
    },

    async getMarker(chatId, markerId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: messagesTable, Key: { chatId, messageId: markerId }, ConsistentRead: true }),
      );
      return Item as MarkerRow | undefined;
    },

    edit: (key, userId, change) =>
      update(key, {
        UpdateExpression: 'SET content = :content, editedAt = :at, changeId = :changeId',
        ExpressionAttributeValues: {
          ':content': change.content,
          ':at': change.editedAt,
          ':changeId': change.changeId,
          ':message': 'message',
          ':userId': userId,
        },
        ReturnValues: 'ALL_NEW',
      }),

    softDelete: (key, userId, change) =>
      update(key, {
        // Soft delete: the stream's MODIFY carries message:deleted; content is cleared.
        UpdateExpression: 'SET content = :empty, deletedAt = :at, deletedBy = :userId, changeId = :changeId',
        ExpressionAttributeValues: {
          ':empty': '',
          ':at': change.deletedAt,
          ':userId': userId,
          ':changeId': change.changeId,
          ':message': 'message',
        },
      }),

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
      // Markers sort after every message, so with `after` they can only follow the last message.
      return messagesOf(Items as Record<string, unknown>[]);
    },

    /**
     * From the `byChange` index. Idempotency markers have no changeId, so the
     * (sparse) index never holds them; they are filtered out anyway.
     */
    async changesAfter(chatId, changeId, limit, startKey) {
      const { Items = [], LastEvaluatedKey } = await documentClient.send(
        new QueryCommand({
          TableName: messagesTable,
          IndexName: 'byChange',
          KeyConditionExpression: 'chatId = :chatId AND changeId > :offset',
          ExpressionAttributeValues: { ':chatId': chatId, ':offset': changeId },
          Limit: limit,
          ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
        }),
      );
      return { rows: messagesOf(Items as Record<string, unknown>[]), ...(LastEvaluatedKey !== undefined && { lastKey: LastEvaluatedKey }) };
    },
  };
}
