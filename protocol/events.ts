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
  /** Change id of the message's latest write (= messageId until edited or deleted); the `changedAfter` cursor. */
  changeId?: string;
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

/** Server → client broadcast events and their data. */
export interface ServerEvents {
  'message:new': MessageNewData;
  'message:edited': MessageEditedData;
  'message:deleted': MessageDeletedData;
  'user:online': PresenceData;
  'user:offline': PresenceData;
  'user:typing': TypingData;
  'user:stop-typing': TypingData;
  'chat:member-added': MemberAddedData;
  'chat:member-removed': MemberRemovedData;
  'chat:role-changed': RoleChangedData;
  'user:blocked': BlockData;
  'user:unblocked': BlockData;
}
export type ServerEventName = keyof ServerEvents;

/**
 * A broadcast as it goes over the JSON protocol. `id` is unique per event;
 * for message events it is the message's change id (messageId for
 * message:new), which is also the Socket.IO recovery offset.
 */
export interface EventEnvelope<E extends ServerEventName = ServerEventName> {
  event: E;
  data: ServerEvents[E];
  id: string;
  ts: number;
}
