/**
 * Who participates in which chat: the one authorization question of the
 * chat and message services.
 */
import { ForbiddenError, RateLimitedError } from '../commons/errors';
import { DEFAULT_LIMITS } from '../system/limits';
import type { MembershipRow, MembershipStore } from './ports';
import { admitInWindow } from './rate-window';

const notParticipant = (): ForbiddenError => new ForbiddenError('Not a participant of this chat');

/**
 * Returns the caller's membership row or throws FORBIDDEN. The read is
 * strongly consistent: it authorizes writes, and a participant removed a
 * moment ago must not get one more message in. The same error is used for
 * an unknown chat, so outsiders can't probe which chats exist.
 */
export async function requireParticipant(memberships: Pick<MembershipStore, 'get'>, chatId: string, userId: string): Promise<MembershipRow> {
  const row = await memberships.get(chatId, userId);
  if (row === undefined) throw notParticipant();
  return row;
}

/** The flood limit admitMessage applies. */
export interface MessageRateLimit {
  /** Messages allowed per window. @default the messageRateLimit setting's default */
  limit?: number;
  /** @default the messageRateWindowMs setting's default */
  windowMs?: number;
}

/**
 * Authorizes a message write (send or edit) and counts it against the
 * caller's flood limit in this chat, with one conditional
 * UpdateItem on the caller's membership row: it fails when the row does not
 * exist (FORBIDDEN, as requireParticipant) or when the window is full
 * (RATE_LIMITED); ALL_OLD tells the two apart. It returns the row as updated
 * (ALL_NEW), so the check costs no read; it is strongly consistent like any
 * write, so a participant removed a moment ago gets nothing more in.
 *
 * The window is admitInWindow's fixed window, opened at the first message
 * counted (`sendWindow`, epoch ms; `sendCount` counts). The row's MODIFY
 * events never reach the fan-out (the Memberships stream mapping passes
 * INSERT, REMOVE and role changes only).
 *
 * @throws {ForbiddenError} the caller is not a participant (or the chat does not exist).
 * @throws {RateLimitedError} the window is full; `retryAfterMs` says when it opens again.
 */
export async function admitMessage(
  memberships: Pick<MembershipStore, 'countMessage' | 'reopenWindow'>,
  chatId: string,
  userId: string,
  nowMs: number,
  rate: MessageRateLimit = {},
): Promise<MembershipRow> {
  const limit = rate.limit ?? DEFAULT_LIMITS.messageRateLimit;
  const windowMs = rate.windowMs ?? DEFAULT_LIMITS.messageRateWindowMs;

  return admitInWindow<MembershipRow>(
    {
      count: () => memberships.countMessage(chatId, userId, nowMs, limit),
      reopen: () => memberships.reopenWindow(chatId, userId, nowMs, windowMs),
      openedAt: (row) => (typeof row.sendWindow === 'number' ? row.sendWindow : undefined),
      absent: notParticipant,
      refusal: (retryAfterMs) => new RateLimitedError(`At most ${limit} messages per ${windowMs / 1000} s in a chat; slow down`, { retryAfterMs }),
    },
    nowMs,
    windowMs,
  );
}
