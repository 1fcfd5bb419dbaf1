/**
 * The Memberships table behind the MembershipStore port: each operation is
 * one request (queries read every page), with the conditions that make the
 * domain's checks atomic. One export per operation, so a handler bundles
 * only those it wires (see connection-store.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MemberGate, MembershipRow, MembershipStore, MembershipWrite, ReadMark } from '../../domain/ports';
import { readMarkOf } from '../../domain/reads';
import { BATCH_CONCURRENCY, batchGetAll, batchWriteAll, isConditionFailure, itemOfConditionFailure, queryAll } from './commands';

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

/** Stamps a broadcast of `isTyping` now, when the throttle window is over and no later state was asked for. */
export const showTyping = (deps: MembershipStoreDeps): MembershipStore['showTyping'] =>
  (chatId, userId, isTyping, nowMs, throttleMs, wantId) =>
    conditionalUpdate(deps, { chatId, userId }, {
      UpdateExpression: 'SET typingAt = :now, typingShown = :state, typingWant = :state, typingWantAt = :now, typingWantId = :wantId',
      // attribute_exists: never create a membership row for someone removed meanwhile.
      ConditionExpression:
        'attribute_exists(userId) AND (attribute_not_exists(typingAt) OR typingAt <= :threshold) AND (attribute_not_exists(typingWantAt) OR typingWantAt <= :now)',
      ExpressionAttributeValues: { ':now': nowMs, ':state': isTyping, ':threshold': nowMs - throttleMs, ':wantId': wantId },
    });

/** Records `isTyping` as the latest state asked for, unless a later one was. */
export const wantTyping = (deps: MembershipStoreDeps): MembershipStore['wantTyping'] =>
  (chatId, userId, isTyping, nowMs, wantId) =>
    conditionalUpdate(deps, { chatId, userId }, {
      UpdateExpression: 'SET typingWant = :state, typingWantAt = :now, typingWantId = :wantId',
      // Equal times: the write that lands last wins (calls in the same millisecond arrive in order).
      ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(typingWantAt) OR typingWantAt <= :now)',
      ExpressionAttributeValues: { ':now': nowMs, ':state': isTyping, ':wantId': wantId },
    });

/** Stamps the broadcast of a pending state, while it is still the latest asked for and the window is over. */
export const flushTyping = (deps: MembershipStoreDeps): MembershipStore['flushTyping'] =>
  (chatId, userId, isTyping, nowMs, wantId, throttleMs) =>
    conditionalUpdate(deps, { chatId, userId }, {
      UpdateExpression: 'SET typingAt = :now, typingShown = :state',
      // typingWantId = :wantId also proves the row exists.
      ConditionExpression: 'typingWantId = :wantId AND (attribute_not_exists(typingAt) OR typingAt <= :threshold)',
      ExpressionAttributeValues: { ':now': nowMs, ':state': isTyping, ':wantId': wantId, ':threshold': nowMs - throttleMs },
    });

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

export const membersAmong = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['membersAmong'] =>
  async (chatId, userIds) => {
    const rows = await batchGetAll<{ userId: string }>(documentClient, membershipsTable, [...new Set(userIds)].map((userId) => ({ chatId, userId })), {
      consistentRead: true,
      attributes: ['userId'],
      concurrency: BATCH_CONCURRENCY,
    });
    return new Set(rows.map((row) => row.userId));
  };

/** The chat's participants, counted by a COUNT Query (every page's rows are read and billed, or at most `limit`). */
async function countChatRows({ documentClient, membershipsTable }: MembershipStoreDeps, chatId: string, limit?: number): Promise<number> {
  const { Count = 0 } = await documentClient.send(
    new QueryCommand({
      TableName: membershipsTable,
      KeyConditionExpression: 'chatId = :chatId',
      ExpressionAttributeValues: { ':chatId': chatId },
      Select: 'COUNT',
      ...(limit !== undefined && { Limit: limit }),
    }),
  );
  return Count;
}

export const countParticipants = (deps: MembershipStoreDeps): MembershipStore['countParticipants'] => (chatId) => countChatRows(deps, chatId);

export const existingMemberships = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['whichExist'] =>
  (pairs) =>
    batchGetAll<{ chatId: string; userId: string }>(
      documentClient,
      membershipsTable,
      pairs.map(({ chatId, userId }) => ({ chatId, userId })),
      { attributes: ['chatId', 'userId'] },
    );

/** One page of a Query, with the cursor taken from (and given back as) one key attribute. */
async function queryPage(
  { documentClient, membershipsTable }: MembershipStoreDeps,
  input: { IndexName?: string; partition: { name: string; value: string }; cursorKey: 'chatId' | 'userId' },
  limit: number,
  cursor: string | undefined,
): Promise<{ rows: MembershipRow[]; next?: string }> {
  const { partition, cursorKey } = input;
  const page = await documentClient.send(
    new QueryCommand({
      TableName: membershipsTable,
      ...(input.IndexName !== undefined && { IndexName: input.IndexName }),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partition.name },
      ExpressionAttributeValues: { ':pk': partition.value },
      Limit: limit,
      // The table's key is (chatId, userId); an index page's key holds both too.
      ...(cursor !== undefined && { ExclusiveStartKey: { [partition.name]: partition.value, [cursorKey]: cursor } }),
    }),
  );
  const next = page.LastEvaluatedKey?.[cursorKey];
  return { rows: (page.Items ?? []) as MembershipRow[], ...(typeof next === 'string' && { next }) };
}

