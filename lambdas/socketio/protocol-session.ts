/**
 * What the server does with each frame a socket.io connection sends, as pure
 * decisions: the handler carries them out (replies, domain calls,
 * DeleteConnection). Mirrors Socket.IO's own server, checked against its
 * source (socketio/socket.io, packages/engine.io/lib/socket.ts `onPacket`,
 * packages/socket.io/lib/client.ts `ondata` / `ondecoded` / `connect`,
 * packages/socket.io/lib/socket.ts `_onpacket`):
 *
 * | Frame                               | Socket.IO server                         | Here                      |
 * |-------------------------------------|------------------------------------------|---------------------------|
 * | `3` pong                            | clears the ping timeout                  | ignore                    |
 * | `2` ping (EIO 4)                    | "invalid heartbeat direction", closes    | close                     |
 * | `0` `1` `5` `6` from the client     | no case in `onPacket`: dropped           | ignore                    |
 * | unknown type, empty frame           | "parse error", closes                    | close                     |
 * | binary frame, `b64`, `5x`/`6x`      | decoder throws (or waits for attachments API Gateway never lets through), closes | close |
 * | malformed Socket.IO packet          | decoder throws, `conn.close()`           | close                     |
 * | `40` while pending                  | runs the middlewares (auth)              | connect intent            |
 * | `40` while open, `44` any time      | "invalid state", `close()`               | close                     |
 * | `40/other,`                         | `44/other,{"message":"Invalid namespace"}` | reply, state unchanged  |
 * | `42`/`43`/`41` before CONNECT, or on another namespace | "invalid state", `close()` | close          |
 * | `42[...]` while open                | dispatch to listeners                    | event intent for the 5 actions |
 * | `42` unknown or numeric name        | no listener: nothing                     | ignore; with an ack id, error ack (see below) |
 * | `43<id>` from the client            | "bad ack" unless the server asked: dropped | ignore (this server never asks) |
 * | `41` while open                     | leaves the namespace, sends nothing      | disconnect intent         |
 *
 * A close sends nothing first, like engine.io's websocket transport (its
 * `doClose` just closes the socket): the client sees "transport close" and
 * reconnects. `41` is only for a deliberate server disconnect (kick).
 *
 * One deliberate difference: an unknown event that asks for an ack gets
 * `43<id>[{"error":{"code":"UNKNOWN_ACTION",...}}]`. A Socket.IO server with
 * no listener leaves that ack unanswered and the client's callback waits
 * forever (or until its own `timeout()`); the error ack carries the same
 * answer the JSON protocol gives an unknown action, at no cost.
 */
import { CALL_ACTIONS, type ClientActionName } from '../../protocol';
import { toClientError, UnknownActionError } from '../commons/errors';
import {
  decodeEngineIoPacket,
  decodeSocketIoPacket,
  encodeAck,
  encodeConnect,
  encodeConnectError,
  encodeEvent,
  MAIN_NAMESPACE,
  SocketIoProtocolError,
  type SocketIoPacket,
} from './codec';

/** A socket.io connection is pending from $connect until its namespace CONNECT succeeds. */
export type ConnectionState = 'pending' | 'open';

/** Why the server drops a connection; the names are Socket.IO's own (engine.io close reasons, debug messages). */
export type CloseReason = 'parse error' | 'invalid heartbeat direction' | 'invalid packet format' | 'invalid state';

/** Why a frame needs nothing at all. */
export type IgnoreReason = 'pong' | 'engine packet' | 'client ack' | 'unknown event';

/**
 * What to do with one frame. Only `connect`, `event` and `disconnect` need
 * the domain; `reply` frames go back as they are (route response or post).
 */
