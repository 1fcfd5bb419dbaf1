/**
 * What a `$connect` event asks for, independent of the wire protocol. The
 * Socket.IO branch (query `EIO=4&transport=websocket`) reads the same
 * request and decides differently; nothing here assumes the JSON protocol.
 */
import { extractToken, headerOf } from './http-headers';
import type { WebSocketRouteEvent, WebSocketResult } from './events';
import { JSON_SUBPROTOCOL } from '../../../protocol';

export interface ConnectRequest {
  connectionId: string;
  /** Epoch ms, from API Gateway. */
  connectedAt: number;
  /** The browser's Origin header; absent for non-browser clients. */
  origin?: string;
  /** The bearer token from the subprotocol list or `?token=`. */
  token?: string;
  /** Whether the client offered `lettera.v1` (the response may only echo an offered subprotocol). */
  offeredSubprotocol: boolean;
  /** The query parameters (e.g. `EIO`, `transport` for Socket.IO). */
  query: Readonly<Record<string, string | undefined>>;
}

/**
 * @example
 * const request = parseConnectRequest(event);
 * if (request.token === undefined) return { statusCode: 401 };
 */
export function parseConnectRequest(event: WebSocketRouteEvent): ConnectRequest {
  const query = event.queryStringParameters ?? {};
  const { token, offeredSubprotocol } = extractToken(event.headers, query);
  const origin = headerOf(event.headers, 'origin');
  return {
    connectionId: event.requestContext.connectionId,
    connectedAt: event.requestContext.connectedAt ?? Date.now(),
    ...(origin !== undefined && { origin }),
    ...(token !== undefined && { token }),
    offeredSubprotocol,
    query,
  };
}

/**
 * Browsers send Origin and can be held to the allowlist (exact match, so
 * `https://app.example.com.evil.com` fails); a request with no Origin is a
 * non-browser client, which an Origin check could not stop anyway.
 * `allowedOrigins` is FRONTEND_URL: one origin, or several separated by
 * commas (the local runtime allows its own page and a dev server's).
 */
export function isOriginAllowed(origin: string | undefined, allowedOrigins: string | undefined): boolean {
  if (allowedOrigins === undefined || origin === undefined) return true;
  return allowedOrigins.split(',').some((allowed) => origin === allowed.trim().replace(/\/+$/, ''));
}

/** The `$connect` success result: echo `lettera.v1` only when the client offered it. */
export function acceptedResult(request: ConnectRequest): WebSocketResult {
  return request.offeredSubprotocol
    ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': JSON_SUBPROTOCOL } }
    : { statusCode: 200 };
}

/** Engine.IO protocol version and transport this server speaks. */
export const ENGINE_IO_VERSION = '4';
export const ENGINE_IO_TRANSPORT = 'websocket';

/** Which protocol a `$connect` asks for, by its query. */
export type HandshakeKind = { kind: 'json' } | { kind: 'socket.io' } | { kind: 'refused'; reason: string };

/**
 * A request with `EIO` or `transport` in its query is an Engine.IO client:
 * only `EIO=4&transport=websocket` is served (the Engine.IO spec requires
 * refusing other versions; long-polling can't run over a WebSocket API).
 * Anything else is the JSON protocol.
 *
 * @example
 * socketIoHandshakeOf(parseConnectRequest(event)); // { kind: 'socket.io' } for ?EIO=4&transport=websocket
 */
export function socketIoHandshakeOf(request: Pick<ConnectRequest, 'query'>): HandshakeKind {
  const { EIO, transport } = request.query;
  if (EIO === undefined && transport === undefined) return { kind: 'json' };
  if (EIO !== ENGINE_IO_VERSION) {
    return { kind: 'refused', reason: `Unsupported Engine.IO protocol version ${JSON.stringify(EIO ?? null)}: only EIO=4 (socket.io-client v3 and v4)` };
  }
  if (transport !== ENGINE_IO_TRANSPORT) {
    return { kind: 'refused', reason: `Unsupported transport ${JSON.stringify(transport ?? null)}: only websocket (set transports: ['websocket'])` };
  }
  return { kind: 'socket.io' };
}
