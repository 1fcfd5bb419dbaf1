/**
 * handleConnectionsApi behind a throwaway loopback HTTP server, with a pool
 * of fake sockets. test/integration/connections-api.test.ts checks the same
 * API through the real ApiGatewayManagementApiClient.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleConnectionsApi, MAX_POST_BYTES, parseConnectionsPath } from '../../../../local/gateway/connections-api';
import { fakeConnection, fakeGatewayState, FakeSocket } from '../../../helpers/gateway-fakes';

describe('Function: parseConnectionsPath', () => {
  it.each([
    ['/local/@connections/abc%3D', { stage: 'local', connectionId: 'abc=' }],
    ['/local/%40connections/abc', { stage: 'local', connectionId: 'abc' }],
    ['/@connections/abc', { connectionId: 'abc' }],
    ['/local/@connections/a%2Bb%2Fc%3D/', { stage: 'local', connectionId: 'a+b/c=' }],
    ['/local/@connections/abc?x=1', { stage: 'local', connectionId: 'abc' }],
  ])('parses %s', (url, expected) => {
    // Act + Assess
    expect(parseConnectionsPath(url)).toEqual(expected);
  });

  it.each(['/', '/local/connections/abc', '/local/@connections/', '/a/b/@connections/abc', '/local/@connections/%E0%A4%A'])(
    'returns undefined for %s',
    (url) => {
      // Act + Assess
      expect(parseConnectionsPath(url)).toBeUndefined();
    },
  );
});

describe('Function: handleConnectionsApi', () => {
  const state = fakeGatewayState();
  const { pool } = state;
  let server: Server;
  let base: string;
  let socket: FakeSocket;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void handleConnectionsApi(state, req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    for (const id of pool.ids()) pool.remove(id);
    socket = new FakeSocket();
    pool.add(fakeConnection(socket));
  });

  const url = (id: string, stage = 'local') => `${base}/${stage}/@connections/${encodeURIComponent(id)}`;

  it('POST delivers UTF-8 bytes as a text frame and answers 200', async () => {
    // Act
    const response = await fetch(url('conn-1='), { method: 'POST', body: '{"event":"message:new","data":"héllo"}' });

    // Assess
    expect(response.status).toBe(200);
    expect(socket.sent).toHaveLength(1);
    expect(socket.sent[0]?.binary).toBe(false);
    expect(socket.sent[0]?.data.toString('utf8')).toBe('{"event":"message:new","data":"héllo"}');
  });

  it('POST delivers bytes that are not UTF-8 as a binary frame', async () => {
    // Act
    await fetch(url('conn-1='), { method: 'POST', body: new Uint8Array([0xff, 0xfe, 0x00]) });

    // Assess
    expect(socket.sent[0]?.binary).toBe(true);
  });

  it('answers 410 GoneException with an empty body for an unknown or closing connection', async () => {
    // Act
    const unknown = await fetch(url('nope'), { method: 'POST', body: 'x' });
    socket.readyState = 2;
    const closing = await fetch(url('conn-1='), { method: 'POST', body: 'x' });

    // Assess
    for (const response of [unknown, closing]) {
      expect(response.status).toBe(410);
      expect(response.headers.get('x-amzn-ErrorType')).toBe('GoneException');
      expect(await response.text()).toBe('');
    }
    expect(socket.sent).toEqual([]);
  });

  it('answers 413 PayloadTooLargeException one byte over the limit, sending nothing', async () => {
    // Act
    const response = await fetch(url('conn-1='), { method: 'POST', body: 'a'.repeat(MAX_POST_BYTES + 1) });

    // Assess
    expect(response.status).toBe(413);
    expect(response.headers.get('x-amzn-ErrorType')).toBe('PayloadTooLargeException');
    expect(socket.sent).toEqual([]);
  });

  it('answers 403 ForbiddenException for another stage', async () => {
    // Act
    const response = await fetch(url('conn-1=', 'prod'), { method: 'POST', body: 'x' });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-ErrorType')).toBe('ForbiddenException');
  });

  it('GET describes the connection with ISO times', async () => {
    // Act
    const response = await fetch(url('conn-1='));

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      connectedAt: '2026-11-27T00:00:00.000Z',
      lastActiveAt: '2026-11-27T00:01:00.000Z',
      identity: { sourceIp: '127.0.0.1', userAgent: 'vitest' },
    });
  });

  it('DELETE answers 204, makes the connection gone at once and closes its socket', async () => {
    // Act
    const first = await fetch(url('conn-1='), { method: 'DELETE' });
    const second = await fetch(url('conn-1='), { method: 'DELETE' });

    // Assess
    expect(first.status).toBe(204);
    expect(socket.close).toHaveBeenCalledTimes(1);
    expect(pool.get('conn-1=')).toBeUndefined();
    expect(second.status).toBe(410);
  });

  it('answers 405 for another method', async () => {
    // Act
    const response = await fetch(url('conn-1='), { method: 'PUT', body: 'x' });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('x-amzn-ErrorType')).toBe('MethodNotAllowedException');
  });

  it('leaves other paths to the caller', async () => {
    // Act
    const response = await fetch(`${base}/local/other`);

    // Assess
    expect(response.status).toBe(404);
  });
});
