import { describe, expect, it, vi } from 'vitest';
import { ClientError } from '../../../client/src/errors';
import { connected, open, server, sleep, useScriptedServer } from './harness';

useScriptedServer();

describe('Function: connect', () => {
  it('sends the token as a subprotocol next to lettera.v1', async () => {
    // Prepare
    const socket = open();

    // Act
    await connected(socket);

    // Assess
    const conn = await server.connection(0);
    expect(conn.protocols).toEqual(['lettera.v1', 'token-1']);
    expect(conn.url).toBe('/local');
    expect(socket.connected).toBe(true);
    expect(socket.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('puts the token in the query string when tokenTransport is query', async () => {
    // Prepare
    const socket = open({ tokenTransport: 'query', auth: { token: 'a.b.c' } });

    // Act
    await connected(socket);

    // Assess
    const conn = await server.connection(0);
    expect(conn.url).toBe('/local?token=a.b.c');
    expect(conn.protocols).toEqual(['lettera.v1']);
  });

  it('does not connect before connect() when autoConnect is false', async () => {
    // Prepare
    const socket = open({ autoConnect: false });
    await sleep(30);
    expect(server.handshakes).toHaveLength(0);

    // Act
    socket.connect();
    await connected(socket);

    // Assess
    expect(server.handshakes).toHaveLength(1);
  });

  it('emits connect_error and keeps trying when the upgrade is refused', async () => {
    // Prepare
    let refusals = 2;
    server.accept = () => (refusals-- > 0 ? 401 : true);
    const errors: Error[] = [];

    // Act
    const socket = open({ autoConnect: false });
    socket.on('connect_error', (err) => errors.push(err));
    socket.connect();
    await connected(socket);

    // Assess
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(Error);
    expect(server.handshakes).toHaveLength(3);
  });
});

describe('Method: auth', () => {
  it('calls an auth function again on every reconnect and uses the new token', async () => {
    // Prepare
    let n = 0;
    const auth = vi.fn(async () => ({ token: `token-${++n}` }));
    const socket = open({ auth });
    await connected(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));

    // Act
    (await server.connection(0)).ws.close(1001, 'Going away');
    const second = await server.connection(1);
    await vi.waitFor(() => expect(socket.connected).toBe(true));

    // Assess
    expect(auth).toHaveBeenCalledTimes(2);
    expect(second.protocols).toEqual(['lettera.v1', 'token-2']);
    expect(reasons).toEqual(['io server disconnect']);
  });

  it('accepts the socket.io callback form of auth', async () => {
    // Prepare
    const socket = open({ auth: (cb) => cb({ token: 'from-callback' }) });

    // Act
    await connected(socket);

    // Assess
    expect((await server.connection(0)).protocols).toEqual(['lettera.v1', 'from-callback']);
  });

  it('reports an auth function that throws as connect_error', async () => {
    // Prepare
    let calls = 0;
    const socket = open({
      autoConnect: false,
      auth: () => {
        if (calls++ === 0) throw new Error('refresh failed');
        return { token: 'ok' };
      },
    });
    const errors: string[] = [];
    socket.on('connect_error', (err) => errors.push(err.message));

    // Act
    socket.connect();
    await connected(socket);

    // Assess
    expect(errors).toEqual(['refresh failed']);
  });
});

describe('Method: reconnection', () => {
  it('grows the delay exponentially up to reconnectionDelayMax', async () => {
    // Prepare: jitter at its midpoint (random 0.5) leaves the base delays.
    server.accept = () => 503;
    const delays: number[] = [];
    const socket = open({ autoConnect: false, random: () => 0.5, reconnectionAttempts: 5 });
    socket.on('reconnect_attempt', (_attempt, delay) => delays.push(delay));
    const failed = new Promise<void>((resolve) => socket.once('reconnect_failed', () => resolve()));

    // Act
    socket.connect();
    await failed;

    // Assess
    expect(delays).toEqual([10, 20, 40, 40, 40]);
    expect(server.handshakes).toHaveLength(6);
    expect(socket.active).toBe(false);
  });

  it('keeps each jittered delay within randomizationFactor of its base', async () => {
    // Prepare: random 0 and ~1 are the two extremes of the ±50% jitter.
    server.accept = () => 503;
    const randoms = [0, 0.999, 0, 0.999];
    const delays: number[] = [];
    const socket = open({
      autoConnect: false,
      reconnectionDelay: 100,
      reconnectionDelayMax: 10_000,
      random: () => randoms.shift() ?? 0.5,
      reconnectionAttempts: 2,
    });
    socket.on('reconnect_attempt', (_attempt, delay) => delays.push(delay));
    const failed = new Promise<void>((resolve) => socket.once('reconnect_failed', () => resolve()));

    // Act
    socket.connect();
    await failed;

    // Assess
    expect(delays[0]).toBe(50);
    expect(delays[1]).toBeGreaterThanOrEqual(299);
    expect(delays[1]).toBeLessThanOrEqual(300);
  });

  it('does not reconnect after disconnect()', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    const conn = await server.connection(0);

    // Act
    socket.disconnect();
    await vi.waitFor(() => expect(conn.closed).toBe(true));
    await sleep(60); // several reconnectionDelays

    // Assess
    expect(reasons).toEqual(['io client disconnect']);
    expect(server.handshakes).toHaveLength(1);
    expect(socket.connected).toBe(false);
    expect(socket.active).toBe(false);
    expect(socket.id).toBeUndefined();
  });

  it('reports a dropped connection as transport close and reconnects', async () => {
    // Prepare
    const socket = open();
    await connected(socket);
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));

    // Act
    (await server.connection(0)).ws.terminate();
    await server.connection(1);
    await vi.waitFor(() => expect(socket.connected).toBe(true));

    // Assess
    expect(reasons).toEqual(['transport close']);
  });
});

