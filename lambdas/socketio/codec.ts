/**
 * Engine.IO v4 and Socket.IO v5 packet codec for the websocket transport:
 * text frames only, one Engine.IO packet per frame (API Gateway delivers
 * each WebSocket message to Lambda on its own, so there is no batching).
 *
 * Decoding follows socket.io-parser's `decodeString` / `isPayloadValid`
 * (packages/socket.io-parser/lib/index.ts) and engine.io-parser's
 * `decodePacket`: whatever they reject is rejected here. Where their
 * lenient `Number(c) == c` digit test accepts odd input, this codec is
 * stricter (see {@link decodeSocketIoPacket}).
 */

/** Engine.IO v4 packet types, indexed by their wire digit. */
export const ENGINE_IO_PACKET_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
export type EngineIoPacketType = (typeof ENGINE_IO_PACKET_TYPES)[number];

/** Socket.IO v5 packet types, indexed by their wire digit. */
export const SOCKET_IO_PACKET_TYPES = [
  'CONNECT',
  'DISCONNECT',
  'EVENT',
  'ACK',
  'CONNECT_ERROR',
  'BINARY_EVENT',
  'BINARY_ACK',
] as const;
export type SocketIoPacketType = (typeof SOCKET_IO_PACKET_TYPES)[number];

/**
 * Event names a peer may never send: they are the client's and the
 * EventEmitter's own (socket.io-parser `RESERVED_EVENTS`).
 */
export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

/** The main namespace; the only one this server serves. */
export const MAIN_NAMESPACE = '/';

/**
 * Why a frame was refused:
 * - `INVALID_PACKET`: framing is wrong (empty frame, unknown type, bad
 *   namespace or ack id), what engine.io calls a "parse error".
 * - `INVALID_PAYLOAD`: the JSON is malformed or has the wrong shape for the
 *   packet type (socket.io-parser's "invalid payload").
 * - `BINARY_UNSUPPORTED`: a binary attachment packet (`5`, `6`) or a base64
 *   binary message (`b...`). API Gateway refuses binary frames, so the
 *   attachments could never arrive; the packet is refused at once instead of
 *   waiting for them.
 */
export type SocketIoProtocolErrorCode = 'INVALID_PACKET' | 'INVALID_PAYLOAD' | 'BINARY_UNSUPPORTED';

/**
 * A frame that breaks the Engine.IO / Socket.IO protocol. Socket.IO's server
 * answers these by closing the connection; so does this one.
 *
 * @example
 * try {
 *   decodeSocketIoPacket('2["connect"]');
 * } catch (err) {
 *   if (err instanceof SocketIoProtocolError) console.log(err.code); // 'INVALID_PAYLOAD'
 * }
 */
export class SocketIoProtocolError extends Error {
  readonly code: SocketIoProtocolErrorCode;

  constructor(code: SocketIoProtocolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SocketIoProtocolError';
    this.code = code;
  }
}

/** One decoded Engine.IO packet. Only `message` packets carry Socket.IO data. */
export type EngineIoPacket =
  | { type: 'message'; data: string }
  | { type: Exclude<EngineIoPacketType, 'message'>; data?: string };

/** One decoded Socket.IO packet (binary types are refused, never returned). */
export type SocketIoPacket =
  | { type: 'CONNECT'; nsp: string; data?: Record<string, unknown> }
  | { type: 'DISCONNECT'; nsp: string }
  | {
      type: 'EVENT';
      nsp: string;
      /** Absent when the packet has no payload (`2`), which socket.io-parser accepts. */
      name?: string | number;
      /** The arguments after the event name. */
      args: unknown[];
      /** Set when the sender wants an acknowledgement (`2<id>[...]`). */
      id?: number;
    }
  | { type: 'ACK'; nsp: string; args: unknown[]; id?: number }
  | { type: 'CONNECT_ERROR'; nsp: string; data?: string | Record<string, unknown> };

