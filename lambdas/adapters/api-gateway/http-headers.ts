/**
 * Reading the request headers API Gateway passes on: case-insensitive
 * lookup, the token of a WebSocket upgrade, the bearer token of an HTTP call.
 */
import { JSON_SUBPROTOCOL } from '../../../protocol';

/** Header lookup ignoring case (API Gateway keeps the client's casing). */
export function headerOf(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** A token as a connect request carries it, and whether the client offered `lettera.v1`. */
export interface ExtractedToken {
  token?: string;
  offeredSubprotocol: boolean;
}

/**
 * Takes the token from `Sec-WebSocket-Protocol: lettera.v1, <jwt>` or from
 * `?token=`. Browsers can't set headers on a WebSocket, so the subprotocol
 * list is the header-like channel; it keeps the token out of URLs and logs.
 *
 * @example
 * extractToken({ 'Sec-WebSocket-Protocol': 'lettera.v1, eyJ…' }, {}); // { token: 'eyJ…', offeredSubprotocol: true }
 */
export function extractToken(
  headers: Record<string, string | undefined> | null | undefined,
  query: Record<string, string | undefined> | null | undefined,
): ExtractedToken {
  const offered = (headerOf(headers, 'sec-websocket-protocol') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const offeredSubprotocol = offered.includes(JSON_SUBPROTOCOL);
  const fromProtocol = offeredSubprotocol ? offered.find((entry) => entry !== JSON_SUBPROTOCOL) : undefined;
  const fromQuery = query?.token;
  const token = fromProtocol ?? (fromQuery !== undefined && fromQuery !== '' ? fromQuery : undefined);
  return { ...(token !== undefined && { token }), offeredSubprotocol };
}

/** The token of an `Authorization: Bearer <jwt>` header, if well formed. */
export function bearerToken(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headerOf(headers, 'authorization') ?? '');
  return match?.[1];
}