describe('Method: keepalive', () => {
  it('sends a ping action with a ping: ackId and swallows its ack', async () => {
    // Prepare
    const socket = open({ keepaliveInterval: 20 });
    await connected(socket);
    const conn = await server.connection(0);
    const errors = vi.fn();
    socket.on('error', errors);

    // Act
    const ping = await conn.frame((f) => f.action === 'ping');
    conn.ack(ping.ackId, {});
    conn.send({ event: 'pong' });
    await sleep(20);

    // Assess
    expect(ping).toEqual({ action: 'ping', ackId: 'ping:1' });
    expect(errors).not.toHaveBeenCalled();
    expect(socket.connected).toBe(true);
  });
});

describe('Method: renewal before the 2-hour cap', () => {
  it('opens the new connection before closing the old one and loses or repeats nothing', async () => {
    // Prepare
    let n = 0;
    const socket = open({ maxConnectionAge: 150, connectionOverlap: 50, auth: () => ({ token: `t${++n}` }) });
    await connected(socket);
    const first = await server.connection(0);
    const disconnects = vi.fn();
    socket.on('disconnect', disconnects);
    const contents: string[] = [];
    socket.on('message:new', (msg) => contents.push(msg.content));
    const msg = (id: string) => ({ messageId: id, chatId: 'c1', senderId: 'u2', content: id, timestamp: 't' });

    // Act: during the overlap both connections get the same broadcast.
    const second = await server.connection(1);
    expect(first.closed).toBe(false);
    first.event('message:new', msg('M1'), 'e1', 1);
    second.event('message:new', msg('M1'), 'e1', 1);
    await vi.waitFor(() => expect(first.closed).toBe(true));
    socket.emit('message:send', { chatId: 'c1', content: 'after' });
    second.event('message:new', msg('M2'), 'e2', 2);
    await vi.waitFor(() => expect(contents).toContain('M2'));

    // Assess
    expect(contents).toEqual(['M1', 'M2']);
    expect(second.protocols).toEqual(['lettera.v1', 't2']);
    expect(disconnects).not.toHaveBeenCalled();
    expect(socket.connected).toBe(true);
    // Later renewals may have happened meanwhile; the send went out on a newer connection.
    await vi.waitFor(() => expect(server.connections.slice(1).flatMap((c) => c.frames).map((f) => f.action)).toContain('message:send'));
    expect(first.frames.filter((f) => f.action === 'message:send')).toHaveLength(0);
  });
});