/** Keys dropped from every decoded object, so merging payloads never reaches a prototype. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

function withoutPrototypeKeys(key: string, value: unknown): unknown {
  return PROTOTYPE_KEYS.has(key) ? undefined : value;
}

/** socket.io-parser's `isObject`: a plain object, not an array, null or boxed value. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]';
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/**
 * Decodes one Engine.IO v4 text frame, like engine.io-parser's
 * `decodePacket`. An empty frame or an unknown type digit is what
 * engine.io-parser turns into its error packet (the server then closes the
 * transport with "parse error").
 *
 * @throws {SocketIoProtocolError} `INVALID_PACKET`, or `BINARY_UNSUPPORTED` for `b<base64>`.
 * @example
 * decodeEngineIoPacket('3');            // { type: 'pong' }
 * decodeEngineIoPacket('42["hi",1]');   // { type: 'message', data: '2["hi",1]' }
 */
export function decodeEngineIoPacket(frame: string): EngineIoPacket {
  const head = frame.charAt(0);
  if (head === 'b') {
    throw new SocketIoProtocolError('BINARY_UNSUPPORTED', 'binary messages are not supported');
  }
  const type = isDigit(head) ? ENGINE_IO_PACKET_TYPES[Number(head)] : undefined;
  if (type === undefined) {
    throw new SocketIoProtocolError('INVALID_PACKET', `unknown Engine.IO packet type ${JSON.stringify(head)}`);
  }
  const data = frame.slice(1);
  if (type === 'message') return { type, data };
  return data === '' ? { type } : { type, data };
}

function invalidPayload(type: SocketIoPacketType): SocketIoProtocolError {
  return new SocketIoProtocolError('INVALID_PAYLOAD', `invalid payload for ${type}`);
}

function parseJson(text: string, type: SocketIoPacketType): unknown {
  try {
    return JSON.parse(text, withoutPrototypeKeys);
  } catch (err) {
    throw new SocketIoProtocolError('INVALID_PAYLOAD', `invalid payload for ${type}: not JSON`, { cause: err });
  }
}

/**
 * Decodes the Socket.IO v5 packet carried by an Engine.IO `message`:
 * `<type>[/<nsp>,][<ack id>][<JSON>]`.
 *
 * Rejects exactly what socket.io-parser rejects:
 * - an unknown type digit;
 * - JSON that does not parse (including trailing garbage);
 * - CONNECT data that is not a plain object; any DISCONNECT data;
 * - EVENT data that is not an array starting with a number or a
 *   non-reserved string (so `[]`, `[true]`, `[null]`, `["connect"]` fail);
 * - ACK data that is not an array; CONNECT_ERROR data that is neither a
 *   string nor an object.
 *
 * Stricter than socket.io-parser, on purpose:
 * - binary packets (`5`, `6`) are refused with `BINARY_UNSUPPORTED`;
 * - the type and the ack id must be ASCII digits: the parser's
 *   `Number(c) == c` test lets whitespace through (`" {}"` decodes there as
 *   a CONNECT, `2 ["a"]` as ack id 0), so whitespace before the payload is
 *   refused too;
 * - an ack id above `Number.MAX_SAFE_INTEGER` is refused (the parser would
 *   round it, so the `43<id>` reply could never match the request);
 * - an empty string is refused (never sent: the websocket transport hands
 *   socket.io no data for a bare `4`).
 *
 * `__proto__` and `constructor` keys are dropped from decoded objects.
 *
 * @throws {SocketIoProtocolError}
 * @example
 * decodeSocketIoPacket('40{"token":"abc"}');
 * // { type: 'CONNECT', nsp: '/', data: { token: 'abc' } }
 * decodeSocketIoPacket('212["message:send",{"chatId":"c1","content":"hi"}]');
 * // { type: 'EVENT', nsp: '/', id: 12, name: 'message:send', args: [{ chatId: 'c1', content: 'hi' }] }
 */
