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
  /**
   * Change id of the message's creation, present only when the message id
   * is not one (a backend published it under its own id): `message:new`'s
   * event id, and what "created after a cursor" compares.
   */
  createdChangeId?: string;
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
