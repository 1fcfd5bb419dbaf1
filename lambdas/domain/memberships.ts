/**
 * Who participates in which chat: the one authorization question of the
 * chat and message services.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ForbiddenError } from '../commons/errors';

/** A Memberships row as stored (the chat title is denormalised onto it). */
export interface MembershipRow {
  chatId: string;
  userId: string;
  title: string;
  addedAt: string;
  addedBy: string;
  /** Epoch ms of the last typing broadcast (throttle). */
  typingAt?: number;
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
