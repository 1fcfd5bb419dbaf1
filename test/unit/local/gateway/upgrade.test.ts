/**
 * handleUpgrade with a fake request and socket. The happy path, a 403 from
 * $connect, a throwing $connect and the subprotocol echo are driven with a
 * real ws client in test/integration/gateway.test.ts; this pins the
 * refusals before $connect, a $connect without statusCode, and a client
 * that leaves while $connect runs.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { ConnectionPool } from '../../../../local/gateway/pool';
import type { GatewayState, RouteHandlers } from '../../../../local/gateway/state';
import { handleUpgrade } from '../../../../local/gateway/upgrade';
import type { LambdaHandler } from '../../../../local/lambda';

class FakeSocket extends EventEmitter {
  destroyed = false;
  readable = true;
  writable = true;
  written = '';
  end(text: string): void {
    this.written += text;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

function createState(routes: RouteHandlers) {
  const handleUpgradeSpy = vi.fn();
  const log = vi.fn();
  const state = {
    api: { stage: 'local', domainName: '127.0.0.1:3001', apiId: 'local' },
    pool: new ConnectionPool(),
    wss: { handleUpgrade: handleUpgradeSpy } as unknown as WebSocketServer,
    routes,
    returnResponseRoutes: new Set<string>(),
    selectionExpression: '$request.body.action',
    integrationTimeoutMs: 29_000,
    idleTimeoutMs: 600_000,
    maxLifetimeMs: 7_200_000,
    acceptedProtocols: new WeakMap<object, string>(),
    inflight: new Set<Promise<unknown>>(),
    accepting: Promise.resolve(),
    closing: false,
    postFaults: new Map(),
    metrics: { connectsAccepted: 0, disconnectsFired: 0, posts: { http: 0, channel: 0 } },
    log,
  } satisfies GatewayState;
  return { state, handleUpgradeSpy, log };
}

function upgradeRequest(url = '/local?token=t', headers: Record<string, string> = {}): IncomingMessage {
  const all = { host: '127.0.0.1:3001', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers };
  return {
    url,
    headers: all,
    rawHeaders: Object.entries(all).flat(),
    socket: { remoteAddress: '::ffff:127.0.0.1', localPort: 3001 },
  } as unknown as IncomingMessage;
}

const statusLine = (socket: FakeSocket): string => socket.written.split('\r\n')[0] ?? '';

describe('Function: handleUpgrade', () => {
  it('refuses a path other than the stage with 403, without running $connect', async () => {
    // Prepare
    const $connect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state } = createState({ $connect });
    const socket = new FakeSocket();

    // Act
    await handleUpgrade(state, upgradeRequest('/prod'), socket as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(statusLine(socket)).toBe('HTTP/1.1 403 Forbidden');
    expect(socket.destroyed).toBe(true);
    expect($connect).not.toHaveBeenCalled();
  });

  it('accepts the stage path with a trailing slash', async () => {
    // Prepare
    const { state, handleUpgradeSpy } = createState({});

    // Act
    await handleUpgrade(state, upgradeRequest('/local/'), new FakeSocket() as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(handleUpgradeSpy).toHaveBeenCalledTimes(1);
  });

  it('refuses a request that is not a WebSocket upgrade with 400', async () => {
    // Prepare
    const { state } = createState({});
    const socket = new FakeSocket();

    // Act
    await handleUpgrade(state, upgradeRequest('/local', { upgrade: 'h2c' }), socket as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(statusLine(socket)).toBe('HTTP/1.1 400 Bad Request');
  });

  it('refuses with the status and body $connect returned, never adding the connection', async () => {
    // Prepare
    const { state, handleUpgradeSpy } = createState({ $connect: vi.fn(async () => ({ statusCode: 401, body: '{"message":"Unauthorized"}' })) });
    const socket = new FakeSocket();

    // Act
    await handleUpgrade(state, upgradeRequest(), socket as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(statusLine(socket)).toBe('HTTP/1.1 401 Unauthorized');
    expect(socket.written.endsWith('\r\n\r\n{"message":"Unauthorized"}')).toBe(true);
    expect(socket.written).toContain('Content-Length: 26');
    expect(handleUpgradeSpy).not.toHaveBeenCalled();
    expect(state.pool.size).toBe(0);
  });

  it.each([
    ['no result', undefined],
    ['no statusCode', { body: 'ok' }],
    ['a status outside 100-599', { statusCode: 700 }],
    ['a non-numeric status', { statusCode: 'fine' }],
  ])('refuses with 502 when $connect returns %s', async (_label, result) => {
    // Prepare
    const { state, log } = createState({ $connect: vi.fn(async () => result) });
    const socket = new FakeSocket();

    // Act
    await handleUpgrade(state, upgradeRequest(), socket as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(statusLine(socket)).toBe('HTTP/1.1 502 Bad Gateway');
    expect(log).toHaveBeenCalledWith('$connect returned no statusCode; refusing with 502');
  });

  it('passes the CONNECT event to $connect with the client\'s address and query', async () => {
    // Prepare
    const $connect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state } = createState({ $connect });

    // Act
    await handleUpgrade(state, upgradeRequest('/local?token=abc'), new FakeSocket() as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect($connect.mock.calls[0]?.[0]).toMatchObject({
      queryStringParameters: { token: 'abc' },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', identity: { sourceIp: '127.0.0.1' } },
    });
  });

  it('completes the upgrade after a 2xx and remembers the subprotocol $connect chose', async () => {
    // Prepare
    const { state, handleUpgradeSpy } = createState({
      $connect: vi.fn(async () => ({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'lettera.v1' } })),
    });
    const req = upgradeRequest('/local', { 'sec-websocket-protocol': 'lettera.v1, jwt' });

    // Act
    await handleUpgrade(state, req, new FakeSocket() as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(handleUpgradeSpy).toHaveBeenCalledWith(req, expect.anything(), expect.any(Buffer), expect.any(Function));
    expect(state.acceptedProtocols.get(req)).toBe('lettera.v1');
  });

  it('reports a client that left while $connect ran to $disconnect (1006) instead of upgrading', async () => {
    // Prepare
    const socket = new FakeSocket();
    const $disconnect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state, handleUpgradeSpy } = createState({
      $connect: vi.fn(async () => {
        socket.destroyed = true;
        return { statusCode: 200 };
      }),
      $disconnect,
    });

    // Act
    await handleUpgrade(state, upgradeRequest(), socket as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(handleUpgradeSpy).not.toHaveBeenCalled();
    expect($disconnect.mock.calls[0]?.[0]).toMatchObject({
      requestContext: { routeKey: '$disconnect', disconnectStatusCode: 1006, disconnectReason: 'Connection lost during $connect' },
    });
  });

  it('reports a client that half-closed (FIN) while $connect ran: the socket is not destroyed but no longer readable', async () => {
    // Prepare
    const socket = new FakeSocket();
    const $disconnect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state, handleUpgradeSpy } = createState({
      $connect: vi.fn(async () => {
        socket.readable = false;
        return { statusCode: 200 };
      }),
      $disconnect,
    });

    // Act
    await handleUpgrade(state, upgradeRequest(), socket as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(handleUpgradeSpy).not.toHaveBeenCalled();
    expect(socket.destroyed).toBe(true);
    expect($disconnect).toHaveBeenCalledTimes(1);
    expect(state.metrics).toMatchObject({ connectsAccepted: 1, disconnectsFired: 1 });
  });

  it('reports a connection ws declined to upgrade after $connect accepted it', async () => {
    // Prepare: ws refuses (a socket that closed meanwhile, a bad version) by never calling back.
    const $disconnect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state, handleUpgradeSpy } = createState({ $connect: vi.fn(async () => ({ statusCode: 200 })), $disconnect });

    // Act
    await handleUpgrade(state, upgradeRequest(), new FakeSocket() as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(handleUpgradeSpy).toHaveBeenCalledTimes(1);
    expect($disconnect.mock.calls[0]?.[0]).toMatchObject({ requestContext: { routeKey: '$disconnect', disconnectStatusCode: 1006 } });
    expect(state.metrics).toMatchObject({ connectsAccepted: 1, disconnectsFired: 1 });
  });

  it('counts no $connect and fires no $disconnect for a refused upgrade', async () => {
    // Prepare
    const $disconnect = vi.fn<LambdaHandler>();
    const { state } = createState({ $connect: vi.fn(async () => ({ statusCode: 401 })), $disconnect });

    // Act
    await handleUpgrade(state, upgradeRequest(), new FakeSocket() as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect($disconnect).not.toHaveBeenCalled();
    expect(state.metrics).toMatchObject({ connectsAccepted: 0, disconnectsFired: 0 });
  });

  it('upgrades without $connect, which is optional', async () => {
    // Prepare
    const { state, handleUpgradeSpy } = createState({});

    // Act
    await handleUpgrade(state, upgradeRequest(), new FakeSocket() as unknown as Duplex, Buffer.alloc(0));

    // Assess
    expect(handleUpgradeSpy).toHaveBeenCalledTimes(1);
  });
});
