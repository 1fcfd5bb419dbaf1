/**
 * The Users table behind the UserStore port: a user's counters (chats they
 * are in, rate limit on chat creations and adds) and their blocks, each
 * operation one request (or one paginated query), with the conditions that
 * make the domain's checks atomic. One export per operation, so a handler
 * bundles only those it wires (see connection-store.ts).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CounterWrite, UserCounterRow, UserStore } from '../../domain/ports';
import { userItem } from '../../system/schema';
import { isConditionFailure, itemOfConditionFailure, queryAll } from './commands';

export interface UserStoreDeps {
  documentClient: DynamoDBDocumentClient;
  usersTable: string;
}

const countersKey = (userId: string) => ({ userId, sk: userItem.counters });

/** One conditional update of a counter row (created when absent), returning ALL_NEW, or ALL_OLD when refused. */
async function updateCounters(
  { documentClient, usersTable }: UserStoreDeps,
  userId: string,
  update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<CounterWrite> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({ TableName: usersTable, Key: countersKey(userId), ...update, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
    return { outcome: 'written', row: Attributes as UserCounterRow };
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return { outcome: 'refused', old: (itemOfConditionFailure(err) ?? { userId }) as unknown as UserCounterRow };
  }
}

export const countChange = (deps: UserStoreDeps): UserStore['countChange'] =>
  (userId, nowMs, limit) =>
    updateCounters(deps, userId, {
      UpdateExpression: 'SET changeCount = if_not_exists(changeCount, :zero) + :one, changeWindow = if_not_exists(changeWindow, :now)',
      ConditionExpression: 'attribute_not_exists(changeCount) OR changeCount < :limit',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowMs, ':limit': limit },
    });

export const reopenChanges = (deps: UserStoreDeps): UserStore['reopenChanges'] =>
  (userId, nowMs, windowMs) =>
    updateCounters(deps, userId, {
      UpdateExpression: 'SET changeCount = :one, changeWindow = :now',
      ConditionExpression: 'attribute_not_exists(changeWindow) OR changeWindow <= :expired',
      ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ':expired': nowMs - windowMs },
    });

export const reserveChat = (deps: UserStoreDeps): UserStore['reserveChat'] =>
  async (userId, cap) =>
    (
      await updateCounters(deps, userId, {
        UpdateExpression: 'SET chatCount = if_not_exists(chatCount, :zero) + :one',
        ConditionExpression: 'attribute_not_exists(chatCount) OR chatCount < :cap',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':cap': cap },
      })
    ).outcome === 'written';

export const releaseChat = (deps: UserStoreDeps): UserStore['releaseChat'] =>
  async (userId) => {
    // Refused at zero (a count lost to a crash is never pushed below it).
    await updateCounters(deps, userId, {
      UpdateExpression: 'SET chatCount = chatCount - :one',
      ConditionExpression: 'chatCount > :zero',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
    });
  };

export const putBlock = ({ documentClient, usersTable }: UserStoreDeps): UserStore['putBlock'] =>
  async (blockerId, blockedId, blockedAt) => {
    // The blocked user's row first (idempotent), the blocker's last and conditional: a retry after a
    // failure in between completes the pair, and a repeated block changes nothing (no second event).
    await documentClient.send(new PutCommand({ TableName: usersTable, Item: { userId: blockedId, sk: userItem.blockedBy(blockerId), blockedAt } }));
    try {
      await documentClient.send(
        new PutCommand({
          TableName: usersTable,
          Item: { userId: blockerId, sk: userItem.block(blockedId), blockedAt },
          ConditionExpression: 'attribute_not_exists(userId)',
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  };

export const deleteBlock = ({ documentClient, usersTable }: UserStoreDeps): UserStore['deleteBlock'] =>
  async (blockerId, blockedId) => {
    const { Attributes } = await documentClient.send(
      new DeleteCommand({ TableName: usersTable, Key: { userId: blockerId, sk: userItem.block(blockedId) }, ReturnValues: 'ALL_OLD' }),
    );
    // Deleted either way, so a block whose second row outlived a failure is cleaned up by the next unblock.
    await documentClient.send(new DeleteCommand({ TableName: usersTable, Key: { userId: blockedId, sk: userItem.blockedBy(blockerId) } }));
    return Attributes !== undefined;
  };

export const hasBlocked = ({ documentClient, usersTable }: UserStoreDeps): UserStore['hasBlocked'] =>
  async (blockerId, blockedId) => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: usersTable, Key: { userId: blockerId, sk: userItem.block(blockedId) }, ConsistentRead: true, ProjectionExpression: 'userId' }),
    );
    return Item !== undefined;
  };

/** The other user of every row of `userId` whose sort key starts with `prefix` (every page). */
async function othersUnder({ documentClient, usersTable }: UserStoreDeps, userId: string, prefix: string): Promise<string[]> {
  const rows = await queryAll<{ sk: string }>(documentClient, {
    TableName: usersTable,
    KeyConditionExpression: 'userId = :userId AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':userId': userId, ':prefix': prefix },
    ProjectionExpression: 'sk',
  });
  return rows.map((row) => row.sk.slice(row.sk.indexOf('#') + 1));
}

export const blockersOf = (deps: UserStoreDeps): UserStore['blockersOf'] =>
  (userId) => othersUnder(deps, userId, userItem.blockedByPrefix);

export const relationsOf = (deps: UserStoreDeps): UserStore['relationsOf'] =>
  async (userId) => new Set(await othersUnder(deps, userId, userItem.relationPrefix));

export const blocksPage = ({ documentClient, usersTable }: UserStoreDeps): UserStore['blocksPage'] =>
  async (userId, limit, cursor) => {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: usersTable,
        KeyConditionExpression: 'userId = :userId AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':userId': userId, ':prefix': userItem.blockPrefix },
        Limit: limit,
        ...(cursor !== undefined && { ExclusiveStartKey: { userId, sk: userItem.block(cursor) } }),
      }),
    );
    const items = (page.Items ?? []).map((row) => ({ userId: String(row.sk).slice(userItem.blockPrefix.length), blockedAt: String(row.blockedAt) }));
    const lastSk = page.LastEvaluatedKey?.sk;
    return { items, ...(typeof lastSk === 'string' && { next: lastSk.slice(userItem.blockPrefix.length) }) };
  };

/** Every operation, for tests and for wiring that uses most of them. */
export function createUserStore(deps: UserStoreDeps): UserStore {
  return {
    countChange: countChange(deps),
    reopenChanges: reopenChanges(deps),
    reserveChat: reserveChat(deps),
    releaseChat: releaseChat(deps),
    putBlock: putBlock(deps),
    deleteBlock: deleteBlock(deps),
    hasBlocked: hasBlocked(deps),
    blockersOf: blockersOf(deps),
    blocksPage: blocksPage(deps),
    relationsOf: relationsOf(deps),
  };
}
