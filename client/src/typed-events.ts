/**
 * Typed event maps of the client, in the style of socket.io-client's
 * `Socket<ListenEvents, EmitEvents>`: every server event and every client
 * action of the JSON protocol (v1) has a typed payload.
 */
import type {
  AckResults,
  ClientActionName,
  ClientActions,
  ServerEventName,
  ServerEvents,
} from '../../protocol';
import type { ClientError } from './errors';

/** A map of event name → listener signature. */
export type EventsMap = Record<string, (...args: any[]) => void>;

/** A map of action name → `{ data, ack }`: what is sent and what its ack carries. */
export type ActionsMap = Record<string, { data: unknown; ack: unknown }>;

/** Names of a map, as strings. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** Parameters of a listener of one event. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/**
 * What comes with every delivered server event besides its data.
 * `id` is the event id (unique per event); `seq` is a message event's chat
 * position (the position of the write it reports; for an event rebuilt from
 * history, the message's latest write); `recovered` is true for events
 * fetched from the HTTP history (after a reconnect or a gap); `local` is
 * true for a `user:stop-typing` the client made itself when an indicator
 * expired.
 */
export interface EventMeta {
  id: string;
  seq?: number;
  ts: number;
  recovered?: boolean;
  local?: boolean;
}

/** The `{code, message}` of a server error frame. */
export interface ServerErrorData {
  code: string;
  message: string;
}

/** Server → client events: `(data, meta) => void` for each protocol event, plus error frames. */
export type ServerListenEvents = {
  [E in ServerEventName]: (data: ServerEvents[E], meta: EventMeta) => void;
} & {
  /** An error frame outside any ack: the server's, or API Gateway's (`GATEWAY_ERROR`) when no ack was awaited. */
  error: (data: ServerErrorData) => void;
};

/** Client → server actions of the JSON protocol with their ack results. */
export type ClientEmitActions = {
  [A in ClientActionName]: { data: ClientActions[A]; ack: AckResults[A] };
};

/**
 * Why a socket disconnected.
 * - `io client disconnect`: `socket.disconnect()` was called; no reconnection.
 * - `io server disconnect`: the server closed the socket with a close frame
 *   (API Gateway's idle timeout or 2-hour cap, `DeleteConnection`). Unlike
 *   socket.io the client reconnects, because API Gateway closes healthy
 *   connections this way.
 * - `transport close`: the connection was lost without a close frame.
 * - `transport error`: the WebSocket reported an error, then closed.
 */
export type DisconnectReason =
  | 'io client disconnect'
  | 'io server disconnect'
  | 'transport close'
  | 'transport error';

/** Events the client itself emits; `emit()` refuses these names. */
export interface ReservedEvents {
  /** The socket is connected (also after every reconnection). */
  connect: () => void;
  /** A connection attempt failed (refused upgrade, network error, auth function failure). */
  connect_error: (err: Error) => void;
  /** The socket lost its connection; `details` carries the close code and reason. */
  disconnect: (reason: DisconnectReason, details?: { code: number; reason: string }) => void;
  /** A reconnection attempt is scheduled `delay` ms from now. */
  reconnect_attempt: (attempt: number, delay: number) => void;
  /** `reconnectionAttempts` were used up; the socket stays disconnected. */
  reconnect_failed: () => void;
  /** Fetching a chat's missed messages failed; it is retried with backoff (not after FORBIDDEN or NOT_FOUND). */
  recovery_error: (err: Error, chatId: string) => void;
}

/** The frozen set of reserved names (socket.io's `RESERVED_EVENTS`). */
export const RESERVED_EVENTS: Readonly<Record<keyof ReservedEvents, 1>> = Object.freeze({
  connect: 1,
  connect_error: 1,
  disconnect: 1,
  reconnect_attempt: 1,
  reconnect_failed: 1,
  recovery_error: 1,
});

/** Ack callback: `(err, data)`; `err` is null on success. */
export type AckCallback<T> = (err: ClientError | null, data?: T) => void;
