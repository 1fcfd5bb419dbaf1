/**
 * The Memberships table behind the MembershipStore port: each method is one
 * request (queries read every page), with the conditions that make the
 * domain's checks atomic.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MembershipRow, MembershipStore, MembershipWrite } from '../../domain/ports';
import { batchWriteAll, isConditionFailure, itemOfConditionFailure, queryAll } from './commands';

export interface MembershipStoreDeps {
  documentClient: DynamoDBDocumentClient;
  membershipsTable: string;
}

/** The chat ids of a user; its own export, as `$connect` and the fan-out need nothing else of this store. */
export const chatIdsOfMember = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['chatIdsOfUser'] =>
  async (userId) => {
    const rows = await queryAll<{ chatId: string }>(documentClient, {
      TableName: membershipsTable,
      IndexName: 'byUser',
      KeyConditionExpression: 'userId = :userId',
      ExpressionAttributeValues: { ':userId': userId },
      ProjectionExpression: 'chatId',
    });
    return rows.map((row) => row.chatId);
  };

export function createMembershipStore(deps: MembershipStoreDeps): MembershipStore {
  const { documentClient, membershipsTable } = deps;

  /** One conditional update returning ALL_NEW, or the old row (ALL_OLD) when the condition fails. */
  const conditionalUpdate = async (
    key: { chatId: string; userId: string },
    update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<MembershipWrite> => {
    try {
      const { Attributes } = await documentClient.send(
        new UpdateCommand({
          TableName: membershipsTable,
          Key: key,
          ...update,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'written', row: Attributes as MembershipRow };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const old = itemOfConditionFailure(err);
      return old === undefined ? { outcome: 'absent' } : { outcome: 'refused', old: old as unknown as MembershipRow };
    }
  };

  return {
    async get(chatId, userId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: membershipsTable, Key: { chatId, userId }, ConsistentRead: true }),
      );
      return Item as MembershipRow | undefined;
    },

    countMessage: (chatId, userId, nowMs, limit) =>
      conditionalUpdate(
        { chatId, userId },
        {
          UpdateExpression: 'SET sendCount = if_not_exists(sendCount, :zero) + :one, sendWindow = if_not_exists(sendWindow, :now)',
          // attribute_exists: authorizes, and never creates a row for someone who is not in the chat.
          ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowMs, ':limit': limit },
        },
      ),

    reopenWindow: (chatId, userId, nowMs, windowMs) =>
      conditionalUpdate(
        { chatId, userId },
        {
          UpdateExpression: 'SET sendCount = :one, sendWindow = :now',
          ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendWindow) OR sendWindow <= :expired)',
          ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ':expired': nowMs - windowMs },
        },
      ),

    async markTyping(chatId, userId, nowMs, throttleMs) {
      try {
        await documentClient.send(
          new UpdateCommand({
            TableName: membershipsTable,
            Key: { chatId, userId },
            UpdateExpression: 'SET typingAt = :now',
            // attribute_exists: never create a membership row for someone removed meanwhile.
            ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(typingAt) OR typingAt <= :threshold)',
            ExpressionAttributeValues: { ':now': nowMs, ':threshold': nowMs - throttleMs },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'written';
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        return itemOfConditionFailure(err) === undefined ? 'absent' : 'refused';
      }
    },

    async clearTyping(chatId, userId) {
      try {
        await documentClient.send(
          new UpdateCommand({
            TableName: membershipsTable,
            Key: { chatId, userId },
            UpdateExpression: 'REMOVE typingAt',
            ConditionExpression: 'attribute_exists(userId)',
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },

    chatIdsOfUser: chatIdsOfMember(deps),

    rowsOfUser: (userId) =>
      queryAll<MembershipRow>(documentClient, {
        TableName: membershipsTable,
        IndexName: 'byUser',
        KeyConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': userId },
      }),

    async participantsOf(chatId) {
      const rows = await queryAll<{ userId: string }>(documentClient, {
        TableName: membershipsTable,
        KeyConditionExpression: 'chatId = :chatId',
        ExpressionAttributeValues: { ':chatId': chatId },
        ProjectionExpression: 'userId',
      });
      return rows.map((row) => row.userId);
    },

    async countParticipants(chatId) {
      const { Count = 0 } = await documentClient.send(
        new QueryCommand({
          TableName: membershipsTable,
          KeyConditionExpression: 'chatId = :chatId',
          ExpressionAttributeValues: { ':chatId': chatId },
          Select: 'COUNT',
        }),
      );
      return Count;
    },

    putAll: (rows) => batchWriteAll(documentClient, membershipsTable, rows.map((row) => ({ PutRequest: { Item: { ...row } } }))),

    async putIfAbsent(row) {
      try {
        await documentClient.send(
          new PutCommand({ TableName: membershipsTable, Item: row, ConditionExpression: 'attribute_not_exists(userId)' }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },

    async delete(chatId, userId) {
      await documentClient.send(new DeleteCommand({ TableName: membershipsTable, Key: { chatId, userId } }));
    },
  };
}
