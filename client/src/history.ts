/**
 * The HTTP history API as recovery reads it: what a chat missed comes from
 * `GET /chats/{chatId}/messages?afterSeq=`, turned back into the events the
 * socket would have delivered.
 */
import type { Message, MessageDeletedData, MessageEditedData, MessageNewData } from '../../protocol';
import { ClientError } from './errors';

/** A message event rebuilt from history; `seq` is the item's (its latest write's) position. */
export type RecoveredEvent =
  | { event: 'message:new'; data: MessageNewData; id: string; seq: number; ts: number }
  | { event: 'message:edited'; data: MessageEditedData; id: string; seq: number; ts: number }
  | { event: 'message:deleted'; data: MessageDeletedData; id: string; seq: number; ts: number };

/**
 * The events a history item stands for, in order. `shown` says whether the
 * app was shown the message's creation. A deleted message is one
 * `message:deleted` (shown or not: an app ignores the delete of a message it
 * does not show, which is safer than missing one it does); an edited one is
 * `message:edited`, preceded by `message:new` when it was never shown; any
 * other is `message:new` unless it was shown.
 *
 * @example
 * eventsOfMessage(message, false); // [message:new] for a message created during the gap
 * eventsOfMessage({ ...message, editedAt: new Date().toISOString() }, true); // [message:edited] only
 */
export function eventsOfMessage(m: Message, shown: boolean): RecoveredEvent[] {
  const { messageId, chatId, senderId, content, seq } = m;
  const id = `${chatId}#${seq}`;
  // Only the sender deletes, so the sender is who deleted it.
  if (m.deletedAt) {
    return [{ event: 'message:deleted', id, seq, ts: Date.parse(m.deletedAt), data: { messageId, chatId, deletedBy: senderId, deletedAt: m.deletedAt } }];
  }
  const events: RecoveredEvent[] = [];
  if (!shown) {
    events.push({ event: 'message:new', id: messageId, seq, ts: Date.parse(m.timestamp), data: { messageId, chatId, senderId, content, timestamp: m.timestamp } });
  }
  if (m.editedAt) {
    events.push({ event: 'message:edited', id, seq, ts: Date.parse(m.editedAt), data: { messageId, chatId, senderId, content, editedAt: m.editedAt } });
  }
  return events;
}

/** Where and how to fetch history. */
export interface HistoryRequest {
  /** Base URL of the HTTP API, e.g. `https://api.example.com`. */
  httpUrl: string;
  chatId: string;
  /** Only messages whose latest write has a larger position are returned. */
  afterSeq: number;
  token?: string;
  fetch: typeof fetch;
}

/**
 * Every message of a chat whose latest write came after position
 * `afterSeq`, in position order, each once in its current state, following
 * `next` (passed back as `afterSeq`) until the last page.
 *
 * @example
 * const missed = await fetchAfter({ httpUrl: 'https://api.example.com', chatId: 'c1', afterSeq: 41, token, fetch });
 * console.log(`${missed.length} messages written since position 41`);
 */
export async function fetchAfter(request: HistoryRequest): Promise<Message[]> {
  const base = request.httpUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  const all: Message[] = [];
  // Called unbound: a browser's fetch throws "Illegal invocation" when called
  // as a method of any object other than window.
  const { fetch: fetchUnbound } = request;
  let after = String(request.afterSeq);
  for (;;) {
    const res = await fetchUnbound(`${base}/chats/${encodeURIComponent(request.chatId)}/messages?afterSeq=${encodeURIComponent(after)}`, { headers });
    const body = (await res.json().catch(() => ({}))) as { items?: Message[]; next?: string; error?: { code: string; message: string } };
    if (!res.ok) {
      throw new ClientError(body.error?.code ?? 'HTTP_ERROR', body.error?.message ?? `history request failed: HTTP ${res.status}`);
    }
    const items = body.items ?? [];
    all.push(...items);
    // A `next` that does not move on would ask for the same page forever.
    if (!body.next || !items.length || body.next === after) return all;
    after = body.next;
  }
}