export const membershipsPageOfUser = (deps: MembershipStoreDeps): MembershipStore['pageOfUser'] =>
  (userId, limit, cursor) => queryPage(deps, { IndexName: 'byUser', partition: { name: 'userId', value: userId }, cursorKey: 'chatId' }, limit, cursor);

export const membershipsPageOfChat = (deps: MembershipStoreDeps): MembershipStore['pageOfChat'] =>
  (chatId, limit, cursor) => queryPage(deps, { partition: { name: 'chatId', value: chatId }, cursorKey: 'userId' }, limit, cursor);

export const countOwners = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['countOwners'] =>
  async (chatId) => {
    const rows = await queryAll<{ userId: string }>(documentClient, {
      TableName: membershipsTable,
      KeyConditionExpression: 'chatId = :chatId',
      // Rows from before roles existed count as owners (see ChatRole).
      FilterExpression: '#role = :owner OR attribute_not_exists(#role)',
      ExpressionAttributeNames: { '#role': 'role' },
      ExpressionAttributeValues: { ':chatId': chatId, ':owner': 'owner' },
      ProjectionExpression: 'userId',
    });
    return rows.length;
  };

export const putMemberships = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['putAll'] =>
  (rows) => batchWriteAll(documentClient, membershipsTable, rows.map((row) => ({ PutRequest: { Item: { ...row } } })), { concurrency: BATCH_CONCURRENCY });

export const putMembershipIfAbsent = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['putIfAbsent'] =>
  async (row) => {
    try {
      await documentClient.send(
        new PutCommand({ TableName: membershipsTable, Item: row, ConditionExpression: 'attribute_not_exists(userId)' }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  };

export const setMemberRole = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['setRole'] =>
  async (chatId, userId, role) => {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: membershipsTable,
          Key: { chatId, userId },
          UpdateExpression: 'SET #role = :role',
          ConditionExpression: 'attribute_exists(userId)',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':role': role },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  };

export const deleteMembership = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['delete'] =>
  async (chatId, userId) => {
    const { Attributes } = await documentClient.send(
      new DeleteCommand({ TableName: membershipsTable, Key: { chatId, userId }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  };

/** The SET clause and values that write a read position (a read, or the writer's own send in its transaction). */
export const READ_FIELDS = {
  set: 'readMessageId = :readMessageId, readSeq = :readSeq, readOrdinal = :readOrdinal, readAt = :readAt',
  values: (mark: ReadMark): Record<string, unknown> => ({
    ':readMessageId': mark.messageId,
    ':readSeq': mark.seq,
    ':readOrdinal': mark.ordinal,
    ':readAt': mark.readAt,
  }),
} as const;

export const moveRead = (deps: MembershipStoreDeps): MembershipStore['moveRead'] =>
  (chatId, userId, mark) =>
    conditionalUpdate(deps, { chatId, userId }, {
      UpdateExpression: `SET ${READ_FIELDS.set}`,
      // attribute_exists: authorizes; readSeq: forward only.
      ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(readSeq) OR readSeq < :readSeq)',
      ExpressionAttributeValues: READ_FIELDS.values(mark),
    });

export const readsOf = ({ documentClient, membershipsTable }: MembershipStoreDeps): MembershipStore['readsOf'] =>
  async (userId, chatIds) => {
    const items = await batchGetAll(documentClient, membershipsTable, [...new Set(chatIds)].map((chatId) => ({ chatId, userId })), {
      attributes: ['chatId', 'readMessageId', 'readSeq', 'readOrdinal', 'readAt'],
    });
    const reads = new Map<string, ReadMark>();
    for (const item of items) {
      const mark = readMarkOf(item as Partial<MembershipRow>);
      if (mark !== undefined) reads.set(item.chatId as string, mark);
    }
    return reads;
  };

// Reads (and bills) at most cap + 1 rows: enough to tell "more than cap".
export const countParticipantsUpTo = (deps: MembershipStoreDeps): MembershipStore['countUpTo'] => (chatId, cap) => countChatRows(deps, chatId, cap + 1);

/** Every operation, for tests and for wiring that uses most of them. */
export function createMembershipStore(deps: MembershipStoreDeps): MembershipStore {
  return {
    get: getMembership(deps),
    countMessage: countMessage(deps),
    reopenWindow: reopenWindow(deps),
    showTyping: showTyping(deps),
    wantTyping: wantTyping(deps),
    flushTyping: flushTyping(deps),
    chatIdsOfUser: chatIdsOfMember(deps),
    rowsOfUser: membershipsOfUser(deps),
    participantsOf: participantsOf(deps),
    membersAmong: membersAmong(deps),
    countParticipants: countParticipants(deps),
    pageOfUser: membershipsPageOfUser(deps),
    pageOfChat: membershipsPageOfChat(deps),
    countOwners: countOwners(deps),
    setRole: setMemberRole(deps),
    putAll: putMemberships(deps),
    putIfAbsent: putMembershipIfAbsent(deps),
    delete: deleteMembership(deps),
    whichExist: existingMemberships(deps),
    moveRead: moveRead(deps),
    readsOf: readsOf(deps),
    countUpTo: countParticipantsUpTo(deps),
  };
}