export function decodeSocketIoPacket(text: string): SocketIoPacket {
  const head = text.charAt(0);
  const type = isDigit(head) ? SOCKET_IO_PACKET_TYPES[Number(head)] : undefined;
  if (type === undefined) {
    throw new SocketIoProtocolError('INVALID_PACKET', `unknown Socket.IO packet type ${JSON.stringify(head)}`);
  }
  if (type === 'BINARY_EVENT' || type === 'BINARY_ACK') {
    throw new SocketIoProtocolError('BINARY_UNSUPPORTED', 'binary attachments are not supported');
  }

  let i = 1;
  let nsp = MAIN_NAMESPACE;
  if (text.charAt(i) === '/') {
    // Like socket.io-parser: the namespace runs to the first comma or the end.
    const comma = text.indexOf(',', i);
    const end = comma === -1 ? text.length : comma;
    nsp = text.slice(i, end);
    i = comma === -1 ? end : end + 1;
  }

  let id: number | undefined;
  const idStart = i;
  while (isDigit(text[i])) i++;
  if (i > idStart) {
    id = Number(text.slice(idStart, i));
    if (!Number.isSafeInteger(id)) {
      throw new SocketIoProtocolError('INVALID_PACKET', `ack id out of range: ${text.slice(idStart, i)}`);
    }
  }

  // Spread into a packet so that `id` is absent, not undefined, without one.
  const ack = id === undefined ? {} : { id };
  const rest = text.slice(i);
  if (/^[ \t\n\r]/.test(rest)) {
    // socket.io-parser would read this whitespace as ack id 0; JSON.parse would skip it. Neither is meant.
    throw new SocketIoProtocolError('INVALID_PACKET', 'unexpected whitespace before the payload');
  }
  const hasPayload = rest !== '';
  const payload = hasPayload ? parseJson(rest, type) : undefined;

  switch (type) {
    case 'CONNECT':
      if (hasPayload && !isPlainObject(payload)) throw invalidPayload(type);
      return hasPayload ? { type, nsp, data: payload as Record<string, unknown> } : { type, nsp };
    case 'DISCONNECT':
      if (hasPayload) throw invalidPayload(type);
      return { type, nsp };
    case 'CONNECT_ERROR':
      if (hasPayload && typeof payload !== 'string' && !isPlainObject(payload)) throw invalidPayload(type);
      return hasPayload ? { type, nsp, data: payload as string | Record<string, unknown> } : { type, nsp };
    case 'ACK':
      if (hasPayload && !Array.isArray(payload)) throw invalidPayload(type);
      return { type, nsp, args: hasPayload ? (payload as unknown[]) : [], ...ack };
    case 'EVENT': {
      if (!hasPayload) return { type, nsp, args: [], ...ack };
      if (!Array.isArray(payload)) throw invalidPayload(type);
      const [name, ...args] = payload as unknown[];
      if (typeof name === 'number' || (typeof name === 'string' && !RESERVED_EVENT_NAMES.has(name))) {
        return { type, nsp, name, args, ...ack };
      }
      throw invalidPayload(type);
    }
  }
}

/** Encodes one Engine.IO packet as a text frame. */
export function encodeEngineIoPacket(type: EngineIoPacketType, data = ''): string {
  return String(ENGINE_IO_PACKET_TYPES.indexOf(type)) + data;
}

/** A Socket.IO packet to encode; binary types are never produced. */
export interface OutgoingSocketIoPacket {
  type: Exclude<SocketIoPacketType, 'BINARY_EVENT' | 'BINARY_ACK'>;
  /** @default '/' */
  nsp?: string;
  id?: number;
  data?: unknown;
}

/**
 * Encodes a Socket.IO packet inside an Engine.IO `message`, ready to post:
 * `4<type>[/<nsp>,][<id>][<JSON>]`.
 *
 * @throws {Error} when the namespace contains a comma (it could not be decoded back)
 * or the ack id is not a non-negative safe integer.
 * @example
 * encodeSocketIoPacket({ type: 'EVENT', data: ['user:online', { userId: 'u1' }] });
 * // '42["user:online",{"userId":"u1"}]'
 */
export function encodeSocketIoPacket(packet: OutgoingSocketIoPacket): string {
  let out = String(SOCKET_IO_PACKET_TYPES.indexOf(packet.type));
  const nsp = packet.nsp ?? MAIN_NAMESPACE;
  if (nsp !== MAIN_NAMESPACE) {
    if (nsp.includes(',')) throw new Error(`invalid namespace: must not contain a comma, got ${JSON.stringify(nsp)}`);
    out += `${nsp},`;
  }
  if (packet.id !== undefined) {
    if (!Number.isSafeInteger(packet.id) || packet.id < 0) {
      throw new Error(`invalid ack id: expected a non-negative safe integer, got ${String(packet.id)}`);
    }
    out += String(packet.id);
  }
  if (packet.data !== undefined) out += JSON.stringify(packet.data);
  return encodeEngineIoPacket('message', out);
}

