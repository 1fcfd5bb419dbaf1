/**
 * lettera-realtime-client: a socket.io-client-shaped client for the
 * lettera-realtime JSON protocol (v1), for browsers and Node.js 20/22.
 *
 * @example
 * import { connect } from 'lettera-realtime-client';
 *
 * const socket = connect('wss://ws.example.com/prod', {
 *   auth: async () => ({ token: await getFreshToken() }),
 *   httpUrl: 'https://api.example.com',
 * });
 * socket.on('connect', () => console.log('online'));
 * socket.on('message:new', (msg) => render(msg));
 * socket.on('user:typing', ({ chatId, userId }) => showTyping(chatId, userId));
 * socket.on('user:stop-typing', ({ chatId, userId }) => hideTyping(chatId, userId));
 * const message = await socket.timeout(5000).emitWithAck('message:send', { chatId: 'c1', content: 'hi' });
 */
import type { ActionsMap, ClientEmitActions, EventsMap, ServerListenEvents } from './typed-events';
import { ChatSocket } from './socket';
import type { SocketOptions } from './options';

/**
 * Creates a socket and (unless `autoConnect: false`) connects it.
 * On Node.js 20 pass `WebSocket` from the `ws` package.
 *
 * @example
 * import WebSocket from 'ws';
 * const socket = connect('ws://127.0.0.1:3001/local', { auth: { token }, WebSocket });
 */
export function connect<Listen extends EventsMap = ServerListenEvents, Emit extends ActionsMap = ClientEmitActions>(
  url: string,
  options?: SocketOptions,
): ChatSocket<Listen, Emit> {
  return new ChatSocket<Listen, Emit>(url, options);
}

/** Alias of {@link connect}, for code written against socket.io-client's `io()`. */
export const io = connect;

export { ChatSocket, type TimeoutOperator } from './socket';
export type { ConnectionStateName } from './connection-state';
export { Backoff, type BackoffOptions } from './backoff';
export { ClientError, AckTimeoutError, DisconnectedError, type ClientErrorCode } from './errors';
export { DEFAULTS, type AuthData, type AuthOption, type SocketOptions, type WebSocketConstructor } from './options';
export {
  RESERVED_EVENTS,
  type AckCallback,
  type ActionsMap,
  type ClientEmitActions,
  type DisconnectReason,
  type EventMeta,
  type EventNames,
  type EventParams,
  type EventsMap,
  type ReservedEvents,
  type ServerErrorData,
  type ServerListenEvents,
} from './typed-events';
export { KEEPALIVE_ACTION } from '../../protocol';
export { MAX_CONTENT_LENGTH, TYPING_EXPIRES_IN_MS } from '../../protocol';
export type {
  AckResults,
  Block,
  BlockData,
  Chat,
  ChatRole,
  ChatSummary,
  MemberAddedData,
  MemberRemovedData,
  Page,
  Participant,
  RoleChangedData,
  ClientActionName,
  ClientActions,
  Message,
  MessageDeletedData,
  MessageEditedData,
  MessageNewData,
  MessageReadData,
  OfflineData,
  OnlineData,
  PresenceData,
  PresenceQueryResult,
  PresenceState,
  ReadState,
  ServerEventName,
  ServerEvents,
  TypingData,
  UserPresence,
  UserStatusData,
} from '../../protocol';
export type {
  CallAckResults,
  CallActions,
  CallEventData,
  CallMedia,
  CallServerEvents,
  CallState,
  CallStatus,
  IceCandidate,
} from '../../protocol';
