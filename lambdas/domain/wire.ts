/**
 * How one event envelope looks on each wire protocol. The one place that
 * knows the framing, so the broadcaster can encode an event once per
 * protocol (never once per connection) and the other senders (acks, typing)
 * frame events the same way.
 */
import { MESSAGE_EVENTS, type EventEnvelope, type ServerEventName, type WireProtocol } from '../../protocol';
import { encodeEvent } from '../socketio/codec';

/**
 * Events that are persisted (Messages table) and can be replayed on
 * recovery: over Socket.IO they carry their envelope id (`{chatId}:{seq}`) as
 * the recovery offset. Typing and presence are volatile and carry none.
 */
const PERSISTED_EVENTS: ReadonlySet<ServerEventName> = new Set(MESSAGE_EVENTS);

/** The Socket.IO recovery offset of an event, or undefined for volatile events. */
export function recoveryOffsetOf(envelope: EventEnvelope): string | undefined {
  return PERSISTED_EVENTS.has(envelope.event) ? envelope.id : undefined;
}

/**
 * Serializes an envelope into the text frame a connection of `protocol`
 * expects.
 *
 * - `lettera.v1`: the JSON envelope itself, `{"event","data","id","ts"}`.
 * - `socket.io`: an Engine.IO message carrying a Socket.IO EVENT packet,
 *   `42["<event>",<data>]`, which the official client emits as `event`.
 *   Persisted events (`message:*`) append their id as the recovery offset,
 *   `42["message:new",{...},"<chatId>:<seq>"]`: the client keeps it and sends it
 *   back when it reconnects; listeners see it as an extra last argument.
 *
 * @example
 * encodeEnvelope('lettera.v1', { event: 'user:online', data: { userId: 'u1', at }, id: 'x', ts: 1 });
 * // '{"event":"user:online","data":{"userId":"u1","at":"..."},"id":"x","ts":1}'
 * encodeEnvelope('socket.io', envelope);
 * // '42["user:online",{"userId":"u1","at":"..."}]'
 * encodeEnvelope('socket.io', messageNewEnvelope);
 * // '42["message:new",{"messageId":"01J…",...},"c1:42"]'
 */
export function encodeEnvelope(protocol: WireProtocol, envelope: EventEnvelope): string {
  switch (protocol) {
    case 'socket.io':
      return encodeEvent(envelope.event, envelope.data, { offset: recoveryOffsetOf(envelope) });
    case 'lettera.v1':
      return JSON.stringify(envelope);
  }
}

/**
 * Memoizes the encoded bytes of one envelope per protocol: a broadcast asks
 * for every recipient and pays for JSON and UTF-8 encoding at most once per
 * protocol. The returned bytes are shared; callers must not mutate them.
 *
 * @example
 * const frames = createFrameCache(envelope);
 * await post(connectionId, frames.get(member.protocol));
 */
export function createFrameCache(envelope: EventEnvelope): { get(protocol: WireProtocol): Uint8Array } {
  const encoded = new Map<WireProtocol, Uint8Array>();
  return {
    get(protocol) {
      let bytes = encoded.get(protocol);
      if (bytes === undefined) {
        bytes = Buffer.from(encodeEnvelope(protocol, envelope), 'utf8');
        encoded.set(protocol, bytes);
      }
      return bytes;
    },
  };
}
