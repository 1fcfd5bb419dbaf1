/**
 * Typing indicators: volatile (never stored as messages, never retried),
 * authorized by the caller's room row, throttled server-side per user per
 * chat, sent to the room's other users only, and never to a user who
 * blocked the sender or whom the sender blocked.
 */
import { ForbiddenError } from '../commons/errors';
import { randomId } from '../commons/ids';
import { TYPING_EXPIRES_IN_MS, TYPING_THROTTLE_MS, type EventEnvelope } from '../../protocol';
import { roomOf } from '../system/schema';
import type { MembershipStore, MembershipWrite, RoomBroadcaster, RoomStore, UserStore } from './ports';
import { toOthersInRoom } from './room-others';

export interface TypingDeps {
  rooms: Pick<RoomStore, 'has' | 'members'>;
  memberships: Pick<MembershipStore, 'showTyping' | 'wantTyping' | 'flushTyping'>;
  users: Pick<UserStore, 'relationsOf'>;
  broadcaster: RoomBroadcaster;
  /** @default TYPING_THROTTLE_MS */
  throttleMs?: number;
  /** Injected for tests. @default Date.now */
  now?: () => number;
  /** Waits for a throttle window to end. Injected for tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** Who is typing: the caller as its Connections row says, never as the frame says. */
export interface Caller {
  userId: string;
  connectionId: string;
}

/** A pending state waits for the window at most this many times (a concurrent broadcast can move the window once or twice). */
const MAX_FLUSH_ATTEMPTS = 3;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const notParticipant = (): ForbiddenError => new ForbiddenError('Not a participant of this chat');

/** A write's outcome, a missing membership row (removed meanwhile) refused as FORBIDDEN. */
function present(write: MembershipWrite): Exclude<MembershipWrite, { outcome: 'absent' }> {
  if (write.outcome === 'absent') throw notParticipant();
  return write;
}

/**
 * Broadcasts `user:typing` (isTyping true) or `user:stop-typing` (false) to
 * the chat's other users, at most one broadcast per user per chat per
 * throttle window (1 s) whatever the mix of the two, the last state asked
 * for always winning. Throws FORBIDDEN when this connection is not in the
 * chat's room.
 *
 * Attributes of the caller's membership row decide, each changed by a
 * conditional write only: `typingAt`/`typingShown` (the last broadcast and
 * its state) and `typingWantAt`/`typingWant`/`typingWantId` (the latest
 * state asked for, and by which call). A call inside the window records its state as the latest (unless a
 * later call already did: then it is stale and dropped) and then:
 * - when the receivers already show that state, nothing more is sent
 *   (`delivered: false`; a typing indicator lives 3 s on their side);
 * - when it changes what they show, it waits for the window to end and
 *   broadcasts, on the condition that no later state was asked for
 *   meanwhile (else the later call settles it and this one is dropped).
 * So typing → stop inside the window delivers the stop when the window
 * ends; typing → stop → typing delivers nothing more (the receivers still
 * show typing, which is the latest state); the writes of those calls can
 * land in any order, since each compares the stored `typingWantAt` (a call
 * asked earlier than the stored one is stale; in the same millisecond the
 * one written last wins) and a flush compares `typingWantId`.
 *
 * Costs one UpdateItem per call (two inside the window, three when a
 * change is sent at the window's end), plus, for a delivered broadcast,
 * one Query of the sender's block list.
 *
 * @example
 * await setTyping(deps, { userId: 'alice', connectionId: 'abc=' }, 'c1', true); // { delivered: true }
 */
export async function setTyping(deps: TypingDeps, caller: Caller, chatId: string, isTyping: boolean): Promise<{ delivered: boolean }> {
  const clock = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const throttleMs = deps.throttleMs ?? TYPING_THROTTLE_MS;
  const room = roomOf.chat(chatId);
  const { userId } = caller;
  const askedAt = clock();
  const wantId = randomId();

  // The room row proves both membership and that this very connection joined the room.
  if (!(await deps.rooms.has(room, caller.connectionId))) throw notParticipant();

  const shown = present(await deps.memberships.showTyping(chatId, userId, isTyping, askedAt, throttleMs, wantId));
  if (shown.outcome === 'written') return broadcast(deps, caller, chatId, isTyping, askedAt);

  const wanted = present(await deps.memberships.wantTyping(chatId, userId, isTyping, askedAt, wantId));
  if (wanted.outcome === 'refused') return { delivered: false }; // A later state was asked for: it settles this.
  // Rows from before typingShown existed only ever stamped typing.
  if ((wanted.row.typingShown ?? true) === isTyping) return { delivered: false };

  let lastBroadcastAt = wanted.row.typingAt ?? askedAt;
  for (let attempt = 0; attempt < MAX_FLUSH_ATTEMPTS; attempt++) {
    const wait = lastBroadcastAt + throttleMs - clock();
    if (wait > 0) await sleep(wait);
    const flushAt = clock();
    const flush = present(await deps.memberships.flushTyping(chatId, userId, isTyping, flushAt, wantId, throttleMs));
    if (flush.outcome === 'written') return broadcast(deps, caller, chatId, isTyping, flushAt);
    if (flush.old.typingWantId !== wantId) return { delivered: false }; // Superseded by a later call.
    lastBroadcastAt = flush.old.typingAt ?? flushAt;
  }
  return { delivered: false };
}

async function broadcast(deps: TypingDeps, caller: Caller, chatId: string, isTyping: boolean, ts: number): Promise<{ delivered: true }> {
  const room = roomOf.chat(chatId);
  const envelope: EventEnvelope<'user:typing' | 'user:stop-typing'> = {
    event: isTyping ? 'user:typing' : 'user:stop-typing',
    data: { chatId, userId: caller.userId, isTyping, expiresInMs: TYPING_EXPIRES_IN_MS },
    id: randomId(),
    ts,
  };
  await toOthersInRoom(deps, caller.userId, room, envelope);
  return { delivered: true };
}