/** What the Engine.IO open packet announces. */
export interface OpenPacketFields {
  /** Engine.IO session id; the connection id serves (the client only echoes it on polling). */
  sid: string;
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/**
 * The Engine.IO handshake, the first frame the client waits for:
 * `0{"sid","upgrades":[],"pingInterval","pingTimeout","maxPayload"}`.
 * `upgrades` is empty: the connection already is a websocket.
 *
 * @example
 * encodeOpenPacket({ sid: 'abc=', pingInterval: 300000, pingTimeout: 60000, maxPayload: 32000 });
 * // '0{"sid":"abc=","upgrades":[],"pingInterval":300000,"pingTimeout":60000,"maxPayload":32000}'
 */
export function encodeOpenPacket(fields: OpenPacketFields): string {
  const { sid, pingInterval, pingTimeout, maxPayload } = fields;
  return encodeEngineIoPacket('open', JSON.stringify({ sid, upgrades: [], pingInterval, pingTimeout, maxPayload }));
}

/** The server heartbeat `2`; the client answers `3`. */
export const PING_FRAME = encodeEngineIoPacket('ping');

/**
 * A successful namespace CONNECT reply, `40{"sid"[,"pid"]}`. Without `sid`
 * socket.io-client assumes a v2 server and fails; `pid` (the recovery
 * session id) is what makes `socket.recovered` true on a later reconnect.
 *
 * @example
 * encodeConnect({ sid: 'c1', pid: 'p1' }); // '40{"sid":"c1","pid":"p1"}'
 */
export function encodeConnect(fields: { sid: string; pid?: string }, nsp?: string): string {
  const data = fields.pid === undefined ? { sid: fields.sid } : { sid: fields.sid, pid: fields.pid };
  return encodeSocketIoPacket({ type: 'CONNECT', nsp, data });
}

/**
 * A refused namespace CONNECT, `44{"message"[,"data"]}`; the client's
 * `connect_error` fires with `err.message` and `err.data`.
 *
 * @example
 * encodeConnectError({ message: 'Unauthorized', data: { code: 'UNAUTHORIZED' } });
 * // '44{"message":"Unauthorized","data":{"code":"UNAUTHORIZED"}}'
 */
export function encodeConnectError(error: { message: string; data?: unknown }, nsp?: string): string {
  const data = error.data === undefined ? { message: error.message } : { message: error.message, data: error.data };
  return encodeSocketIoPacket({ type: 'CONNECT_ERROR', nsp, data });
}

/**
 * A server event, `42["<event>",<data>]`. With `offset` (connection state
 * recovery) the offset is appended as a last string argument: the client
 * keeps the last string argument of every event as its `_lastOffset` and
 * sends it back in its next CONNECT.
 *
 * @example
 * encodeEvent('message:new', { messageId: 'm1' }, { offset: '01J...' });
 * // '42["message:new",{"messageId":"m1"},"01J..."]'
 */
export function encodeEvent(name: string, data: unknown, options: { offset?: string; nsp?: string } = {}): string {
  const args = options.offset === undefined ? [name, data] : [name, data, options.offset];
  return encodeSocketIoPacket({ type: 'EVENT', nsp: options.nsp, data: args });
}

/**
 * An acknowledgement of the client's `42<id>[...]`: `43<id>[...args]`.
 *
 * @example
 * encodeAck(7, [{ data: { delivered: true } }]); // '437[{"data":{"delivered":true}}]'
 */
export function encodeAck(id: number, args: readonly unknown[], nsp?: string): string {
  return encodeSocketIoPacket({ type: 'ACK', nsp, id, data: args });
}

/**
 * A server-side disconnect, `41`: the client fires `disconnect` with
 * "io server disconnect" and does not reconnect by itself.
 */
export function encodeDisconnect(nsp?: string): string {
  return encodeSocketIoPacket({ type: 'DISCONNECT', nsp });
}
