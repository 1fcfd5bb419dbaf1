/**
 * Typing indicators: volatile (never stored as messages, never retried),
 * authorized by the caller's room row, throttled server-side per user per
 * chat, sent to the room's other users only.
 */
import { ForbiddenError } from '../commons/errors';
import { randomId } from '../commons/ids';
import { TYPING_EXPIRES_IN_MS, TYPING_THROTTLE_MS, type EventEnvelope } from '../../protocol';
import { roomOf } from '../system/schema';
import type { MembershipStore, RoomBroadcaster, RoomStore } from './ports';

export interface TypingDeps {
  rooms: Pick<RoomStore, 'has'>;
  memberships: Pick<MembershipStore, 'markTyping' | 'clearTyping'>;
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
  const now = (deps.now ?? Date.now)();
  const room = roomOf.chat(chatId);

  // The room row proves both membership and that this very connection joined the room.
  if (!(await deps.rooms.has(room, caller.connectionId))) throw new ForbiddenError('Not a participant of this chat');

  if (!isTyping) {
    // Forgets the last typing broadcast; a membership removed meanwhile is left alone.
    await deps.memberships.clearTyping(chatId, caller.userId);
  } else {
    const marked = await deps.memberships.markTyping(chatId, caller.userId, now, deps.throttleMs ?? TYPING_THROTTLE_MS);
    if (marked === 'absent') throw new ForbiddenError('Not a participant of this chat');
    if (marked === 'refused') return { delivered: false };
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
