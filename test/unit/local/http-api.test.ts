/**
 * The HTTP API emulator on a loopback port, with a fake handler: how
 * requests become payload 2.0 events and how results become responses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHttpApi, type HttpApi } from '../../../local/http-api';
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
});