export type SessionDecision =
  | { kind: 'ignore'; reason: IgnoreReason }
  | { kind: 'reply'; frames: string[] }
  | {
      kind: 'connect';
      /** The client's `auth` object (socket.io's default is `{}`), without `pid` and `offset`. */
      auth: Record<string, unknown>;
      /**
       * Recovery session and last offset. socket.io-client sends `pid` with
       * the offset of the last event it received, and without one when it
       * received none yet (then the session recovers from its start). An
       * offset without a pid means nothing.
       */
      pid?: string;
      offset?: string;
    }
  | { kind: 'event'; name: ClientActionName; data: unknown; ackId?: number }
  | { kind: 'disconnect' }
  | { kind: 'close'; reason: CloseReason; error?: SocketIoProtocolError };

/** A frame read as far as it can be without the connection's state. */
export type ReadFrame = { kind: 'decided'; decision: SessionDecision } | { kind: 'packet'; packet: SocketIoPacket };

/** The client events that reach the domain: exactly the JSON protocol's actions. */
const CLIENT_ACTIONS: Readonly<Record<ClientActionName, true>> = Object.freeze({
  'user:typing': true,
  'user:stop-typing': true,
  'message:send': true,
  'message:edit': true,
  'message:delete': true,
  'presence:query': true,
  'user:status': true,
  ...(Object.fromEntries(CALL_ACTIONS.map((action) => [action, true])) as Record<(typeof CALL_ACTIONS)[number], true>),
  'message:read': true,
});

function isClientAction(name: unknown): name is ClientActionName {
  return typeof name === 'string' && Object.hasOwn(CLIENT_ACTIONS, name);
}

function close(reason: CloseReason, error?: SocketIoProtocolError): SessionDecision {
  return error === undefined ? { kind: 'close', reason } : { kind: 'close', reason, error };
}

/**
 * Reads the Engine.IO layer of a frame. Heartbeats and broken frames are
 * decided here, before any state is loaded: a pong costs no DynamoDB read.
 *
 * @example
 * readFrame('3');           // { kind: 'decided', decision: { kind: 'ignore', reason: 'pong' } }
 * readFrame('40{"token":"t"}'); // { kind: 'packet', packet: { type: 'CONNECT', nsp: '/', data: { token: 't' } } }
 */
export function readFrame(frame: string): ReadFrame {
  let engine;
  try {
    engine = decodeEngineIoPacket(frame);
  } catch (err) {
    if (!(err instanceof SocketIoProtocolError)) throw err;
    // A base64 binary message passes engine.io and dies in socket.io's decoder.
    const reason = err.code === 'BINARY_UNSUPPORTED' ? 'invalid packet format' : 'parse error';
    return { kind: 'decided', decision: close(reason, err) };
  }
  switch (engine.type) {
    case 'pong':
      return { kind: 'decided', decision: { kind: 'ignore', reason: 'pong' } };
    case 'ping':
      return { kind: 'decided', decision: close('invalid heartbeat direction') };
    case 'message':
      try {
        return { kind: 'packet', packet: decodeSocketIoPacket(engine.data) };
      } catch (err) {
        if (!(err instanceof SocketIoProtocolError)) throw err;
        return { kind: 'decided', decision: close('invalid packet format', err) };
      }
    default:
      return { kind: 'decided', decision: { kind: 'ignore', reason: 'engine packet' } };
  }
}

function connectIntent(data: Record<string, unknown> | undefined): SessionDecision {
  const { pid, offset, ...auth } = data ?? {};
  if (typeof pid !== 'string') return { kind: 'connect', auth };
  return { kind: 'connect', auth, pid, ...(typeof offset === 'string' && { offset }) };
}

function eventIntent(packet: Extract<SocketIoPacket, { type: 'EVENT' }>): SessionDecision {
  const { name, args, id } = packet;
  if (!isClientAction(name)) {
    if (id === undefined) return { kind: 'ignore', reason: 'unknown event' };
    const error = new UnknownActionError(`Unknown event ${JSON.stringify(name ?? null)}`);
    return { kind: 'reply', frames: [ackReply(id, { error })] };
  }
  // socket.io-client sends emit(name, data, ack) as [name, data]; extra arguments are not part of our API.
  const data = args[0];
  return id === undefined ? { kind: 'event', name, data } : { kind: 'event', name, data, ackId: id };
}

