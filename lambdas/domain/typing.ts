/**
 * Typing indicators: volatile (never stored as messages, never retried),
 * authorized by the caller's room row, throttled server-side per user per
 * chat, sent to the room's other users only.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, itemOfConditionFailure } from '../adapters/dynamodb/commands';
import { ForbiddenError } from '../commons/errors';
import { randomId } from '../commons/ids';
import { TYPING_EXPIRES_IN_MS, TYPING_THROTTLE_MS, type EventEnvelope } from '../../protocol';
import { roomOf } from '../system/schema';
import type { RoomBroadcaster } from './ports';

export interface TypingDeps {
  documentClient: DynamoDBDocumentClient;
  roomsTable: string;
  membershipsTable: string;
  broadcaster: RoomBroadcaster;
  /** @default TYPING_THROTTLE_MS */
  throttleMs?: number;
  /** Injected for tests. @default Date.now */
  now?: () => number;
}

/** Who is typing: the caller as its Connections row says, never as the frame says. */
export interface Caller {
  userId: string;
  connectionId: string;
}

/**
 * Broadcasts `user:typing` (isTyping true) or `user:stop-typing` (false) to
 * the chat's other users. Throws FORBIDDEN when this connection is not in
 * the chat's room. A typing event inside the throttle window is dropped and
 * acked `{delivered: false}`; stop-typing is never throttled, so an
 * indicator always stops promptly, and it reopens the throttle window so the
 * user's next keystroke (say, right after sending) shows at once.
 *
 * @example
 * await setTyping(deps, { userId: 'alice', connectionId: 'abc=' }, 'c1', true); // { delivered: true }
 */
export async function setTyping(deps: TypingDeps, caller: Caller, chatId: string, isTyping: boolean): Promise<{ delivered: boolean }> {
  const { documentClient } = deps;
  const now = (deps.now ?? Date.now)();
  const room = roomOf.chat(chatId);

  // The room row proves both membership and that this very connection joined the room.
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: deps.roomsTable, Key: { room, connectionId: caller.connectionId } }),
  );
  if (Item === undefined) throw new ForbiddenError('Not a participant of this chat');

  if (!isTyping) {
    await clearTypingThrottle(deps, caller.userId, chatId);
  } else {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: deps.membershipsTable,
          Key: { chatId, userId: caller.userId },
          UpdateExpression: 'SET typingAt = :now',
          // attribute_exists: never create a membership row for someone removed meanwhile.
          ConditionExpression: 'attribute_exists(userId) AND (attribute_not_exists(typingAt) OR typingAt <= :threshold)',
          ExpressionAttributeValues: { ':now': now, ':threshold': now - (deps.throttleMs ?? TYPING_THROTTLE_MS) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      if (itemOfConditionFailure(err) === undefined) throw new ForbiddenError('Not a participant of this chat');
      return { delivered: false };
    }
  }

  const envelope: EventEnvelope<'user:typing' | 'user:stop-typing'> = {
    event: isTyping ? 'user:typing' : 'user:stop-typing',
    data: { chatId, userId: caller.userId, isTyping, expiresInMs: TYPING_EXPIRES_IN_MS },
    id: randomId(),
    ts: now,
  };
  await deps.broadcaster.toRoom(room, envelope, { exceptUserId: caller.userId });
  return { delivered: true };
}

/** Forgets the last typing broadcast; a membership removed meanwhile is left alone. */
async function clearTypingThrottle(deps: TypingDeps, userId: string, chatId: string): Promise<void> {
  try {
    await deps.documentClient.send(
      new UpdateCommand({
        TableName: deps.membershipsTable,
        Key: { chatId, userId },
        UpdateExpression: 'REMOVE typingAt',
        ConditionExpression: 'attribute_exists(userId)',
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}
