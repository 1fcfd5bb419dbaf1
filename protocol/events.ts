/** Server → client events: the shapes of every broadcast and of a stored message. */

/** A stored message as the HTTP API and acks return it. Times are ISO-8601. */
export interface Message {
  messageId: string;
  chatId: string;
  senderId: string;
  content: string;
  timestamp: string;
  editedAt?: string;
  deletedAt?: string;
  /**
   * The chat position of the message's latest write (create, edit or
   * delete): the chat's writes take 1, 2, 3, … with no holes, in commit
   * order. The `afterSeq` cursor of the history. (It replaces `changeId`.)
   */
  seq: number;
}

export interface Chat {
  chatId: string;
  title: string;
  participants: string[];
}

export interface MessageNewData {
  messageId: string;
  chatId: string;
  senderId: string;
  content: string;
  timestamp: string;
}
export interface MessageEditedData {
  messageId: string;
  chatId: string;
  senderId: string;
  content: string;
  editedAt: string;
}
export interface MessageDeletedData {
  messageId: string;
  chatId: string;
  deletedBy: string;
  deletedAt: string;
}
export interface PresenceData {
  userId: string;
  at: string;
}
export interface TypingData {
  chatId: string;
  userId: string;
  isTyping: boolean;
  expiresInMs: number;
}

/** Server → client broadcast events and their data. */
export interface ServerEvents {
  'message:new': MessageNewData;
  'message:edited': MessageEditedData;
  'message:deleted': MessageDeletedData;
  'user:online': PresenceData;
  'user:offline': PresenceData;
  'user:typing': TypingData;
  'user:stop-typing': TypingData;
}
export type ServerEventName = keyof ServerEvents;

/**
 * A broadcast as it goes over the JSON protocol. `id` is unique per event.
 *
 * Message events (`message:new|edited|deleted`) carry `seq`, the chat
 * position of the write they announce, and `id` is `{chatId}:{seq}`
 * (messageEventId), which is also the Socket.IO recovery offset.
 *
 * The position contract: every committed write of a chat's messages takes
 * the chat's next position (1, 2, 3, … without holes), and a write with a
 * higher position is never visible (in the table, the stream or the HTTP
 * history) before a lower one. So a client that holds positions up to N of
 * a chat and receives N + 2 knows it missed N + 1, and fetches
 * `GET /chats/{chatId}/messages?afterSeq=N`: every message whose latest
 * write is after N, in position order, each once in its current state;
 * after applying them its position is the largest seq it received. A
 * message edited or deleted since keeps only its latest position, so the
 * positions a page skips are superseded writes, not losses.
 */
export interface EventEnvelope<E extends ServerEventName = ServerEventName> {
  event: E;
  data: ServerEvents[E];
  id: string;
  ts: number;
  /** Message events only: the chat position of the write. */
  seq?: number;
}

/** Events that are writes of a chat's messages: they carry `seq`. */
export const MESSAGE_EVENTS = ['message:new', 'message:edited', 'message:deleted'] as const satisfies readonly ServerEventName[];

/**
 * The id of the message event at position `seq` of a chat: unique per
 * event, so de-duplication by id works, and readable back (chat ids have no `:`).
 *
 * @example
 * messageEventId('c1', 42); // 'c1:42'
 */
export const messageEventId = (chatId: string, seq: number): string => `${chatId}:${seq}`;

/** The chat and position a message event id names, or undefined when it names none. */
export function positionOfEventId(id: string): { chatId: string; seq: number } | undefined {
  const at = id.lastIndexOf(':');
  if (at <= 0) return undefined;
  const seq = Number(id.slice(at + 1));
  return /^\d{1,15}$/.test(id.slice(at + 1)) && Number.isSafeInteger(seq) ? { chatId: id.slice(0, at), seq } : undefined;
}
