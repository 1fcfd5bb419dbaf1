/**
 * Who participates in which chat: the one authorization question of the
 * chat and message services.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, itemOfConditionFailure } from '../adapters/dynamodb/commands';
import { ForbiddenError, RateLimitedError } from '../commons/errors';
import { MESSAGE_RATE_LIMIT, MESSAGE_RATE_WINDOW_MS } from '../../protocol';

/** A Memberships row as stored (the chat title is denormalised onto it). */
export interface MembershipRow {
  chatId: string;
  userId: string;
  title: string;
  addedAt: string;
  addedBy: string;
  /** Epoch ms of the last typing broadcast (throttle). */
  typingAt?: number;
  /** Epoch ms when the flood limit's current window opened (see admitMessage). */
  sendWindow?: number;
  /** Messages counted in that window. */
  sendCount?: number;
}

export interface MembershipDeps {
  documentClient: DynamoDBDocumentClient;
  membershipsTable: string;
}

/**
 * Returns the caller's membership row or throws FORBIDDEN. The read is
 * strongly consistent: it authorizes writes, and a participant removed a
 * moment ago must not get one more message in. The same error is used for
 * an unknown chat, so outsiders can't probe which chats exist.
 *
 * @example
 * const { title } = await requireParticipant(deps, 'c1', 'alice');
 */
export async function requireParticipant(deps: MembershipDeps, chatId: string, userId: string): Promise<MembershipRow> {
  const { Item } = await deps.documentClient.send(
    new GetCommand({ TableName: deps.membershipsTable, Key: { chatId, userId }, ConsistentRead: true }),
  );
  if (Item === undefined) throw new ForbiddenError('Not a participant of this chat');
  return Item as MembershipRow;
}

/** The flood limit admitMessage applies. */
export interface MessageRateLimit {
  /** Messages allowed per window. @default MESSAGE_RATE_LIMIT */
  limit?: number;
  /** @default MESSAGE_RATE_WINDOW_MS */
  windowMs?: number;
}

const notParticipant = (): ForbiddenError => new ForbiddenError('Not a participant of this chat');

/**
 * Authorizes a message write (send or edit) and counts it against the
 * caller's flood limit in this chat (reliability C1), with one conditional
 * UpdateItem on the caller's membership row: it fails when the row does not
 * exist (FORBIDDEN, as requireParticipant) or when the window is full
 * (RATE_LIMITED); ALL_OLD tells the two apart. It returns the row as updated
 * (ALL_NEW), so the check costs no read; it is strongly consistent like any
 * write, so a participant removed a moment ago gets nothing more in.
 *
 * The window is a fixed window that opens at the first message counted
 * (`sendWindow`, epoch ms) and is reset lazily: DynamoDB cannot "reset or
 * increment" in one expression, so every message increments `sendCount`,
 * and only the message that finds the count at the limit looks at the
 * window's age. If the window is over, a second write opens a new one with
 * this message (once per `limit` messages at most); if not, the message is
 * refused and nothing is written. As with any fixed window, at most
 * 2 × `limit` messages fit in any span of `windowMs`, and `limit` per
 * `windowMs` over time. The row's MODIFY events never reach the fan-out
 * (the Memberships stream mapping passes INSERT and REMOVE only).
 *
 * @throws {ForbiddenError} the caller is not a participant (or the chat does not exist).
 * @throws {RateLimitedError} the window is full; `retryAfterMs` says when it opens again.
 * @example
 * await admitMessage({ documentClient, membershipsTable }, 'c1', 'alice', Date.now());
 */
export async function admitMessage(
  deps: MembershipDeps,
  chatId: string,
  userId: string,
  nowMs: number,
  rate: MessageRateLimit = {},
): Promise<MembershipRow> {
  const limit = rate.limit ?? MESSAGE_RATE_LIMIT;
  const windowMs = rate.windowMs ?? MESSAGE_RATE_WINDOW_MS;
  const key = { chatId, userId };

  const refusal = (retryAfterMs: number): RateLimitedError =>
    new RateLimitedError(`At most ${limit} messages per ${windowMs / 1000} s in a chat; slow down`, { retryAfterMs });

  /** Counts the message in the open window; undefined when the window is full but over (a new one may open). */
  const count = async (): Promise<MembershipRow | undefined> => {
    try {
      const { Attributes } = await deps.documentClient.send(
        new UpdateCommand({
          TableName: deps.membershipsTable,
          Key: key,
          UpdateExpression: 'SET sendCount = if_not_exists(sendCount, :zero) + :one, sendWindow = if_not_exists(sendWindow, :now)',
          // attribute_exists: authorizes, and never creates a row for someone who is not in the chat.
          ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendCount) OR sendCount < :limit)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowMs, ':limit': limit },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return Attributes as MembershipRow;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const old = itemOfConditionFailure(err);
      if (old === undefined) throw notParticipant();
      const openedAt = typeof old.sendWindow === 'number' ? old.sendWindow : 0;
      if (openedAt > nowMs - windowMs) {
        throw refusal(openedAt + windowMs - nowMs);
      }
      return undefined;
    }
  };

  /** Opens a new window with this message; undefined when a concurrent message opened it first. */
  const reopen = async (): Promise<MembershipRow | undefined> => {
    try {
      const { Attributes } = await deps.documentClient.send(
        new UpdateCommand({
          TableName: deps.membershipsTable,
          Key: key,
          UpdateExpression: 'SET sendCount = :one, sendWindow = :now',
          ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(sendWindow) OR sendWindow <= :expired)',
          ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ':expired': nowMs - windowMs },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return Attributes as MembershipRow;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      if (itemOfConditionFailure(err) === undefined) throw notParticipant();
      return undefined;
    }
  };

  // The hot path is the first call alone; the others run once per `limit` messages, or in a race.
  const row = (await count()) ?? (await reopen()) ?? (await count());
  if (row === undefined) throw refusal(windowMs);
  return row;
}
