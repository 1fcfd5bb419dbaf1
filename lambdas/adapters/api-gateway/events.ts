/**
 * The API Gateway event and result shapes the handlers use. WebSocket events
 * are the proxy (v1-like) shape API Gateway sends to a Lambda integration;
 * `$connect` events also carry the upgrade request's headers.
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';

/** A WebSocket route event; `headers` are present on `$connect` (and `$disconnect`). */
export type WebSocketRouteEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string | undefined>;
  multiValueHeaders?: Record<string, string[] | undefined>;
};

/** What a WebSocket route integration returns; `body` goes to the client on two-way routes. */
export interface WebSocketResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}
