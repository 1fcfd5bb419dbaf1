/**
 * Socket.IO connection state recovery, kept in DynamoDB so it survives the
 * connection (and API Gateway's 2-hour cutoff): a session row per recovery
 * id (`pid`) in the Connections table, and a replay of the missed
 * `message:*` events from the Messages table's `byChange` index.
 *
 * Offsets are change ids (ULIDs): every persisted broadcast carries its
 * envelope id, which is the change id of the write, so "missed" means
 * "changeId above the client's last offset" in each of the user's chats.
 * Known gap: two writes to a chat that commit out of id order (concurrent
 * senders, ids taken milliseconds apart) can leave the earlier id
 * unreplayed if the client saw the later one before disconnecting; the
 * message is still in the history (GET /chats/{id}/messages).
 */
import type { EventEnvelope } from '../../protocol';
import { messageDeleted, messageEdited, messageNew } from './fan-out/messages';
import { CONNECTION_TTL_SECONDS, type MessageRow, type MessageStore, type SessionRow, type SessionStore } from './ports';

export type { SessionRow } from './ports';

/**
 * How long a recovery session outlives the CONNECT that created or renewed
 * it: the 2-hour connection cap plus the slack of the connection rows, so a
 * client cut off at the cap still finds its session when it reconnects.
 */
export const SESSION_TTL_SECONDS = CONNECTION_TTL_SECONDS;

/**
 * Most events one recovery replays. Beyond it the session is not recovered
 * (`socket.recovered === false`), as Socket.IO does when its buffer no longer
 * covers the offset: the app reloads history instead.
 */
export const MAX_REPLAY_EVENTS = 500;

/** Partition keys of session rows: never a connection id (API Gateway's ids have no `#`). */
export const SESSION_KEY_PREFIX = 'session#';

export interface RecoveryDeps {
  sessions: SessionStore;
  messages: Pick<MessageStore, 'changesAfter'>;
}

/**
 * Records (or renews) a recovery session for a user.
 */
export async function saveSession(deps: RecoveryDeps, pid: string, userId: string, nowMs: number): Promise<void> {
  const row: SessionRow = {
    connectionId: SESSION_KEY_PREFIX + pid,
    sessionUserId: userId,
    expiresAt: Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS,
  };
  await deps.sessions.put(row);
}

/**
 * Whether `pid` is a live session of `userId`. Someone else's pid, an
 * expired one (TTL deletes lag) or an unknown one is not.
 */
export async function isSessionOf(deps: RecoveryDeps, pid: string, userId: string, nowMs: number): Promise<boolean> {
  const row = await deps.sessions.get(SESSION_KEY_PREFIX + pid);
  return row?.sessionUserId === userId && typeof row.expiresAt === 'number' && row.expiresAt > Math.floor(nowMs / 1000);
}

/**
 * The events a message row means to a client whose last offset is `offset`:
 * created after it → `message:new` (current content), then
 * `message:deleted` if deleted since; created before it → `message:deleted`
 * or `message:edited`. Each event's id is its offset.
 */
export function missedEventsOf(row: MessageRow, offset: string): EventEnvelope[] {
  const image = row as unknown as Record<string, unknown>;
  const events: EventEnvelope[] = [];
  // When it was created, as a change id: a published message's own id is the app's, not one.
  const created = row.createdChangeId ?? row.messageId;
  if (created > offset) events.push(messageNew(image).envelope);
  if (row.deletedAt !== undefined) events.push(messageDeleted(image, row.deletedAt).envelope);
  else if (created <= offset && row.editedAt !== undefined) events.push(messageEdited(image).envelope);
  return events;
}

/**
 * The `message:*` events of `chatIds` after `offset`, merged in offset
 * (change id) order, or undefined when there are more than `limit` (the
 * session is then not recovered). One Query page per chat in the common case.
 */
export async function missedEvents(
  deps: RecoveryDeps,
  chatIds: readonly string[],
  offset: string,
  limit: number = MAX_REPLAY_EVENTS,
): Promise<EventEnvelope[] | undefined> {
  const events: EventEnvelope[] = [];
  for (const chatId of chatIds) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.messages.changesAfter(chatId, offset, limit + 1, startKey);
      for (const row of page.rows) events.push(...missedEventsOf(row, offset));
      if (events.length > limit) return undefined;
      startKey = page.lastKey;
    } while (startKey !== undefined);
  }
  return events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
