/** Client → server actions, their payloads and what their acks carry. */
import type { CallAckResults, CallActions } from './calls';
import type { Message, MessageReadData, PresenceState, UserStatusData } from './events';

/** The keepalive action: acked without touching storage, so a quiet connection outlives API Gateway's 10-minute idle timeout. */
export const KEEPALIVE_ACTION = 'ping';

/** Client → server actions and their payloads (`data`); the call actions are in calls.ts. */
export interface ClientActions extends CallActions {
  'user:typing': { chatId: string };
  'user:stop-typing': { chatId: string };
  'message:send': { chatId: string; content: string; clientMessageId?: string };
  'message:edit': { chatId: string; messageId: string; content: string };
  'message:delete': { chatId: string; messageId: string };
  /** The presence of 1 to MAX_PRESENCE_QUERY_USERS users, each sharing a chat with the caller (or the caller). */
  'presence:query': { userIds: string[] };
  /** Sets the caller's state and status text (at most MAX_STATUS_TEXT_LENGTH; absent or blank clears it). */
  'user:status': { state: PresenceState; text?: string };
  'message:read': { chatId: string; messageId: string };
}
export type ClientActionName = keyof ClientActions;

/** What each action's ack carries on success. */
export interface AckResults extends CallAckResults {
  'user:typing': { delivered: boolean };
  'user:stop-typing': { delivered: boolean };
  'message:send': Message;
  'message:edit': Message;
  'message:delete': { messageId: string; deletedAt: string };
  /**
   * The caller's read position after the call; `moved` is false when it was
   * already at or past this message (nothing written, nothing sent).
   */
  'message:read': MessageReadData & { moved: boolean };
  'presence:query': PresenceQueryResult;
  'user:status': UserStatusData;
}

/**
 * One user's presence as a query returns it: online while any of their
 * connections is open, with the state and text they set; `lastSeenAt` (ISO)
 * is when their last connection closed, for a user who is offline and has
 * been seen.
 */
export interface UserPresence {
  userId: string;
  online: boolean;
  /** An online user's state. */
  state?: PresenceState;
  /** The user's status text, when they set one (online users only). */
  text?: string;
  lastSeenAt?: string;
}

/** The answer to `presence:query` and `GET /presence`: one entry per user asked, in the order asked (a repeated id once). */
export interface PresenceQueryResult {
  users: UserPresence[];
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
