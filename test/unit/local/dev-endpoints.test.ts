import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevEndpoints } from '../../../local/dev-endpoints';

const secret = 'dev-endpoints-test-secret-long-enough-for-hs256';

describe('Function: createDevEndpoints', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const devEndpoints = createDevEndpoints({
      secret,
      wsUrl: 'ws://127.0.0.1:3001/local',
      users: [{ userId: 'alice', name: 'Alice' }, { userId: 'bob', name: 'Bob' }],
      tokenTtlSeconds: 600,
    });
    server = createServer(async (req, res) => {
      if (await devEndpoints(req, res)) return;
      res.writeHead(418).end('not mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('lists the demo users', async () => {
    // Act
    const res = await fetch(`${base}/dev/users`);

    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ userId: 'alice', name: 'Alice' }, { userId: 'bob', name: 'Bob' }]);
  });

  it('signs an HS256 token whose subject is the user, with an expiry', async () => {
    // Act
    const res = await fetch(`${base}/dev/token`, { method: 'POST', body: JSON.stringify({ userId: 'bob' }) });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { token: string; userId: string; expiresAt: number };
    expect(body.userId).toBe('bob');
    const { payload, protectedHeader } = await jwtVerify(body.token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('bob');
    expect((payload.exp ?? 0) * 1000).toBe(body.expiresAt);
    expect(body.expiresAt).toBeGreaterThan(Date.now());
  });

  it('refuses a token for a user who is not a demo user', async () => {
    // Act
    const res = await fetch(`${base}/dev/token`, { method: 'POST', body: JSON.stringify({ userId: 'mallory' }) });

    // Assess
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('mallory') } });
  });

  it('refuses a body that is not JSON or has no user id', async () => {
    // Act
    const notJson = await fetch(`${base}/dev/token`, { method: 'POST', body: 'alice' });
    const noUser = await fetch(`${base}/dev/token`, { method: 'POST', body: '{}' });

    // Assess
    expect(notJson.status).toBe(400);
    expect(noUser.status).toBe(400);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    // Act
    const res = await fetch(`${base}/dev/token`);

    // Assess
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('tells the page where to connect, defaulting the HTTP URL to the request origin', async () => {
    // Act
    const res = await fetch(`${base}/dev/config`);

    // Assess
    expect(await res.json()).toEqual({ wsUrl: 'ws://127.0.0.1:3001/local', httpUrl: base });
  });

  it('leaves every other path to the caller', async () => {
    // Act
    const res = await fetch(`${base}/chats`);

    // Assess
    expect(res.status).toBe(418);
  });
});
