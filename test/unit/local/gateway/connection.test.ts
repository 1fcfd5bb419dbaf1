/**
 * attachConnection over a fake socket (an EventEmitter with send/close), so
 * routing, responses, frame rules, timers and $disconnect are pinned
 * without a network. test/integration/gateway.test.ts drives the same code
 * with a real ws client.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachConnection, closeConnection, GOING_AWAY, sendToConnection } from '../../../../local/gateway/connection';
import { ConnectionPool } from '../../../../local/gateway/pool';
import type { GatewayState, RouteHandlers } from '../../../../local/gateway/state';
import type { LambdaHandler } from '../../../../local/lambda';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: { data: string | Buffer; binary: boolean }[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  send(data: string | Buffer, options: { binary: boolean }): void {
    this.sent.push({ data, binary: options.binary });
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.readyState = 2;
  }
  /** What the peer's close frame (or the end of the TCP stream) looks like to ws. */
  closed(code: number, reason = ''): void {
    this.readyState = 3;
    this.emit('close', code, Buffer.from(reason));
  }
  frames(): string[] {
    return this.sent.map((entry) => String(entry.data));
  }
}

function createState(routes: RouteHandlers, returnResponse: string[] = []) {
  const log = vi.fn();
  const state: GatewayState = {
    api: { stage: 'local', domainName: '127.0.0.1:3001', apiId: 'local' },
    pool: new ConnectionPool(),
    wss: {} as WebSocketServer,
    routes,
    returnResponseRoutes: new Set(returnResponse),
    selectionExpression: '$request.body.action',
    integrationTimeoutMs: 29_000,
    idleTimeoutMs: 600_000,
    maxLifetimeMs: 7_200_000,
    acceptedProtocols: new WeakMap(),
    inflight: new Set(),
    accepting: Promise.resolve(),
    closing: false,
    postFaults: new Map(),
    metrics: { connectsAccepted: 0, disconnectsFired: 0, posts: { http: 0, channel: 0 } },
    log,
  };
  return { state, log };
}

function attach(state: GatewayState) {
  const socket = new FakeSocket();
  const connection = attachConnection(state, socket as unknown as WebSocket, {
    connectionId: 'conn-1=',
    connectedAt: 1_764_201_600_000,
    identity: { sourceIp: '127.0.0.1' },
  });
  return { socket, connection };
}

/** Waits for every handler invocation the gateway is tracking. */
async function settled(state: GatewayState): Promise<void> {
  while (state.inflight.size > 0) await Promise.allSettled([...state.inflight]);
}

