/**
 * Who participates in which chat: the one authorization question of the
 * chat and message services.
 */
import { ForbiddenError, RateLimitedError } from '../commons/errors';
import { DEFAULT_LIMITS } from '../system/limits';
import type { MemberGate, MembershipRow, MembershipStore } from './ports';

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
  return admitThrough<MembershipRow>(
    async (gate) => {
      const write = gate.kind === 'count'
        ? await memberships.countMessage(chatId, userId, gate.nowMs, gate.limit)
        : await memberships.reopenWindow(chatId, userId, gate.nowMs, gate.windowMs);
      if (write.outcome === 'written') return { admitted: write.row };
      return { refused: write.outcome === 'refused' ? write.old : undefined };
    },
    nowMs,
    rate,
  );
}

/** One try of a gated write: admitted (with what it produced), or refused with the membership row as it was (undefined: none). */
export type GateAttempt<T> = { admitted: T } | { refused: MembershipRow | undefined };

/**
 * admitMessage's decisions over any write that carries the flood-limit
 * gate: `attempt` performs the write with the gate it is given (alone, or in
 * one transaction with the message itself) and says whether the gate held.
 * Count first; a full window that is over is reopened with this write; a
 * reopen lost to a concurrent one counts again.
 *
 * @throws {ForbiddenError} the caller is not a participant.
 * @throws {RateLimitedError} the window is full.
 */
export async function admitThrough<T>(
  attempt: (gate: Exclude<MemberGate, { kind: 'member' }>) => Promise<GateAttempt<T>>,
  nowMs: number,
  rate: MessageRateLimit = {},
): Promise<T> {
  const limit = rate.limit ?? DEFAULT_LIMITS.messageRateLimit;
  const windowMs = rate.windowMs ?? DEFAULT_LIMITS.messageRateWindowMs;

  const refusal = (retryAfterMs: number): RateLimitedError =>
    new RateLimitedError(`At most ${limit} messages per ${windowMs / 1000} s in a chat; slow down`, { retryAfterMs });

  /** Counts the write in the open window; undefined when the window is full but over (a new one may open). */
  const count = async (): Promise<{ value: T } | undefined> => {
    const result = await attempt({ kind: 'count', nowMs, limit });
    if ('admitted' in result) return { value: result.admitted };
    if (result.refused === undefined) throw notParticipant();
    const openedAt = typeof result.refused.sendWindow === 'number' ? result.refused.sendWindow : 0;
    if (openedAt > nowMs - windowMs) throw refusal(openedAt + windowMs - nowMs);
    return undefined;
  };

  /** Opens a new window with this write; undefined when a concurrent write opened it first. */
  const reopen = async (): Promise<{ value: T } | undefined> => {
    const result = await attempt({ kind: 'reopen', nowMs, windowMs });
    if ('admitted' in result) return { value: result.admitted };
    if (result.refused === undefined) throw notParticipant();
    return undefined;
  };

  // The hot path is the first call alone; the others run once per `limit` messages, or in a race.
  const admitted = (await count()) ?? (await reopen()) ?? (await count());
  if (admitted === undefined) throw refusal(windowMs);
  return admitted.value;
}
