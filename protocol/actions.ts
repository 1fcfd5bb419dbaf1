/** Client → server actions, their payloads and what their acks carry. */
import type { Message, MessageReadData } from './events';

/** The keepalive action: acked without touching storage, so a quiet connection outlives API Gateway's 10-minute idle timeout. */
export const KEEPALIVE_ACTION = 'ping';

/** Client → server actions and their payloads (`data`). */
export interface ClientActions {
  'user:typing': { chatId: string };
  'user:stop-typing': { chatId: string };
  'message:send': { chatId: string; content: string; clientMessageId?: string };
  'message:edit': { chatId: string; messageId: string; content: string };
  'message:delete': { chatId: string; messageId: string };
  'message:read': { chatId: string; messageId: string };
}
export type ClientActionName = keyof ClientActions;

/** What each action's ack carries on success. */
export interface AckResults {
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