describe('Function: attachConnection', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('registers the connection in the pool', () => {
    // Prepare
    const { state } = createState({});

    // Act
    const { connection } = attach(state);

    // Assess
    expect(state.pool.get('conn-1=')).toBe(connection);
  });

  it('routes a frame by its action and returns the body on a route with a route response', async () => {
    // Prepare
    const send = vi.fn<LambdaHandler>(async () => ({ statusCode: 200, body: { event: 'ack', ackId: 1 } }));
    const { state } = createState({ 'message:send': send, $default: vi.fn(async () => ({})) }, ['message:send']);
    const { socket } = attach(state);

    // Act
    socket.emit('message', Buffer.from('{"action":"message:send","ackId":1}'), false);
    await settled(state);

    // Assess
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0]).toMatchObject({
      body: '{"action":"message:send","ackId":1}',
      requestContext: { routeKey: 'message:send', eventType: 'MESSAGE', connectionId: 'conn-1=' },
    });
    expect(socket.frames()).toEqual(['{"event":"ack","ackId":1}']);
  });

  it('does not return the body of a route without a route response', async () => {
    // Prepare
    const { state } = createState({ typing: vi.fn(async () => ({ statusCode: 200, body: 'hidden' })) });
    const { socket } = attach(state);

    // Act
    socket.emit('message', Buffer.from('{"action":"typing"}'), false);
    await settled(state);

    // Assess
    expect(socket.sent).toEqual([]);
  });

  it('sends a frame with no matching route and no $default API Gateway\'s Forbidden message', async () => {
    // Prepare
    const { state } = createState({});
    const { socket } = attach(state);

    // Act
    socket.emit('message', Buffer.from('{"action":"nope"}'), false);
    await settled(state);

    // Assess
    expect(JSON.parse(socket.frames()[0] ?? '{}')).toMatchObject({ message: 'Forbidden', connectionId: 'conn-1=' });
  });

  it('answers a failing handler with "Internal server error" and logs the failure', async () => {
    // Prepare
    const { state, log } = createState({ $default: vi.fn(async () => Promise.reject(new Error('boom'))) }, ['$default']);
    const { socket } = attach(state);

    // Act
    socket.emit('message', Buffer.from('not json'), false);
    await settled(state);

    // Assess
    expect(JSON.parse(socket.frames()[0] ?? '{}')).toMatchObject({ message: 'Internal server error', connectionId: 'conn-1=' });
    expect(log).toHaveBeenCalledWith('route $default failed', expect.any(Error));
  });

  it('closes with 1003 on a binary frame without invoking any route', async () => {
    // Prepare
    const $default = vi.fn<LambdaHandler>(async () => ({}));
    const { state } = createState({ $default });
    const { socket } = attach(state);

    // Act
    socket.emit('message', Buffer.from([0xff, 0x00]), true);
    await settled(state);

    // Assess
    expect(socket.closes).toEqual([{ code: 1003, reason: 'Binary frames are not supported' }]);
    expect($default).not.toHaveBeenCalled();
  });

  it('closes an idle connection with 1001 Going away and reports that code to $disconnect', async () => {
    // Prepare
    vi.useFakeTimers();
    const $disconnect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state } = createState({ $disconnect });
    const { socket } = attach(state);

    // Act
    vi.advanceTimersByTime(state.idleTimeoutMs);
    socket.closed(1006);
    await settled(state);

    // Assess
    expect(socket.closes).toEqual([GOING_AWAY]);
    expect($disconnect.mock.calls[0]?.[0]).toMatchObject({
      requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 1001, disconnectReason: 'Going away' },
    });
  });

  it('resets the idle timer on every frame', () => {
    // Prepare
    vi.useFakeTimers();
    const { state } = createState({ $default: vi.fn(async () => ({})) });
    const { socket } = attach(state);

    // Act
    vi.advanceTimersByTime(state.idleTimeoutMs - 1);
    socket.emit('message', Buffer.from('{}'), false);
    vi.advanceTimersByTime(state.idleTimeoutMs - 1);

    // Assess
    expect(socket.closes).toEqual([]);
  });

  it('closes at the maximum lifetime even when busy', () => {
    // Prepare
    vi.useFakeTimers();
    const { state } = createState({ $default: vi.fn(async () => ({})) });
    const { socket, connection } = attach(state);

    // Act
    for (let elapsed = 0; elapsed < state.maxLifetimeMs; elapsed += 60_000) {
      sendToConnection(connection, 'keep-alive');
      vi.advanceTimersByTime(60_000);
    }

    // Assess
    expect(socket.closes).toEqual([GOING_AWAY]);
  });

  it('on close: leaves the pool and fires $disconnect with the client\'s code and reason', async () => {
    // Prepare
    const $disconnect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state } = createState({ $disconnect });
    const { socket } = attach(state);

    // Act
    socket.closed(1000, 'bye');
    await settled(state);

    // Assess
    expect(state.pool.get('conn-1=')).toBeUndefined();
    expect($disconnect.mock.calls[0]?.[0]).toMatchObject({ requestContext: { disconnectStatusCode: 1000, disconnectReason: 'bye' } });
  });

  it('fires no $disconnect for a connection that vanished', async () => {
    // Prepare
    const $disconnect = vi.fn<LambdaHandler>(async () => ({ statusCode: 200 }));
    const { state } = createState({ $disconnect });
    const { socket } = attach(state);
    (socket as unknown as { terminate: () => void }).terminate = () => socket.closed(1006);

    // Act
    state.pool.vanish('conn-1=');
    await settled(state);

    // Assess
    expect($disconnect).not.toHaveBeenCalled();
  });

  it('logs, and does not throw, when $disconnect fails', async () => {
    // Prepare
    const { state, log } = createState({ $disconnect: vi.fn(async () => Promise.reject(new Error('ddb down'))) });
    const { socket } = attach(state);

    // Act
    socket.closed(1000);
    await settled(state);

    // Assess
    expect(log).toHaveBeenCalledWith('$disconnect failed', expect.any(Error));
  });
});

describe('Function: sendToConnection', () => {
  it('sends text by default and binary when asked, counting both as activity', () => {
    // Prepare
    const socket = new FakeSocket();
    const touch = vi.fn();
    const connection = { connectionId: 'c', socket: socket as unknown as WebSocket, connectedAt: 0, lastActiveAt: 0, identity: { sourceIp: '' }, suppressDisconnect: false, touch };

    // Act
    sendToConnection(connection, 'text');
    sendToConnection(connection, Buffer.from([1, 2]), true);

    // Assess
    expect(socket.sent.map((entry) => entry.binary)).toEqual([false, true]);
    expect(touch).toHaveBeenCalledTimes(2);
  });
});

describe('Function: closeConnection', () => {
  it('closes normally (1000) unless told otherwise', () => {
    // Prepare
    const socket = new FakeSocket();
    const connection = { connectionId: 'c', socket: socket as unknown as WebSocket, connectedAt: 0, lastActiveAt: 0, identity: { sourceIp: '' }, suppressDisconnect: false, touch: () => undefined };

    // Act
    closeConnection(connection);

    // Assess
    expect(socket.closes).toEqual([{ code: 1000, reason: 'Connection closed by server' }]);
  });
});
