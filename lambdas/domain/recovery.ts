/**
 * Socket.IO connection state recovery, kept in DynamoDB so it survives the
 * connection (and API Gateway's 2-hour cutoff): a session row per recovery
 * id (`pid`) in the Connections table, holding the chat positions its
 * client had when the session was created or last recovered, and a replay
 * of the missed `message:*` events from the Messages table's `bySeq` index.
 *
 * Offsets are event ids, `{chatId}:{seq}`: socket.io-client echoes the id
 * of the last event it received, which gives that chat's position exactly.
 * A session holds one position per chat, so recovery is exact for the
 * offset's chat, and for every other chat in which nothing was written since
 * the session's positions; when another chat had writes, what the client
 * received of them is unknown and the session is not recovered
 * (`socket.recovered === false`; the app reloads, as after any failed
 * Socket.IO recovery) rather than replay twice or skip. A CONNECT without
 * offset (no event received yet) recovers every chat from the session's
 * positions.
 */
import { positionOfEventId, type EventEnvelope } from '../../protocol';
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
  messages: Pick<MessageStore, 'changesAfter' | 'heads'>;
}

/**
 * Records (or renews) a recovery session for a user, with the chat
 * positions its client holds now.
 */
export async function saveSession(
  deps: Pick<RecoveryDeps, 'sessions'>,
  pid: string,
  userId: string,
  nowMs: number,
  positions: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  const row: SessionRow = {
    connectionId: SESSION_KEY_PREFIX + pid,
    sessionUserId: userId,
    positions: Object.fromEntries(positions),
    expiresAt: Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS,
  };
  await deps.sessions.put(row);
}

/**
 * The live session `pid` of `userId`, or undefined: someone else's pid, an
 * expired one (TTL deletes lag) or an unknown one is none.
 */
export async function sessionOf(deps: Pick<RecoveryDeps, 'sessions'>, pid: string, userId: string, nowMs: number): Promise<Partial<SessionRow> | undefined> {
  const row = await deps.sessions.get(SESSION_KEY_PREFIX + pid);
  const live = row?.sessionUserId === userId && typeof row.expiresAt === 'number' && row.expiresAt > Math.floor(nowMs / 1000);
  return live ? row : undefined;
}

/**
 * The events of a message row at the positions in (`afterSeq`, `upTo`]:
 * its create → `message:new` (current content, at `createdSeq`); its latest
 * write, if later → `message:deleted` or `message:edited` (at `seq`).
 * Positions between them were superseded by the latest write. Each event's
 * id is `{chatId}:{seq}`.
 */
export function missedEventsOf(row: MessageRow, afterSeq: number, upTo: number = Number.MAX_SAFE_INTEGER): EventEnvelope[] {
  const image = row as unknown as Record<string, unknown>;
  const within = (seq: number): boolean => seq > afterSeq && seq <= upTo;
  const events: EventEnvelope[] = [];
  if (within(row.createdSeq)) events.push(messageNew(image, row.createdSeq).envelope);
  if (row.seq !== row.createdSeq && within(row.seq)) {
    events.push(row.deletedAt !== undefined ? messageDeleted(image, row.deletedAt).envelope : messageEdited(image).envelope);
  }
  return events;
}

/** One chat's range of positions to replay: after `afterSeq`, up to `upTo` (included). */
export interface ReplayRange {
  chatId: string;
  afterSeq: number;
  upTo: number;
}

/**
 * The `message:*` events of each range, in position order per chat, or
 * undefined when there are more than `limit` in all (the session is then
 * not recovered). One Query page per chat in the common case.
 */
export async function missedEvents(
  deps: Pick<RecoveryDeps, 'messages'>,
  ranges: readonly ReplayRange[],
  limit: number = MAX_REPLAY_EVENTS,
): Promise<EventEnvelope[] | undefined> {
  const events: EventEnvelope[] = [];
  for (const { chatId, afterSeq, upTo } of ranges) {
    if (upTo <= afterSeq) continue;
    const ofChat: EventEnvelope[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.messages.changesAfter(chatId, afterSeq, limit + 1, startKey);
      for (const row of page.rows) ofChat.push(...missedEventsOf(row, afterSeq, upTo));
      if (events.length + ofChat.length > limit) return undefined;
      startKey = page.lastKey;
    } while (startKey !== undefined);
    events.push(...ofChat.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)));
  }
  return events;
}

/**
 * Where each chat's replay starts for a CONNECT, or undefined when the
 * session cannot be recovered exactly (see the module comment): the offset's
 * chat from the offset, every other chat from the session's position (0 for
 * a chat the session never saw), provided nothing was written in it since
 * (`heads`) unless there is no offset at all.
 */
export function replayStarts(
  session: Pick<SessionRow, 'positions'>,
  offset: string | undefined,
  heads: ReadonlyMap<string, number>,
): Map<string, number> | undefined {
  const positions = session.positions ?? {};
  const at = offset === undefined ? undefined : positionOfEventId(offset);
  if (offset !== undefined && at === undefined) return undefined;
  const starts = new Map<string, number>();
  for (const [chatId, head] of heads) {
    const known = Object.hasOwn(positions, chatId) ? (positions[chatId] as number) : 0;
    if (at?.chatId === chatId) starts.set(chatId, Math.min(at.seq, head));
    else if (at !== undefined && head > known) return undefined;
    else starts.set(chatId, Math.min(known, head));
  }
  return starts;
}
