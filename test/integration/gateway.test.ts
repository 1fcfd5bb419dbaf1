/**
 * Fidelity of the WebSocket gateway emulator against API Gateway's
 * behaviour (route selection, $connect status, subprotocol, frame and
 * size rules, timeouts, $disconnect; local/README.md), with fake
 * handlers injected as routes and real `ws` clients.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway, type Gateway, type RouteHandlers } from '../../local/gateway/server';
import type { LambdaHandler } from '../../local/lambda';
import type { WebSocketEvent } from '../../local/gateway/request-format';
import { abortedUpgrade, connectWebSocket, openAndCloseAfter, upgradeStatus, waitFor } from '../helpers/local-runtime';
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

/** Records every event per route and answers with a per-route reply (default: 200). */
function createRecorder() {
  const events: WebSocketEvent[] = [];
  const replies: Record<string, LambdaHandler> = {};
  const route =
    (key: string): LambdaHandler =>
    async (event: WebSocketEvent, context) => {
      events.push(event);
      const reply = replies[key];
      return reply !== undefined ? reply(event, context) : { statusCode: 200 };
    };
  const routes = (keys: string[]): RouteHandlers => Object.fromEntries(keys.map((key) => [key, route(key)]));
  const of = (routeKey: string) => events.filter((e) => e.requestContext.routeKey === routeKey);
  return { events, replies, routes, of };
}

let recorder = createRecorder();
let gateway: Gateway;
let management: ApiGatewayManagementApiClient;
const ALL_ROUTES = ['$connect', '$disconnect', '$default', 'typing', 'echo'];

