/**
 * Events in API Gateway's WebSocket shape (architect's _req-fmt.js, checked
 * against the aws-lambda-rust-runtime fixtures and serverless-offline's e2e
 * tests that run against AWS). Handlers cannot tell these from the real ones.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConnectionIdentity } from './pool';

/** What every event of one connection shares. */
export interface ConnectionInfo {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly identity: ConnectionIdentity;
}

/** The gateway's fixed identity: stage, host:port and API id. */
export interface ApiInfo {
  readonly stage: string;
  readonly domainName: string;
  readonly apiId: string;
}

export type WebSocketEventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

/**
 * `@types/aws-lambda`'s APIGatewayProxyWebsocketEventV2 lacks the headers,
 * query, identity and disconnect fields API Gateway sends; this is the full shape.
 */
export interface WebSocketEvent {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: {
    routeKey: string;
    eventType: WebSocketEventType;
    messageId?: string;
    extendedRequestId: string;
    requestTime: string;
    messageDirection: 'IN';
    stage: string;
    connectedAt: number;
    requestTimeEpoch: number;
    identity: ConnectionIdentity;
    requestId: string;
    domainName: string;
    connectionId: string;
    apiId: string;
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** `09/Feb/2024:18:23:28 +0000`, API Gateway's requestTime format. */
export function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** A connection id like API Gateway's: 16 base64 characters ending in `=`. */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

/** A request or message id like API Gateway's (12 base64 characters, e.g. `ABC123xyzIA=`). */
export function newRequestId(): string {
  return randomBytes(8).toString('base64');
}

function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

function requestContext(api: ApiInfo, connection: ConnectionInfo, routeKey: string, eventType: WebSocketEventType) {
  const now = Date.now();
  const requestId = newRequestId();
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: formatRequestTime(now),
    messageDirection: 'IN' as const,
    stage: api.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: connection.identity,
    requestId,
    domainName: api.domainName,
    connectionId: connection.connectionId,
    apiId: api.apiId,
  };
}

/** Headers of the upgrade request: the client's (case kept) plus what API Gateway adds. */
function connectHeaders(req: IncomingMessage, api: ApiInfo, identity: ConnectionIdentity) {
  const multi: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.toLowerCase() === 'host') continue;
    (multi[name] ??= []).push(raw[i + 1] as string);
  }
  multi.Host = [api.domainName];
  multi['X-Amzn-Trace-Id'] = [traceId()];
  multi['X-Forwarded-For'] = [identity.sourceIp];
  multi['X-Forwarded-Port'] = [String(req.socket.localPort ?? '')];
  multi['X-Forwarded-Proto'] = ['http'];
  const headers = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v.join(',')]));
  return { headers, multiValueHeaders: multi };
}

/** Query fields exist only when there is a query string; the last duplicate wins in the single-value map. */
function queryFields(url: URL) {
  if (url.search === '' || url.search === '?') return {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) (multi[key] ??= []).push(value);
  const single = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] as string]));
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

/** The `$connect` event for an upgrade request. */
export function connectEvent(req: IncomingMessage, api: ApiInfo, connection: ConnectionInfo): WebSocketEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return {
    ...connectHeaders(req, api, connection.identity),
    ...queryFields(url),
    requestContext: requestContext(api, connection, '$connect', 'CONNECT'),
    isBase64Encoded: false,
  };
}

/** A MESSAGE event: the exact frame text, a unique messageId, no headers. */
export function messageEvent(api: ApiInfo, connection: ConnectionInfo, routeKey: string, body: string): WebSocketEvent {
  return {
    requestContext: { ...requestContext(api, connection, routeKey, 'MESSAGE'), messageId: newRequestId() },
    body,
    isBase64Encoded: false,
  };
}

/** API Gateway's wording for a close without a status code. */
const NO_STATUS_REASON = 'Client-side close frame status not set';

/** The `$disconnect` event; API Gateway sends these four placeholder headers. */
export function disconnectEvent(api: ApiInfo, connection: ConnectionInfo, statusCode: number, reason: string): WebSocketEvent {
  const headers = { Host: api.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: {
      ...requestContext(api, connection, '$disconnect', 'DISCONNECT'),
      disconnectStatusCode: statusCode,
      disconnectReason: reason !== '' ? reason : statusCode === 1005 ? NO_STATUS_REASON : '',
    },
    isBase64Encoded: false,
  };
}
