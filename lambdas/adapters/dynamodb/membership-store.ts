/**
 * The Memberships table behind the MembershipStore port: each operation is
 * one request (queries read every page), with the conditions that make the
 * domain's checks atomic. One export per operation, so a handler bundles
 * only those it wires (see connection-store.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MemberGate, MembershipRow, MembershipStore, MembershipWrite } from '../../domain/ports';
import { batchWriteAll, isConditionFailure, itemOfConditionFailure, queryAll } from './commands';

export interface MembershipStoreDeps {
  documentClient: DynamoDBDocumentClient;
  membershipsTable: string;
}

export const getMembership = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['get'] =>
  async (chatId, userId) => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: membershipsTable, Key: { chatId, userId }, ConsistentRead: true }),
    );
    return Item as MembershipRow | undefined;
  };

/** One conditional update returning ALL_NEW, or the old row (ALL_OLD) when the condition fails. */
async function conditionalUpdate(
  { documentClient, membershipsTable }: MembershipStoreDeps,
  key: { chatId: string; userId: string },
  update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<MembershipWrite> {
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
}

/** The update and condition of a flood-limit gate on a membership row (see admitMessage). */
export function gateExpression(gate: Exclude<MemberGate, { kind: 'member' }>): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  return gate.kind === 'count'
    ? {
        UpdateExpression: 'SET sendCount = if_not_exists(sendCount, :zero) + :one, sendWindow = if_not_exists(sendWindow, :now)',
        // attribute_exists: authorizes, and never creates a row for someone who is not in the chat.
        ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': gate.nowMs, ':limit': gate.limit },
      }
    : {
        UpdateExpression: 'SET sendCount = :one, sendWindow = :now',
        ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendWindow) OR sendWindow <= :expired)',
        ExpressionAttributeValues: { ':one': 1, ':now': gate.nowMs, ':expired': gate.nowMs - gate.windowMs },
      };
}

export const countMessage = (deps: MembershipStoreDeps): MembershipStore['countMessage'] =>
  (chatId, userId, nowMs, limit) => conditionalUpdate(deps, { chatId, userId }, gateExpression({ kind: 'count', nowMs, limit }));

export const reopenWindow = (deps: MembershipStoreDeps): MembershipStore['reopenWindow'] =>
  (chatId, userId, nowMs, windowMs) => conditionalUpdate(deps, { chatId, userId }, gateExpression({ kind: 'reopen', nowMs, windowMs }));

export const markTyping = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['markTyping'] =>
  async (chatId, userId, nowMs, throttleMs) => {
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
  };

export const clearTyping = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['clearTyping'] =>
  async (chatId, userId) => {
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
  };

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

export const membershipsOfUser = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['rowsOfUser'] =>
  (userId) =>
    queryAll<MembershipRow>(documentClient, {
      TableName: membershipsTable,
      IndexName: 'byUser',
      KeyConditionExpression: 'userId = :userId',
      ExpressionAttributeValues: { ':userId': userId },
    });

export const participantsOf = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['participantsOf'] =>
  async (chatId) => {
    const rows = await queryAll<{ userId: string }>(documentClient, {
      TableName: membershipsTable,
      KeyConditionExpression: 'chatId = :chatId',
      ExpressionAttributeValues: { ':chatId': chatId },
      ProjectionExpression: 'userId',
    });
    return rows.map((row) => row.userId);
  };

export const countParticipants = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['countParticipants'] =>
  async (chatId) => {
    const { Count = 0 } = await documentClient.send(
      new QueryCommand({
        TableName: membershipsTable,
        KeyConditionExpression: 'chatId = :chatId',
        ExpressionAttributeValues: { ':chatId': chatId },
        Select: 'COUNT',
      }),
    );
    return Count;
  };

export const putMemberships = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['putAll'] =>
  (rows) => batchWriteAll(documentClient, membershipsTable, rows.map((row) => ({ PutRequest: { Item: { ...row } } })));

export const putMembershipIfAbsent = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['putIfAbsent'] =>
  async (row) => {
    try {
      await documentClient.send(
        new PutCommand({ TableName: membershipsTable, Item: row, ConditionExpression: 'attribute_not_exists(userId)' }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  };

export const deleteMembership = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['delete'] =>
  async (chatId, userId) => {
    await documentClient.send(new DeleteCommand({ TableName: membershipsTable, Key: { chatId, userId } }));
  };

/** Every operation, for tests and for wiring that uses most of them. */
export function createMembershipStore(deps: MembershipStoreDeps): MembershipStore {
  return {
    get: getMembership(deps),
    countMessage: countMessage(deps),
    reopenWindow: reopenWindow(deps),
    markTyping: markTyping(deps),
    clearTyping: clearTyping(deps),
    chatIdsOfUser: chatIdsOfMember(deps),
    rowsOfUser: membershipsOfUser(deps),
    participantsOf: participantsOf(deps),
    countParticipants: countParticipants(deps),
    putAll: putMemberships(deps),
    putIfAbsent: putMembershipIfAbsent(deps),
    delete: deleteMembership(deps),
  };
}
