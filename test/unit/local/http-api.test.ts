/**
 * The HTTP API emulator on a loopback port, with a fake handler: how
 * requests become payload 2.0 events and how results become responses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpCors, httpRoutes } from '../../../lambdas/system/topology';
import { compileRoute, matchRoute, startHttpApi, type HttpApi } from '../../../local/http-api';
import type { LambdaHandler } from '../../../local/lambda';

const routes = [
  { method: 'GET', path: '/chats' },
  { method: 'POST', path: '/chats/{chatId}/messages' },
  { method: 'DELETE', path: '/chats/{chatId}/participants/{userId}' },
] as const;

describe('Function: startHttpApi', () => {
  let api: HttpApi;
  let webRoot: string;
  const log = vi.fn();
  const handler = vi.fn<LambdaHandler>();
  const extra = vi.fn(async (req: { url?: string }, res: { writeHead: (s: number) => { end: (b: string) => void } }) => {
    if (req.url !== '/dev/token') return false;
    res.writeHead(200).end('token');
    return true;
  });

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'web-'));
    writeFileSync(join(webRoot, 'index.html'), '<h1>demo</h1>');
    api = await startHttpApi({ routes, handler, webRoot, port: 0, log, extraHandlers: [extra as never] });
  });

  afterAll(async () => {
    await api.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  afterEach(() => {
    handler.mockReset();
    log.mockReset();
    api.setHandler(handler);
  });

  const lastEvent = (): APIGatewayProxyEventV2 => handler.mock.calls.at(-1)?.[0] as APIGatewayProxyEventV2;

  it('turns a matched request into a payload 2.0 event with decoded path parameters', async () => {
    // Prepare
    handler.mockResolvedValue({ statusCode: 201, body: '{"ok":true}' });

    // Act
    const response = await fetch(`${api.url}/chats/c%231/messages?after=5&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t', cookie: 'a=1; b=2' },
      body: '{"content":"hi"}',
    });

    // Assess
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    expect(lastEvent()).toMatchObject({
      version: '2.0',
      routeKey: 'POST /chats/{chatId}/messages',
      rawPath: '/chats/c%231/messages',
      rawQueryString: 'after=5&tag=a&tag=b',
      pathParameters: { chatId: 'c#1' },
      queryStringParameters: { after: '5', tag: 'a,b' },
      cookies: ['a=1', 'b=2'],
      body: '{"content":"hi"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/chats/c%231/messages' }, stage: '$default' },
    });
    expect(lastEvent().headers).toMatchObject({ authorization: 'Bearer t', 'x-forwarded-proto': 'http' });
    expect(lastEvent().headers).not.toHaveProperty('cookie');
  });

  it('base64-encodes a binary body', async () => {
    // Prepare
    handler.mockResolvedValue({ statusCode: 204 });

    // Act
    await fetch(`${api.url}/chats/c1/messages`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 255]) });

    // Assess
    expect(lastEvent()).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 255]).toString('base64') });
  });

  it('omits body, query and path parameters when there are none', async () => {
    // Prepare
    handler.mockResolvedValue({ statusCode: 200, body: '[]' });

    // Act
    await fetch(`${api.url}/chats`);

    // Assess
    expect(lastEvent()).not.toHaveProperty('body');
    expect(lastEvent()).not.toHaveProperty('queryStringParameters');
    expect(lastEvent()).not.toHaveProperty('pathParameters');
  });

  it('sends a result without statusCode as a JSON 200 body', async () => {
    // Prepare
    handler.mockResolvedValue({ items: [] });

    // Act
    const response = await fetch(`${api.url}/chats`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ items: [] });
  });

  it('applies the result\'s headers, cookies and base64 body', async () => {
    // Prepare
    handler.mockResolvedValue({
      statusCode: 200,
      headers: { 'Content-Type': 'text/plain', 'X-Count': 3 },
      cookies: ['s=1; HttpOnly'],
      body: Buffer.from('plain text').toString('base64'),
      isBase64Encoded: true,
    });

    // Act
    const response = await fetch(`${api.url}/chats`);

    // Assess
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-count')).toBe('3');
    expect(response.headers.get('set-cookie')).toBe('s=1; HttpOnly');
    expect(await response.text()).toBe('plain text');
  });

  it('answers 500 and logs when the handler fails', async () => {
    // Prepare
    handler.mockRejectedValue(new Error('boom'));

    // Act
    const response = await fetch(`${api.url}/chats`);

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(log).toHaveBeenCalledWith('GET /chats failed', expect.any(Error));
  });

  it('answers 400 for a malformed %-escape in a path parameter, without invoking the handler', async () => {
    // Act
    const response = await fetch(`${api.url}/chats/%E0%A4%A/messages`, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(400);
    expect(handler).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });

  it('answers 404 for a malformed %-escape in a static path', async () => {
    // Act
    const response = await fetch(`${api.url}/%E0%A4%A.html`);

    // Assess
    expect(response.status).toBe(404);
    expect(log).not.toHaveBeenCalled();
  });

  it('does not match a route on another method', async () => {
    // Act
    const response = await fetch(`${api.url}/chats`, { method: 'PATCH' });

    // Assess
    expect(response.status).toBe(404);
    expect(handler).not.toHaveBeenCalled();
  });

  it('tries the extra handlers after the routes and before the static files', async () => {
    // Act
    const response = await fetch(`${api.url}/dev/token`);

    // Assess
    expect(await response.text()).toBe('token');
    expect(handler).not.toHaveBeenCalled();
  });

  it('serves index.html for the web root', async () => {
    // Act
    const response = await fetch(`${api.url}/`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('<h1>demo</h1>');
  });

  it('never serves a file outside the web root, even with encoded dot segments', async () => {
    // Act
    const response = await fetch(`${api.url}/..%2F..%2F..%2Fetc%2Fpasswd`);

    // Assess
    expect(response.status).toBe(404);
  });

  it('answers 503 while no handler is set', async () => {
    // Prepare
    const bare = await startHttpApi({ routes, port: 0, log });

    // Act
    const response = await fetch(`${bare.url}/chats`);
    await bare.close();

    // Assess
    expect(response.status).toBe(503);
  });

  it('answers 504 when the function outlives the integration timeout, 500 when it throws', async () => {
    // Prepare
    const slow = await startHttpApi({ routes, handler: () => new Promise(() => undefined), port: 0, log, timeoutMs: 50 });
    handler.mockRejectedValue(new Error('boom'));

    // Act
    const timedOut = await fetch(`${slow.url}/chats`);
    const failed = await fetch(`${api.url}/chats`);
    await slow.close();

    // Assess
    expect(timedOut.status).toBe(504);
    expect(await timedOut.json()).toEqual({ message: 'Gateway Timeout' });
    expect(failed.status).toBe(500);
  });

  it('answers 404 {"message":"Not Found"} for a path no route, extra handler or file serves, without invoking the handler', async () => {
    // Act
    const response = await fetch(`${api.url}/chats/c1/unknown`, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('Function: startHttpApi (signed routes)', () => {
  it('runs a signed route’s own function only when verify accepts, and answers 403 {message} otherwise', async () => {
    // Prepare
    const handler = vi.fn<LambdaHandler>().mockResolvedValue({ statusCode: 200, body: '{}' });
    const publish = vi.fn<LambdaHandler>().mockResolvedValue({ statusCode: 200, body: '{"ok":true}' });
    const verify = vi.fn(async (req: { headers: Record<string, unknown> }) =>
      req.headers.authorization === 'good' ? ({ ok: true } as const) : ({ ok: false, message: 'Forbidden' } as const),
    );
    const api = await startHttpApi({ routes, handler, port: 0, log: vi.fn(), signedRoutes: { routes: [{ method: 'POST', path: '/publish' }], verify, handler: publish } });

    try {
      // Act
      const refused = await fetch(`${api.url}/publish`, { method: 'POST', body: '{}' });
      const accepted = await fetch(`${api.url}/publish`, { method: 'POST', body: '{"a":1}', headers: { authorization: 'good' } });

      // Assess
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ message: 'Forbidden' });
      expect(accepted.status).toBe(200);
      expect(publish).toHaveBeenCalledTimes(1);
      expect(publish.mock.calls[0]?.[0]).toMatchObject({ routeKey: 'POST /publish', body: '{"a":1}' });
      expect(handler).not.toHaveBeenCalled();
    } finally {
      await api.close();
    }
  });
});

describe('Function: matchRoute', () => {
  const compiled = httpRoutes.map(compileRoute);

  it('selects every topology route by its key, with its path parameters', () => {
    // Act
    const sent = matchRoute(compiled, 'POST', '/chats/c1/messages');
    const edited = matchRoute(compiled, 'PATCH', '/chats/c1/messages/m%2F1');

    // Assess
    expect(sent).toEqual({ route: expect.objectContaining({ routeKey: 'POST /chats/{chatId}/messages' }), pathParameters: { chatId: 'c1' } });
    expect(edited?.pathParameters).toEqual({ chatId: 'c1', messageId: 'm/1' });
    for (const route of httpRoutes) {
      const concrete = route.path.replace(/\{(\w+)\}/g, 'x');
      expect(matchRoute(compiled, route.method, concrete)?.route.routeKey).toBe(route.routeKey);
    }
  });

  it('matches no empty segment, no extra segment and no other method', () => {
    // Act + Assess
    expect(matchRoute(compiled, 'POST', '/chats//messages')).toBeUndefined();
    expect(matchRoute(compiled, 'GET', '/chats/c1/messages/m1/x')).toBeUndefined();
    expect(matchRoute(compiled, 'PUT', '/chats')).toBeUndefined();
  });
});

describe('Function: startHttpApi (CORS and the payload quota)', () => {
  const ALLOWED = 'http://localhost:5173';
  let api: HttpApi;
  const handler = vi.fn<LambdaHandler>();

  beforeAll(async () => {
    api = await startHttpApi({
      routes: httpRoutes,
      handler,
      port: 0,
      log: () => undefined,
      cors: { allowOrigins: [ALLOWED], settings: httpCors },
      maxBodyBytes: 1024,
      extraHandlers: [
        async (req, res) => {
          if (req.url !== '/lettera-client.js') return false;
          res.writeHead(200, { 'content-type': 'text/javascript' }).end('export {}');
          return true;
        },
      ],
    });
  });
  afterAll(() => api.close());
  afterEach(() => handler.mockReset());

  const preflight = (origin: string, path = '/chats/c1/messages') =>
    fetch(`${api.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('answers a preflight from an allowed origin itself (204, methods, headers, max-age), never invoking the function', async () => {
    // Act
    const response = await preflight(ALLOWED);

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toBe(httpCors.allowMethods.join(','));
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-max-age')).toBe(String(httpCors.maxAgeSeconds));
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a preflight from another origin with no CORS headers', async () => {
    // Act
    const response = await preflight('http://evil.example');

    // Assess
    expect(response.status).toBe(204);
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
  });

  it('treats an OPTIONS request without Access-Control-Request-Method as a request (no OPTIONS route: 404)', async () => {
    // Act
    const response = await fetch(`${api.url}/chats`, { method: 'OPTIONS', headers: { origin: ALLOWED } });

    // Assess
    expect(response.status).toBe(404);
  });

  it('gives an allowed origin allow-origin and expose-headers on responses, replacing the function\'s own CORS headers', async () => {
    // Prepare
    handler.mockResolvedValue({ statusCode: 429, headers: { 'retry-after': '3', 'access-control-allow-origin': '*' }, body: '{}' });

    // Act
    const api429 = await fetch(`${api.url}/chats`, { headers: { origin: ALLOWED } });
    const bundle = await fetch(`${api.url}/lettera-client.js`, { headers: { origin: ALLOWED } });
    const other = await fetch(`${api.url}/chats`, { headers: { origin: 'http://evil.example' } });

    // Assess
    expect(api429.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(api429.headers.get('access-control-expose-headers')).toBe('retry-after');
    expect(api429.headers.get('retry-after')).toBe('3');
    expect(bundle.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a body over the quota with 413 without invoking the function, and accepts one at the quota', async () => {
    // Prepare
    handler.mockResolvedValue({ statusCode: 201, body: '{}' });

    // Act
    const over = await fetch(`${api.url}/chats`, { method: 'POST', body: 'x'.repeat(1025) });
    const overBody = await over.json();
    const calledAfterOver = handler.mock.calls.length;
    const at = await fetch(`${api.url}/chats`, { method: 'POST', body: 'x'.repeat(1024) });

    // Assess
    expect(over.status).toBe(413);
    expect(overBody).toEqual({ message: 'Request Entity Too Large' });
    expect(calledAfterOver).toBe(0);
    expect(at.status).toBe(201);
  });

  it('refuses a chunked body (no content-length) once it passes the quota', async () => {
    // Prepare
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i += 1) controller.enqueue(new Uint8Array(512).fill(120));
        controller.close();
      },
    });

    // Act
    const response = await fetch(`${api.url}/chats`, { method: 'POST', body: chunks, duplex: 'half' } as RequestInit);

    // Assess
    expect(response.status).toBe(413);
    expect(handler).not.toHaveBeenCalled();
  });
});
