/**
 * The client protocol (JSON envelope, v1) and the shapes of every event.
 * Shared by handlers, the fan-out, the local runtime and the client library.
 */

/** Subprotocol a JSON client offers (and the server echoes) on connect. */
export const JSON_SUBPROTOCOL = 'lettera.v1';

/** Wire protocols a connection can speak; room rows record it for the fan-out. */
export type WireProtocol = 'lettera.v1' | 'socket.io';

/** Largest message content accepted, in characters: well under the 32 KB frame. */
export const MAX_CONTENT_LENGTH = 4000;

/** How long a typing indicator lives on the receiving side without a refresh. */
export const TYPING_EXPIRES_IN_MS = 3000;

/** At most one typing broadcast per user per chat per this many ms. */
export const TYPING_THROTTLE_MS = 1000;

/**
 * Flood limit (reliability C1): at most this many messages sent or edited
 * per user per chat per window. The reliability plan's starting point is 100
 * per minute per user; over a 10-second window that is about 17, rounded up
 * to 20 so a person's quickest burst (short replies, a pasted list sent line
 * by line) is never refused, while a script is held to about 2 a second in
 * each chat. A short window also means a refused client waits at most 10 s.
 * Each message costs N posts to a room of N connections, so this bounds what
 * one user can make the whole room pay.
 */
export const MESSAGE_RATE_LIMIT = 20;
/** The window of MESSAGE_RATE_LIMIT, in ms. */
export const MESSAGE_RATE_WINDOW_MS = 10_000;

/**
 * Most open connections per user (reliability C2), counted at `$connect`
 * from the user's presence set. A person has a few devices and a few tabs
 * each; 20 leaves room for that plus reconnects that overlap the connection
 * they replace (the old id leaves the set only at its `$disconnect`), while
 * bounding what one account can cost: every connection receives, and is
 * billed for, every broadcast of every chat the user is in.
 */
export const MAX_CONNECTIONS_PER_USER = 20;

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

/** Client → server actions and their payloads (`data`). */
export interface ClientActions {
  'user:typing': { chatId: string };
  'user:stop-typing': { chatId: string };
  'message:send': { chatId: string; content: string; clientMessageId?: string };
  'message:edit': { chatId: string; messageId: string; content: string };
  'message:delete': { chatId: string; messageId: string };
}
export type ClientActionName = keyof ClientActions;

/** What each action's ack carries on success. */
export interface AckResults {
  'user:typing': { delivered: boolean };
  'user:stop-typing': { delivered: boolean };
  'message:send': Message;
  'message:edit': Message;
  'message:delete': { messageId: string; deletedAt: string };
}

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

export interface ClientFrame {
  action: string;
  data?: unknown;
  ackId?: number | string;
}

export type AckFrame =
  | { event: 'ack'; ackId: number | string; data: unknown }
  | { event: 'ack'; ackId: number | string; error: { code: string; message: string } };

export interface ErrorFrame {
  event: 'error';
  data: { code: string; message: string };
}
