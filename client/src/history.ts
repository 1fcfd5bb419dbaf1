/**
 * The HTTP history API as recovery reads it: what a chat missed comes from
 * `GET /chats/{chatId}/messages?changedAfter=`, turned back into the events
 * the socket would have delivered.
 */
import type {
  Message,
  MessageDeletedData,
  MessageEditedData,
  MessageNewData,
} from '../../protocol';
import { ClientError } from './errors';

/** A message event rebuilt from history, keyed for de-duplication. */
export type RecoveredEvent =
  | { event: 'message:new'; data: MessageNewData; id: string; ts: number }
  | { event: 'message:edited'; data: MessageEditedData; id: string; ts: number }
  | { event: 'message:deleted'; data: MessageDeletedData; id: string; ts: number };

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The smallest ULID of a millisecond: a history cursor for "everything since
 * this time" when no message of a chat was seen yet. Message ids are ULIDs
 * (lambdas/commons/ids.ts), whose first 10 characters encode the time; that
 * module imports node:crypto, so the browser bundle keeps its own encoder.
 *
 * @example
 * ulidFloor(Date.now() - 30_000); // '01JH3Q7Z8W0000000000000000'
 */
export function ulidFloor(ms: number): string {
  let out = '';
  let rest = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out + '0'.repeat(16);
}

/**
 * De-duplication keys of edits and deletes that do not depend on the change
 * id: a history item carries only its latest change id, so live events and
 * recovered ones must agree on a key made of what both have.
 */
export const editKey = (messageId: string, editedAt: string): string => `edit:${messageId}:${editedAt}`;
export const deleteKey = (messageId: string): string => `delete:${messageId}`;

/**
 * The events a history item stands for, in order: `message:new` (id =
 * messageId) unless it is deleted or is not newer than `seen` (a message the
 * client already had, changed since), `message:edited` if edited, and
 * `message:deleted` if deleted. Edits and deletes get the keys above as ids.
 *
 * @example
 * const [created] = eventsOfMessage(message);               // message:new, id = messageId
 * const changes = eventsOfMessage(changedItem, lastChangeId); // only the edit or delete of an older message
 */
export function eventsOfMessage(m: Message, seen = ''): RecoveredEvent[] {
  const { messageId, chatId, senderId, content } = m;
  const events: RecoveredEvent[] = [];
  // A message published under an app's own id carries its creation's change id apart.
  const created = m.createdChangeId ?? messageId;
  if (!m.deletedAt) {
    if (created > seen) events.push({
      event: 'message:new',
      id: created,
      ts: Date.parse(m.timestamp),
      data: { messageId, chatId, senderId, content, timestamp: m.timestamp },
    });
    if (m.editedAt) {
      events.push({
        event: 'message:edited',
        id: editKey(messageId, m.editedAt),
        ts: Date.parse(m.editedAt),
        data: { messageId, chatId, senderId, content, editedAt: m.editedAt },
      });
    }
  } else {
    // Only the sender deletes, so the sender is who deleted it.
    events.push({
      event: 'message:deleted',
      id: deleteKey(messageId),
      ts: Date.parse(m.deletedAt),
      data: { messageId, chatId, deletedBy: senderId, deletedAt: m.deletedAt },
    });
  }
  return events;
}

/** Where and how to fetch history. */
export interface HistoryRequest {
  /** Base URL of the HTTP API, e.g. `https://api.example.com`. */
  httpUrl: string;
  chatId: string;
  /** Only messages written (created, edited, deleted) after this change id are returned. */
  changedAfter: string;
  token?: string;
  fetch: typeof fetch;
}

/**
 * Every message of a chat written after a change id, oldest change first,
 * each in its current state, following `next` until the last page. Pages
 * are chained by passing the last item's changeId as the next cursor, which
 * works whatever the server's `next` looks like.
 *
 * @example
 * const missed = await fetchChanges({ httpUrl: 'https://api.example.com', chatId: 'c1', changedAfter: lastChangeId, token, fetch });
 * console.log(`${missed.length} messages changed since ${lastChangeId}`);
 */
export async function fetchChanges(request: HistoryRequest): Promise<Message[]> {
  const base = request.httpUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  const all: Message[] = [];
  // Called unbound: a browser's fetch throws "Illegal invocation" when called
  // as a method of any object other than window.
  const { fetch: fetchUnbound } = request;
  let after = request.changedAfter;
  for (;;) {
    const url = `${base}/chats/${encodeURIComponent(request.chatId)}/messages?changedAfter=${encodeURIComponent(after)}`;
    const res = await fetchUnbound(url, { headers });
    const body = (await res.json().catch(() => ({}))) as {
      items?: Message[];
      next?: string;
      error?: { code: string; message: string };
    };
    if (!res.ok) {
      throw new ClientError(body.error?.code ?? 'HTTP_ERROR', body.error?.message ?? `history request failed: HTTP ${res.status}`);
    }
    const items = body.items ?? [];
    all.push(...items);
    // No change id to chain from, or none newer: stop rather than ask for the same page again.
    const last = items.at(-1)?.changeId;
    if (!body.next || !last || last <= after) return all;
    after = last;
  }
}