/**
 * Decides what a decoded Socket.IO packet means for a connection in `state`.
 *
 * @example
 * decidePacket('pending', { type: 'EVENT', nsp: '/', name: 'message:send', args: [{}] });
 * // { kind: 'close', reason: 'invalid state' }
 */
export function decidePacket(state: ConnectionState, packet: SocketIoPacket): SessionDecision {
  if (packet.nsp !== MAIN_NAMESPACE) {
    // No socket can exist on another namespace: a CONNECT is refused, anything else is out of state.
    if (packet.type !== 'CONNECT') return close('invalid state');
    return { kind: 'reply', frames: [encodeConnectError({ message: 'Invalid namespace' }, packet.nsp)] };
  }
  if (state === 'pending') {
    return packet.type === 'CONNECT' ? connectIntent(packet.data) : close('invalid state');
  }
  switch (packet.type) {
    case 'CONNECT':
    case 'CONNECT_ERROR':
      return close('invalid state');
    case 'DISCONNECT':
      return { kind: 'disconnect' };
    case 'ACK':
      return { kind: 'ignore', reason: 'client ack' };
    case 'EVENT':
      return eventIntent(packet);
  }
}

/**
 * Decides what one frame from a socket.io connection means.
 *
 * @example
 * decideFrame('open', '42["user:typing",{"chatId":"c1"}]');
 * // { kind: 'event', name: 'user:typing', data: { chatId: 'c1' } }
 * decideFrame('open', '40');
 * // { kind: 'close', reason: 'invalid state' }
 */
export function decideFrame(state: ConnectionState, frame: string): SessionDecision {
  const read = readFrame(frame);
  return read.kind === 'decided' ? read.decision : decidePacket(state, read.packet);
}

/** The outcome of an action: its ack data, or the error it threw. */
export type AckOutcome = { data: unknown } | { error: unknown };

/**
 * The `43<id>[...]` answer to an acked event. It carries one argument, the
 * body of the JSON protocol's ack frame without `event`/`ackId`:
 * `{"data":...}` on success, `{"error":{"code","message"}}` on failure
 * (errors pass through `toClientError`, so internals never leak).
 *
 * One argument rather than Node-style `(err, data)`: `emitWithAck` resolves
 * with the first argument, so `[null, data]` would resolve to `null`; and the
 * socket.io docs' own ack examples answer with a single object.
 *
 * @example
 * ackReply(3, { data: { delivered: true } });  // '433[{"data":{"delivered":true}}]'
 * ackReply(4, { error: new ForbiddenError('Not a participant') });
 * // '434[{"error":{"code":"FORBIDDEN","message":"Not a participant"}}]'
 * // client: const res = await socket.emitWithAck('message:send', data); if (res.error) ...
 */
export function ackReply(ackId: number, outcome: AckOutcome): string {
  const body = 'error' in outcome ? { error: toClientError(outcome.error) } : { data: outcome.data };
  return encodeAck(ackId, [body]);
}

/**
 * The reply to a successful CONNECT: `40{"sid","pid"?}`. `sid` is the
 * Socket.IO socket id (the connection id serves); `pid` is the recovery
 * session id to hand back when recovery is on.
 */
export function connectReply(fields: { sid: string; pid?: string }): string {
  return encodeConnect(fields);
}

/**
 * The reply to a refused CONNECT: `44{"message","data":{"code"}}`, so the
 * client's `connect_error` gets `err.message` and `err.data.code`.
 *
 * @example
 * connectErrorReply(new UnauthorizedError('Invalid token'));
 * // '44{"message":"Invalid token","data":{"code":"UNAUTHORIZED"}}'
 */
export function connectErrorReply(error: unknown): string {
  const { code, message } = toClientError(error);
  return encodeConnectError({ message, data: { code } });
}

/**
 * The error of an event sent without an ack (the JSON protocol's error
 * frame): `42["error",{"code","message"}]`, for `socket.on('error', ...)`.
 * `error` is not a reserved name in Socket.IO v5.
 */
export function errorEvent(error: unknown): string {
  return encodeEvent('error', toClientError(error));
}
