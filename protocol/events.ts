/** Server → client events: the shapes of every broadcast and of a stored message. */
import type { CallServerEvents } from './calls';

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

/** A participant's role: owners add, remove and promote participants; anyone may leave. */
export type ChatRole = 'owner' | 'member';

/** A chat as `POST /chats` created it: every participant written. */
export interface Chat {
  chatId: string;
  title: string;
  participants: string[];
}

/** One item of `GET /chats`: the caller's own membership, no other participant read. */
export interface ChatSummary {
  chatId: string;
  title: string;
  /** The caller's role in the chat. */
  role: ChatRole;
  /**
   * Messages of the chat created after the caller's read position, by
   * others (sending reads the chat up to one's own message); deleted ones
   * included. Every message when the caller never read the chat.
   */
  unreadCount?: number;
  /** The caller's read position; absent when they read nothing yet. */
  read?: { messageId: string; seq: number; readAt: string };
}

/** One item of `GET /chats/{chatId}/participants`. */
export interface Participant {
  userId: string;
  role: ChatRole;
  addedAt: string;
}

/** One item of `GET /users/me/blocks`. */
export interface Block {
  userId: string;
  blockedAt: string;
}

/** A page of any list of the HTTP API; `next` is the cursor of the following page. */
export interface Page<T> {
  items: T[];
  next?: string;
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

/** What a user says about themselves: `online` (the default), `away` or `busy`. */
export type PresenceState = 'online' | 'away' | 'busy';

/** `user:online`: the state and text the user had set (a state survives reconnects). */
export interface OnlineData extends PresenceData {
  state: PresenceState;
  text?: string;
}

/** `user:offline`: `lastSeenAt` is when the user's last connection closed (the same instant as `at`). */
export interface OfflineData extends PresenceData {
  lastSeenAt: string;
}

/** `user:status`: a user changed their state or status text while online; also the ack of the `user:status` action. */
export interface UserStatusData {
  userId: string;
  state: PresenceState;
  /** The status text, sanitized; absent when the user has none. */
  text?: string;
  at: string;
}
export interface TypingData {
  chatId: string;
  userId: string;
  isTyping: boolean;
  expiresInMs: number;
}

/** `chat:member-added` (to the chat's room, the new participant included). */
export interface MemberAddedData {
  chatId: string;
  userId: string;
  role: ChatRole;
  addedBy: string;
}
/** `chat:member-removed` (to the chat's room, the one who left or was removed included). */
export interface MemberRemovedData {
  chatId: string;
  userId: string;
}
/** `chat:role-changed` (to the chat's room). */
export interface RoleChangedData {
  chatId: string;
  userId: string;
  role: ChatRole;
}
/** `user:blocked` / `user:unblocked`: to the blocker's own connections only. */
export interface BlockData {
  userId: string;
  at: string;
}

/**
 * `message:read`: a participant read the chat up to `messageId` (and every
 * message before it). To the chat's other participants, at most one per
 * reader per chat per second (the latest position); none in chats larger
 * than the presence size (ask `GET /chats/{chatId}/reads`). A participant who
 * sends a message has read the chat up to it: no `message:read` says so, the
 * `message:new` does.
 */
export interface MessageReadData {
  chatId: string;
  userId: string;
  messageId: string;
  /** The chat position of the message's create: compare positions, not ids. */
  seq: number;
  readAt: string;
}

/** One item of `GET /chats/{chatId}/reads`: a participant's read position (`seq` 0 and no message when they read nothing yet). */
export interface ReadState {
  userId: string;
  messageId?: string;
  seq: number;
  readAt?: string;
}

/** Server → client broadcast events and their data (the call events are in calls.ts). */
export interface ServerEvents extends CallServerEvents {
  'message:new': MessageNewData;
  'message:edited': MessageEditedData;
  'message:deleted': MessageDeletedData;
  'user:online': OnlineData;
  'user:offline': OfflineData;
  'user:typing': TypingData;
  'user:stop-typing': TypingData;
  'chat:member-added': MemberAddedData;
  'chat:member-removed': MemberRemovedData;
  'chat:role-changed': RoleChangedData;
  'user:blocked': BlockData;
  'user:unblocked': BlockData;
  'user:status': UserStatusData;
  'message:read': MessageReadData;
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