beforeAll(async () => {
  gateway = await startGateway({ port: 0, returnResponseRoutes: ['echo'], idleTimeoutMs: 2_000, log: () => undefined });
  management = new ApiGatewayManagementApiClient({
    endpoint: gateway.callbackUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  management.destroy();
  await gateway.close();
});
afterEach(() => {
  recorder = createRecorder();
});

function useRoutes(keys = ALL_ROUTES) {
  gateway.setRoutes(recorder.routes(keys));
}

/**
 * Runs `act` against a gateway of its own (so late requests can't reach
 * other tests), closes it, and returns the connection ids $connect accepted
 * and those $disconnect was called for.
 */
async function pairsOnOwnGateway(act: (url: string) => Promise<unknown>): Promise<{ connected: string[]; disconnected: string[] }> {
  const own = createRecorder();
  const isolated = await startGateway({ port: 0, routes: own.routes(['$connect', '$disconnect']), log: () => undefined });
  await act(isolated.url);
  await waitFor(async () => {
    await isolated.idle();
    return isolated.metrics.connectsAccepted === isolated.metrics.disconnectsFired;
  }, 10_000);
  await isolated.close(); // Whatever arrived late is closed too, and must get its $disconnect.
  const ids = (routeKey: string) => own.of(routeKey).map((e) => e.requestContext.connectionId).sort();
  expect(isolated.metrics.connectsAccepted).toBe(isolated.metrics.disconnectsFired);
  return { connected: ids('$connect'), disconnected: ids('$disconnect') };
}

describe('Function: handleUpgrade', () => {
  it('fires $disconnect for each of five upgrades whose TCP connection closes right after the request', async () => {
    // Act
    const { connected, disconnected } = await pairsOnOwnGateway((url) =>
      Promise.all(Array.from({ length: 5 }, () => abortedUpgrade(url, { token: 't' }))),
    );

    // Assess: all five reached $connect (a FIN comes after the whole request), and each got its $disconnect.
    expect(connected).toHaveLength(5);
    expect(disconnected).toEqual(connected);
  });

  it('fires $disconnect for every accepted $connect of TCP resets and ws clients closed 0-20 ms into the handshake or after opening', async () => {
    // Act
    const { connected, disconnected } = await pairsOnOwnGateway((url) =>
      Promise.all([
        ...[0, 1, 5].map((ms) => abortedUpgrade(url, { token: 't', reset: true, closeAfterMs: ms })),
        ...[0, 0, 1, 2, 5, 8, 10, 15, 20, 20].map((ms) => openAndCloseAfter(url, ms, 'start')),
        ...[0, 1, 5, 10, 20].map((ms) => openAndCloseAfter(url, ms, 'open')),
      ]),
    );

    // Assess
    expect(connected.length).toBeGreaterThanOrEqual(5); // At least those that opened.
    expect(disconnected).toEqual(connected);
  });

  it('sends a CONNECT event in API Gateway shape with a stable connectedAt', async () => {
    // Prepare
    useRoutes();

    // Act
    const client = await connectWebSocket(gateway.url, { query: { token: 'abc' }, headers: { 'X-Custom': 'yes' } });
    client.send({ action: 'typing' });
    await waitFor(() => recorder.of('typing').length === 1);
    await client.close();
    await waitFor(() => recorder.of('$disconnect').length === 1);

    // Assess
    const [connect] = recorder.of('$connect');
    expect(connect).toMatchObject({
      isBase64Encoded: false,
      queryStringParameters: { token: 'abc' },
      multiValueQueryStringParameters: { token: ['abc'] },
      headers: { Host: `localhost:${gateway.port}`, 'X-Custom': 'yes', 'X-Forwarded-Proto': 'http' },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', stage: 'local', domainName: `localhost:${gateway.port}` },
    });
    expect(connect?.headers?.['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(connect?.multiValueHeaders?.['X-Custom']).toEqual(['yes']);
    expect(connect?.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(connect?.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(connect?.requestContext.identity.sourceIp).toBe('127.0.0.1');
    const connectedAt = new Set(recorder.events.map((e) => e.requestContext.connectedAt));
    expect(connectedAt.size).toBe(1);
  });

  it('omits the query fields when there is no query string', async () => {
    // Prepare
    useRoutes();

    // Act
    const client = await connectWebSocket(gateway.url);
    await client.close();

    // Assess
    const [connect] = recorder.of('$connect');
    expect(connect).not.toHaveProperty('queryStringParameters');
    expect(connect).not.toHaveProperty('multiValueQueryStringParameters');
  });

  it('turns a 403 from $connect into a 403 upgrade, no $disconnect, and 410 for the id', async () => {
    // Prepare
    useRoutes();
    recorder.replies.$connect = async () => ({ statusCode: 403 });

    // Act
    const status = await upgradeStatus(gateway.url);
    const connectionId = recorder.of('$connect')[0]?.requestContext.connectionId as string;
    const post = management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'hi' }));

    // Assess
    expect(status).toBe(403);
    await expect(post).rejects.toBeInstanceOf(GoneException);
    expect(recorder.of('$disconnect')).toHaveLength(0);
  });

  it('answers 502 when $connect throws', async () => {
    // Prepare
    useRoutes();
    recorder.replies.$connect = async () => {
      throw new Error('boom');
    };

    // Act
    const status = await upgradeStatus(gateway.url);

    // Assess
    expect(status).toBe(502);
  });

  it('echoes the subprotocol only when $connect returns it', async () => {
    // Prepare
    useRoutes();
    recorder.replies.$connect = async (event: WebSocketEvent) =>
      event.headers?.['X-Echo'] === 'yes' ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'chat' } } : { statusCode: 200 };

    // Act
    const echoed = await connectWebSocket(gateway.url, { protocols: ['chat'], headers: { 'X-Echo': 'yes' } });
    const silent = connectWebSocket(gateway.url, { protocols: ['chat'] });

    // Assess
    expect(echoed.protocol).toBe('chat');
    await expect(silent).rejects.toThrow(/Server sent no subprotocol/);
    await echoed.close();
  });
});

describe('Function: dispatch', () => {
  it('selects routes on $request.body.action and falls back to $default', async () => {
    // Prepare
    useRoutes();
    const client = await connectWebSocket(gateway.url);

    // Act
    client.send({ action: 'typing' });
    client.send({ action: 'unknown' });
    client.send('not json');
    client.send({ action: 1 });
    await waitFor(() => recorder.events.filter((e) => e.requestContext.eventType === 'MESSAGE').length === 4);
    await client.close();

    // Assess
    const byBody = Object.fromEntries(recorder.events.filter((e) => e.body !== undefined).map((e) => [e.body, e.requestContext.routeKey]));
    expect(byBody).toEqual({
      '{"action":"typing"}': 'typing',
      '{"action":"unknown"}': '$default',
      'not json': '$default',
      '{"action":1}': '$default',
    });
  });

  it('routes {"action":1} to the route keyed "1"', async () => {
    // Prepare
    useRoutes(['$default', '1']);
    const client = await connectWebSocket(gateway.url);

    // Act
    client.send({ action: 1 });
    await waitFor(() => recorder.events.length === 1);
    await client.close();

    // Assess
    expect(recorder.events[0]?.requestContext.routeKey).toBe('1');
  });

  it('answers an unmatched message with the Forbidden frame when there is no $default', async () => {
    // Prepare
    useRoutes(['typing']);
    const client = await connectWebSocket(gateway.url);

    // Act
    client.send({ action: 'nope' });
    const frame = await client.nextEvent();
    await client.close();

    // Assess
    expect(frame).toEqual({ message: 'Forbidden', connectionId: expect.any(String), requestId: expect.any(String) });
  });

  it('delivers the exact body with a unique messageId and no headers', async () => {
    // Prepare
    useRoutes();
    const client = await connectWebSocket(gateway.url);
    const body = '{ "action" : "typing",  "data": {"x": "é"} }';

    // Act
    client.send(body);
    client.send(body);
    await waitFor(() => recorder.of('typing').length === 2);
    await client.close();

    // Assess
    const [first, second] = recorder.of('typing');
    expect(first?.body).toBe(body);
    expect(first).not.toHaveProperty('headers');
    expect(first?.requestContext).toMatchObject({ eventType: 'MESSAGE', routeKey: 'typing' });
    expect(first?.requestContext.messageId).toEqual(expect.any(String));
    expect(first?.requestContext.messageId).not.toBe(second?.requestContext.messageId);
  });

  it('sends the Internal server error frame when a handler throws and keeps the socket open', async () => {
    // Prepare
    useRoutes();
    recorder.replies.typing = async () => {
      throw new Error('boom');
    };
    recorder.replies.echo = async (event: WebSocketEvent) => ({ statusCode: 200, body: `echo:${event.body}` });
    const client = await connectWebSocket(gateway.url);

    // Act
    client.send({ action: 'typing' });
    const error = await client.nextEvent();
    client.send({ action: 'echo' });
    const echo = await client.nextEvent();
    await client.close();

    // Assess
    expect(error).toEqual({ message: 'Internal server error', connectionId: expect.any(String), requestId: expect.any(String) });
    expect(echo).toBe('echo:{"action":"echo"}');
  });

  it('returns the reply body only on routes with returnResponse', async () => {
    // Prepare
    useRoutes();
    recorder.replies.typing = async () => ({ statusCode: 200, body: 'must not arrive' });
    recorder.replies.echo = async () => ({ statusCode: 200, body: 'ok' });
    const client = await connectWebSocket(gateway.url);

    // Act
    client.send({ action: 'typing' });
    await waitFor(() => recorder.of('typing').length === 1);
    client.send({ action: 'echo' });
    await client.nextEvent();
    await client.close();

    // Assess
    expect(client.received).toEqual(['ok']);
  });
});

describe('Function: attachConnection', () => {
  it('closes with 1003 on a binary frame and 1009 on a message over 128 KiB', async () => {
    // Prepare
    useRoutes();
    const binary = await connectWebSocket(gateway.url);
    const large = await connectWebSocket(gateway.url);
    const fits = await connectWebSocket(gateway.url);

    // Act
    binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    large.send('x'.repeat(131_073));
    fits.send('x'.repeat(131_072));
    await waitFor(() => recorder.of('$default').length === 1);

    // Assess
    expect((await binary.closed).code).toBe(1003);
    expect((await large.closed).code).toBe(1009);
    expect(fits.ws.readyState).toBe(fits.ws.OPEN);
    await fits.close();
  });

  it('reports the client close code in $disconnect, and 1005 when none was sent', async () => {
    // Prepare
    useRoutes();
    const withCode = await connectWebSocket(gateway.url);
    const withoutCode = await connectWebSocket(gateway.url);

    // Act
    await withCode.close(4000, 'bye');
    await withoutCode.close();
    await waitFor(() => recorder.of('$disconnect').length === 2);

    // Assess
    const codes = recorder.of('$disconnect').map((e) => [e.requestContext.disconnectStatusCode, e.requestContext.disconnectReason]);
    expect(codes).toEqual(expect.arrayContaining([[4000, 'bye'], [1005, 'Client-side close frame status not set']]));
    expect(recorder.of('$disconnect')[0]).toMatchObject({ headers: { 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' }, requestContext: { eventType: 'DISCONNECT' } });
  });

  it('closes an idle connection with 1001 and fires $disconnect; traffic resets the timer', async () => {
    // Prepare (idle timeout is 2 s in this suite)
    useRoutes();
    const idle = await connectWebSocket(gateway.url);
    const busy = await connectWebSocket(gateway.url);
    const keepAlive = setInterval(() => busy.send({ action: 'typing' }), 500);

    // Act
    const closed = await idle.closed;
    await waitFor(() => recorder.of('$disconnect').length === 1);
    clearInterval(keepAlive);

    // Assess
    expect(closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(recorder.of('$disconnect')[0]?.requestContext.disconnectStatusCode).toBe(1001);
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);
    await busy.close();
  });
});

describe('Function: startGateway (paused)', () => {
  it('holds an upgrade until open(), then runs $connect and accepts it', async () => {
    // Prepare
    let opened = false;
    const seenOpen: boolean[] = [];
    const paused = await startGateway({ port: 0, paused: true, log: () => undefined });
    paused.setRoutes({ $connect: async () => (seenOpen.push(opened), { statusCode: 200 }) });

    // Act: the client starts connecting before open(); whenever its request arrives, it must wait.
    const connecting = connectWebSocket(paused.url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    opened = true;
    paused.open();
    const client = await connecting;
    await client.close();
    await paused.close();

    // Assess
    expect(seenOpen).toEqual([true]);
  });

  it('refuses upgrades still waiting when it closes without opening (503)', async () => {
    // Prepare
    const paused = await startGateway({ port: 0, paused: true, log: () => undefined });
    const $connect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    paused.setRoutes({ $connect });

    // Act
    const status = upgradeStatus(paused.url);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await paused.close();

    // Assess
    expect(await status).toBe(503);
    expect($connect).not.toHaveBeenCalled();
  });
});
