/**
 * How one event envelope looks on each wire protocol. The one place that
 * knows the framing, so the broadcaster can encode an event once per
 * protocol (never once per connection) and the other senders (acks, typing)
 * frame events the same way.
 */
import type { EventEnvelope, WireProtocol } from '../commons/protocol';

/** Socket.IO packet prefix: Engine.IO `4` (message) + Socket.IO `2` (EVENT) on the main namespace. */
const SOCKET_IO_EVENT_PREFIX = '42';

/**
 * Serializes an envelope into the text frame a connection of `protocol`
 * expects.
 *
 * - `lettera.v1`: the JSON envelope itself, `{"event","data","id","ts"}`.
 * - `socket.io`: an Engine.IO message carrying a Socket.IO EVENT packet,
 *   `42["<event>",<data>]`, which the official client emits as `event`.
 *
 * @example
 * encodeEnvelope('lettera.v1', { event: 'user:online', data: { userId: 'u1', at }, id: 'x', ts: 1 });
 * // '{"event":"user:online","data":{"userId":"u1","at":"..."},"id":"x","ts":1}'
 * encodeEnvelope('socket.io', envelope);
 * // '42["user:online",{"userId":"u1","at":"..."}]'
 */
export function encodeEnvelope(protocol: WireProtocol, envelope: EventEnvelope): string {
  switch (protocol) {
    case 'socket.io':
      return SOCKET_IO_EVENT_PREFIX + JSON.stringify([envelope.event, envelope.data]);
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
