/**
 * api-gateway.ts declares types only, so this is a type-level specification:
 * `expectTypeOf` does nothing at run time, and a broken shape fails
 * `tsc --noEmit` (the typecheck covers test/). The runtime assertions check
 * that the shared event builders produce what the types describe.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { WebSocketRouteEvent, WebSocketResult } from '../../../../../lambdas/adapters/api-gateway/events';
import { createWsEvent } from '../../../../helpers/events';

describe('Type: WebSocketRouteEvent', () => {
  it('is the proxy WebSocket event plus optional $connect headers', () => {
    // Act
    const event = createWsEvent({ routeKey: '$connect', eventType: 'CONNECT', headers: { Origin: 'https://app.example.com' } });

    // Assess
    expectTypeOf<WebSocketRouteEvent>().toExtend<APIGatewayProxyWebsocketEventV2>();
    expectTypeOf<WebSocketRouteEvent['headers']>().toEqualTypeOf<Record<string, string | undefined> | undefined>();
    expectTypeOf<WebSocketRouteEvent['multiValueHeaders']>().toEqualTypeOf<Record<string, string[] | undefined> | undefined>();
    expect(event.requestContext.routeKey).toBe('$connect');
    expect(event.headers?.Origin).toBe('https://app.example.com');
  });

  it('accepts an event without headers, as message routes arrive', () => {
    // Act
    const event: WebSocketRouteEvent = createWsEvent({ routeKey: 'message:send' });

    // Assess
    expect(event.requestContext.connectionId).toEqual(expect.any(String));
  });
});

describe('Type: WebSocketResult', () => {
  it('needs only a status code; headers and body are optional strings', () => {
    // Prepare
    const minimal: WebSocketResult = { statusCode: 200 };

    // Assess
    expectTypeOf<WebSocketResult['statusCode']>().toEqualTypeOf<number>();
    expectTypeOf<WebSocketResult['body']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WebSocketResult['headers']>().toEqualTypeOf<Record<string, string> | undefined>();
    expect(Object.keys(minimal)).toEqual(['statusCode']);
  });
});
