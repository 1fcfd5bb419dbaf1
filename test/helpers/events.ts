/**
 * Builders of the events API Gateway hands to the Lambda handlers, for unit
 * tests of any part: WebSocket route events (the proxy shape of $connect,
 * $disconnect and message routes) and HTTP API payload format 2.0 events.
 * Every field can be overridden; defaults are harmless and realistic.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebSocketRouteEvent } from '../../lambdas/adapters/api-gateway/events';
import { httpRoutes } from '../../lambdas/system/topology';
import { compileRoute, matchRoute } from '../../local/http-api';

const compiledHttpRoutes = httpRoutes.map(compileRoute);

export interface WsEventOptions {
  routeKey?: string;
  eventType?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  connectionId?: string;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  headers?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  connectedAt?: number;
  stage?: string;
  domainName?: string;
}

let requestCounter = 0;

/**
 * A WebSocket route event as API Gateway sends it.
 *
 * @example
 * const event = createWsEvent({ routeKey: 'message:send', body: { action: 'message:send', data: { chatId: 'c1', content: 'hi' } } });
 */
export function createWsEvent(options: WsEventOptions = {}): WebSocketRouteEvent {
  const routeKey = options.routeKey ?? '$default';
  const eventType = options.eventType ?? (routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE');
  const connectedAt = options.connectedAt ?? 1_764_204_000_000;
  const requestId = `req-${++requestCounter}`;
  const event: WebSocketRouteEvent = {
    requestContext: {
      routeKey,
      eventType,
      messageId: `msg-${requestCounter}`,
      extendedRequestId: requestId,
      requestTime: '27/Nov/2025:00:40:00 +0000',
      messageDirection: 'IN',
      stage: options.stage ?? 'test',
      connectedAt,
      requestTimeEpoch: connectedAt + 10,
      requestId,
      domainName: options.domainName ?? 'example.execute-api.eu-west-1.amazonaws.com',
      connectionId: options.connectionId ?? 'conn-1=',
      apiId: 'example',
    },
    isBase64Encoded: false,
  };
  if (options.body !== undefined) {
    event.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  if (options.headers !== undefined) {
    event.headers = options.headers;
    event.multiValueHeaders = Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k, [v]]));
  }
  if (options.queryStringParameters !== undefined) {
    event.queryStringParameters = options.queryStringParameters;
    event.multiValueQueryStringParameters = Object.fromEntries(
      Object.entries(options.queryStringParameters).map(([k, v]) => [k, [v]]),
    );
  }
  return event;
}

/** A `$connect` event; headers default to those of a browser upgrade request. */
export function createConnectEvent(options: Omit<WsEventOptions, 'routeKey' | 'eventType' | 'body'> = {}): WebSocketRouteEvent {
  return createWsEvent({
    ...options,
    routeKey: '$connect',
    headers: {
      Host: 'example.execute-api.eu-west-1.amazonaws.com',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
      ...options.headers,
    },
  });
}

/** A `$disconnect` event. */
export function createDisconnectEvent(options: Omit<WsEventOptions, 'routeKey' | 'eventType'> = {}): WebSocketRouteEvent {
  return createWsEvent({ ...options, routeKey: '$disconnect' });
}

/**
 * A message event for a client frame; the route key is the frame's action
 * when it is a string (as route selection would pick it), else `$default`.
 */
export function createActionEvent(frame: unknown, options: Omit<WsEventOptions, 'body'> = {}): WebSocketRouteEvent {
  const action = typeof frame === 'object' && frame !== null ? (frame as { action?: unknown }).action : undefined;
  return createWsEvent({ routeKey: typeof action === 'string' ? action : '$default', ...options, body: frame });
}

export interface HttpEventOptions {
  method: string;
  /** The concrete path, e.g. `/chats/c1/messages`. */
  path: string;
  /**
   * The route key, e.g. `POST /chats/{chatId}/messages`; by default the
   * topology route the method and path match, as API Gateway selects it
   * (`$default` when none does).
   */
  routeKey?: string;
  /** @default the matched route's parameters */
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  isBase64Encoded?: boolean;
}

/**
 * An HTTP API (payload format 2.0) event.
 *
 * @example
 * const event = createHttpEvent({ method: 'POST', path: '/chats', body: { participants: ['bob'] }, headers: { authorization: `Bearer ${token}` } });
 */
export function createHttpEvent(options: HttpEventOptions): APIGatewayProxyEventV2 {
  const matched = options.routeKey === undefined ? matchRoute(compiledHttpRoutes, options.method, options.path) : undefined;
  const routeKey = options.routeKey ?? matched?.route.routeKey ?? '$default';
  const pathParameters = options.pathParameters ?? matched?.pathParameters;
  const query = options.queryStringParameters;
  const requestId = `http-${++requestCounter}`;
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: options.path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers: { host: 'api.example.com', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: options.method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId,
      routeKey,
      stage: '$default',
      time: '27/Nov/2025:00:40:00 +0000',
      timeEpoch: 1_764_204_000_000,
    },
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
  if (pathParameters !== undefined && Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (query !== undefined) event.queryStringParameters = query;
  if (options.body !== undefined) {
    event.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  return event;
}