describe('Method: disconnect during the auth function', () => {
  it('opens one connection when connect() follows disconnect() while auth is pending', async () => {
    // Prepare
    let release: (() => void) | undefined;
    const socket = open({
      autoConnect: false,
      auth: () => new Promise((resolve) => (release = () => resolve({ token: 'slow' }))),
    });
    socket.connect();
    const firstRelease = release;

    // Act
    socket.disconnect();
    socket.connect();
    firstRelease?.();
    release?.();
    await connected(socket);
    await sleep(30);

    // Assess
    expect(server.handshakes).toHaveLength(1);
  });
});

describe('Method: token lifetime', () => {
  const jwt = (expMs: number, n: number): string => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'HS256' })}.${part({ sub: 'alice', exp: Math.floor(expMs / 1000), n })}.sig`;
  };

  it("replaces the connection before the JWT's exp with a fresher token from auth", async () => {
    // Prepare: the token expires 1.5 s from now; with a 1 s margin the renewal comes at the 1 s floor.
    let n = 0;
    const auth = vi.fn(() => ({ token: jwt(Date.now() + 1_500 + n * 3_600_000, ++n) }));
    const socket = open({ auth, tokenRenewalMargin: 1_000, connectionOverlap: 10 });
    await connected(socket);
    const first = await server.connection(0);
    const disconnects = vi.fn();
    socket.on('disconnect', disconnects);

    // Act
    const second = await server.connection(1);
    await vi.waitFor(() => expect(first.closed).toBe(true));

    // Assess
    expect(auth).toHaveBeenCalledTimes(2);
    expect(second.protocols[1]).not.toBe(first.protocols[1]);
    expect(disconnects).not.toHaveBeenCalled();
    expect(socket.connected).toBe(true);
  });

  it('tells the app with connect_error TOKEN_EXPIRED when auth gives no fresher token, and keeps the connection', async () => {
    // Prepare
    const token = jwt(Date.now() + 1_500, 1);
    const socket = open({ auth: { token }, tokenRenewalMargin: 1_000 });
    await connected(socket);

    // Act
    const error = await new Promise<ClientError>((resolve) => socket.on('connect_error', (err) => resolve(err as ClientError)));

    // Assess
    expect(error).toBeInstanceOf(ClientError);
    expect(error.code).toBe('TOKEN_EXPIRED');
    expect(server.handshakes).toHaveLength(1);
    expect(socket.connected).toBe(true);
  });

  it('reconnects with a fresh token after the server closes with the TOKEN_EXPIRED error frame', async () => {
    // Prepare
    let n = 0;
    const socket = open({ auth: () => ({ token: jwt(Date.now() + 3_600_000, ++n) }) });
    await connected(socket);
    const first = await server.connection(0);
    const errors: unknown[] = [];
    socket.on('error', (data) => errors.push(data));

    // Act: what API Gateway does at exp: the error frame, then DeleteConnection.
    first.send({ event: 'error', data: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' } });
    first.ws.close(1000);
    const second = await server.connection(1);
    await connected(socket);

    // Assess
    expect(errors).toEqual([{ code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' }]);
    expect(second.protocols[1]).not.toBe(first.protocols[1]);
  });

  it('does not dial with an expired JWT from auth: connect_error TOKEN_EXPIRED, then the next token', async () => {
    // Prepare
    let calls = 0;
    const socket = open({
      autoConnect: false,
      auth: () => ({ token: jwt(calls++ === 0 ? Date.now() - 10_000 : Date.now() + 3_600_000, calls) }),
    });
    const codes: string[] = [];
    socket.on('connect_error', (err) => codes.push((err as ClientError).code));

    // Act
    socket.connect();
    await connected(socket);

    // Assess
    expect(codes).toEqual(['TOKEN_EXPIRED']);
    expect(server.handshakes).toHaveLength(1);
  });
});
