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
  /** The chat position of the message's latest write (create, edit or delete); the `afterSeq` cursor. */
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
 * Message events also carry `seq`, the chat position of their write: every
 * committed create, edit or delete of a chat's messages takes the chat's
 * next position (1, 2, 3, ... without holes, in commit order).
 */
export interface EventEnvelope<E extends ServerEventName = ServerEventName> {
  event: E;
  data: ServerEvents[E];
  id: string;
  seq?: number;
  ts: number;
}
