/**
 * Presence that scales (issue 11, item 5) and presence states (issue 14,
 * item 2) on the local runtime: presence asked over HTTP, the JSON protocol
 * and Socket.IO, refused without leaking anyone; chats above
 * presenceBroadcastMaxMembers (30 here) broadcast no presence; a small login
 * burst settles (the big one is in `npm run bench`); user:status set over
 * every path, refused with a code on bad input, and user:offline's lastSeenAt.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket, isEvent, useTestRuntime, waitFor, type Frame, type TestSocket } from '../helpers/local-runtime';

const MAX_MEMBERS = 30;
const ENV_NAME = 'PRESENCE_BROADCAST_MAX_MEMBERS';
let previous: string | undefined;
beforeAll(() => {
  // The handler workers copy this process's environment when the runtime starts (next hook).
  previous = process.env[ENV_NAME];
  process.env[ENV_NAME] = String(MAX_MEMBERS);
});
const suite = useTestRuntime('presence');
beforeAll(() => {
  if (previous === undefined) delete process.env[ENV_NAME];
  else process.env[ENV_NAME] = previous;
});

const ioSockets: Socket[] = [];
afterAll(() => {
  for (const socket of ioSockets) socket.disconnect();
});

function connectIo(token: string): Promise<Socket> {
  const url = new URL(suite.runtime().wsUrl);
  const socket = io(url.origin, { path: url.pathname, addTrailingSlash: false, transports: ['websocket'], auth: { token }, reconnection: false });
  ioSockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

let ackIds = 0;
/** Sends presence:query over the JSON protocol and resolves with its ack frame. */
async function queryOverJson(socket: TestSocket, data: unknown): Promise<Frame> {
  const ackId = `p${++ackIds}`;
  socket.send({ action: 'presence:query', data, ackId });
  return socket.nextEvent((frame) => frame?.event === 'ack' && frame.ackId === ackId, 10_000);
}

/** Fillers up to `size` participants with the given users. */
const withFillers = (users: string[], size: number): string[] => [...users, ...Array.from({ length: size - users.length }, (_, i) => suite.user(`filler${i}`))];

describe('Presence queries on the local runtime', { timeout: 60_000 }, () => {
  it('answers online, offline with lastSeenAt, and never seen, the same over HTTP, JSON and Socket.IO', async () => {
    // Prepare
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((name) => suite.user(name)) as [string, string, string, string];
    await suite.createChat(alice, [bob, carol, dave]);
    await suite.connect(bob);
    const carolWs = await suite.connect(carol);
    const carolLeftAt = Date.now();
    await carolWs.close();
    const aliceWs = await suite.connect(alice);
    const aliceIo = await connectIo(await suite.runtime().token(alice));
    const expected = {
      users: [
        { userId: bob, online: true, state: 'online' },
        { userId: carol, online: false, lastSeenAt: expect.any(String) },
        { userId: dave, online: false },
      ],
    };
    // Carol's $disconnect is asynchronous: wait until her row says so.
    await waitFor(async () => (await suite.api(alice, 'GET', `/presence?userIds=${carol}`)).json?.users?.[0]?.online === false, 10_000);

    // Act
    const overHttp = await suite.api(alice, 'GET', `/presence?userIds=${bob},${carol},${dave},${bob}`);
    const overJson = await queryOverJson(aliceWs, { userIds: [bob, carol, dave] });
    const overIo = await aliceIo.emitWithAck('presence:query', { userIds: [bob, carol, dave] });

    // Assess
    expect(overHttp.status).toBe(200);
    expect(overHttp.json).toEqual(expected);
    expect(Date.parse(overHttp.json.users[1].lastSeenAt)).toBeGreaterThanOrEqual(carolLeftAt - 1000);
    expect(overJson).toMatchObject({ event: 'ack', data: overHttp.json });
    expect(overIo).toEqual({ data: overHttp.json });
  });

  it('refuses a user without a shared chat (403), too many users or a bad id (400), naming nobody, over every protocol', async () => {
    // Prepare
    const [alice, bob, mallory] = ['alice', 'bob', 'mallory'].map((name) => suite.user(name)) as [string, string, string];
    await suite.createChat(alice, [bob]);
    await suite.createChat(mallory, [suite.user('other')]);
    const aliceWs = await suite.connect(alice);
    const aliceIo = await connectIo(await suite.runtime().token(alice));
    const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`);

    // Act
    const httpForbidden = await suite.api(alice, 'GET', `/presence?userIds=${bob},${mallory}`);
    const httpTooMany = await suite.api(alice, 'GET', `/presence?userIds=${tooMany.join(',')}`);
    const httpBadId = await suite.api(alice, 'GET', `/presence?userIds=${bob},a%23b`);
    const jsonForbidden = await queryOverJson(aliceWs, { userIds: [mallory] });
    const jsonNotArray = await queryOverJson(aliceWs, { userIds: bob });
    const ioForbidden = await aliceIo.emitWithAck('presence:query', { userIds: [bob, mallory] });
    const ioTooMany = await aliceIo.emitWithAck('presence:query', { userIds: tooMany });

    // Assess
    expect(httpForbidden.status).toBe(403);
    expect(httpForbidden.json.error.code).toBe('FORBIDDEN');
    expect(httpTooMany.status).toBe(400);
    expect(httpBadId.status).toBe(400);
    expect(jsonForbidden.error.code).toBe('FORBIDDEN');
    expect(jsonNotArray.error.code).toBe('BAD_REQUEST');
    expect(ioForbidden.error.code).toBe('FORBIDDEN');
    expect(ioTooMany.error.code).toBe('BAD_REQUEST');
    const refusals = JSON.stringify([httpForbidden.json, jsonForbidden, ioForbidden]);
    expect(refusals).not.toContain(mallory);
    expect(refusals).not.toContain(bob);
    expect(aliceWs.received.filter((frame) => frame?.event === 'error')).toEqual([]);
  });
});

describe('Presence broadcasts and the chat size', { timeout: 60_000 }, () => {
  it('broadcasts user:online through a chat of the maximum size, not through one of one more', async () => {
    // Prepare: bob is in a big chat with alice and a small one with erin.
    const [alice, bob, erin] = ['alice', 'bob', 'erin'].map((name) => suite.user(name)) as [string, string, string];
    const bigChat = withFillers([bob], MAX_MEMBERS + 1 - 1);
    await suite.createChat(alice, bigChat);
    await suite.createChat(erin, withFillers([bob], MAX_MEMBERS - 1));
    const aliceWs = await suite.connect(alice);
    const erinWs = await suite.connect(erin);

    // Act
    await suite.connect(bob);

    // Assess: erin hears bob through the small chat; the same broadcast would have reached alice.
    await erinWs.nextEvent(isEvent('user:online', (data) => data.userId === bob), 15_000);
    // A round trip on alice's socket after that: any post made to her with erin's has arrived.
    const answer = await queryOverJson(aliceWs, { userIds: [bob] });
    expect(answer.data).toEqual({ users: [{ userId: bob, online: true, state: 'online' }] });
    expect(aliceWs.received.filter((frame) => frame?.event === 'user:online')).toEqual([]);
  });

  it('settles a login burst of 30 users sharing a chat: each knows all others online from events and its connect-time query', async () => {
    // Prepare
    const users = Array.from({ length: MAX_MEMBERS }, (_, i) => suite.user(`burst${i}`));
    const [owner, ...others] = users as [string, ...string[]];
    await suite.createChat(owner, others);
    const tokens = await Promise.all(users.map((userId) => suite.runtime().token(userId)));
    const known = new Map(users.map((userId) => [userId, new Set<string>()]));

    // Act: everyone connects at once; each asks about the others as soon as it is open.
    const sockets = await Promise.all(
      users.map(async (userId, i) => {
        const socket = await connectWebSocket(suite.runtime().wsUrl, { token: tokens[i] });
        socket.ws.on('message', (raw) => {
          const frame = JSON.parse(String(raw)) as Frame;
          if (frame.event === 'user:online') known.get(userId)?.add(frame.data.userId);
          if (frame.event === 'ack') for (const user of frame.data?.users ?? []) if (user.online) known.get(userId)?.add(user.userId);
        });
        socket.send({ action: 'presence:query', data: { userIds: users.filter((other) => other !== userId) }, ackId: 1 });
        return socket;
      }),
    );
    try {
      // Assess
      await waitFor(() => [...known.values()].every((set) => set.size === users.length - 1), 60_000, 100);
      for (const [userId, set] of known) expect(set.has(userId)).toBe(false);
      const onlineFrames = sockets.flatMap((socket) => socket.received.filter((frame) => frame?.event === 'user:online'));
      expect(onlineFrames.length).toBeGreaterThan(0);
      expect(onlineFrames.every((frame) => users.includes(frame.data.userId))).toBe(true);
    } finally {
      await Promise.all(sockets.map((socket) => socket.close()));
    }
  }, 120_000);
});

describe('Presence states on the local runtime', { timeout: 60_000 }, () => {
  /** Sends user:status over the JSON protocol and resolves with its ack frame. */
  async function statusOverJson(socket: TestSocket, data: unknown): Promise<Frame> {
    const ackId = `s${++ackIds}`;
    socket.send({ action: 'user:status', data, ackId });
    return socket.nextEvent((frame) => frame?.event === 'ack' && frame.ackId === ackId, 10_000);
  }

  it('sets a state and text over JSON, Socket.IO and HTTP; co-members receive user:status; queries return it', async () => {
    // Prepare
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((name) => suite.user(name)) as [string, string, string, string];
    await suite.createChat(alice, [bob, carol, dave]);
    const aliceWs = await suite.connect(alice);
    const bobWs = await suite.connect(bob);
    const carolIo = await connectIo(await suite.runtime().token(carol));
    await suite.connect(dave);

    // Act
    const bobAck = await statusOverJson(bobWs, { state: 'busy', text: '  In a\nmeeting ' });
    const carolAck = await carolIo.emitWithAck('user:status', { state: 'away' });
    const daveRes = await suite.api(dave, 'PUT', '/users/me/status', { state: 'busy', text: 'Focus' });

    // Assess
    expect(bobAck.data).toEqual({ userId: bob, state: 'busy', text: 'In a meeting', at: expect.any(String) });
    expect(carolAck).toEqual({ data: { userId: carol, state: 'away', at: expect.any(String) } });
    expect(daveRes.status).toBe(200);
    const heard = await Promise.all(
      [bob, carol, dave].map((userId) => aliceWs.nextEvent(isEvent('user:status', (data) => data.userId === userId), 15_000)),
    );
    expect(heard.map((frame) => frame.data)).toEqual([bobAck.data, carolAck.data, daveRes.json]);
    const query = await suite.api(alice, 'GET', `/presence?userIds=${bob},${carol},${dave}`);
    expect(query.json.users).toEqual([
      { userId: bob, online: true, state: 'busy', text: 'In a meeting' },
      { userId: carol, online: true, state: 'away' },
      { userId: dave, online: true, state: 'busy', text: 'Focus' },
    ]);
  });

  it('refuses bad states, texts and a change within a second with a code, writing and broadcasting nothing', async () => {
    // Prepare
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => suite.user(name)) as [string, string, string];
    await suite.createChat(alice, [bob, carol]);
    const aliceWs = await suite.connect(alice);
    const bobWs = await suite.connect(bob);
    const carolIo = await connectIo(await suite.runtime().token(carol));
    const accepted = await statusOverJson(bobWs, { state: 'away', text: 'Lunch' });
    await aliceWs.nextEvent(isEvent('user:status', (data) => data.userId === bob), 15_000);

    // Act
    const tooLong = await statusOverJson(bobWs, { state: 'busy', text: 'x'.repeat(101) });
    const badState = await statusOverJson(bobWs, { state: 'invisible' });
    const notText = await statusOverJson(bobWs, { state: 'busy', text: 42 });
    const tooSoon = await statusOverJson(bobWs, { state: 'busy' });
    const ioTooLong = await carolIo.emitWithAck('user:status', { state: 'busy', text: 'y'.repeat(101) });
    const ioBadState = await carolIo.emitWithAck('user:status', { state: 'offline' });
    const httpTooLong = await suite.api(carol, 'PUT', '/users/me/status', { state: 'busy', text: 'z'.repeat(101) });
    const httpNotString = await suite.api(carol, 'PUT', '/users/me/status', { state: 'busy', text: ['a'] });

    // Assess
    expect(accepted.data.state).toBe('away');
    expect([tooLong, badState, notText, tooSoon].map((frame) => frame.error?.code)).toEqual(['PAYLOAD_TOO_LARGE', 'BAD_REQUEST', 'BAD_REQUEST', 'RATE_LIMITED']);
    expect([ioTooLong.error?.code, ioBadState.error?.code]).toEqual(['PAYLOAD_TOO_LARGE', 'BAD_REQUEST']);
    expect([httpTooLong.status, httpNotString.status]).toEqual([413, 400]);
    const query = await suite.api(alice, 'GET', `/presence?userIds=${bob},${carol}`);
    expect(query.json.users).toEqual([
      { userId: bob, online: true, state: 'away', text: 'Lunch' },
      { userId: carol, online: true, state: 'online' },
    ]);
    // A round trip after the refusals: had any been broadcast, it would be here by now.
    await queryOverJson(aliceWs, { userIds: [bob] });
    expect(aliceWs.received.filter((frame) => frame?.event === 'user:status').map((frame) => frame.data.userId)).toEqual([bob]);
  });

  it('sends user:offline with lastSeenAt, which the presence query then reports', async () => {
    // Prepare
    const [alice, bob] = ['alice', 'bob'].map((name) => suite.user(name)) as [string, string];
    await suite.createChat(alice, [bob]);
    const aliceWs = await suite.connect(alice);
    const bobWs = await connectWebSocket(suite.runtime().wsUrl, { token: await suite.runtime().token(bob) });
    await aliceWs.nextEvent(isEvent('user:online', (data) => data.userId === bob), 15_000);

    // Act
    await bobWs.close();
    const offline = await aliceWs.nextEvent(isEvent('user:offline', (data) => data.userId === bob), 15_000);
    const query = await queryOverJson(aliceWs, { userIds: [bob] });

    // Assess
    expect(offline.data).toEqual({ userId: bob, at: expect.any(String), lastSeenAt: offline.data.at });
    expect(query.data.users).toEqual([{ userId: bob, online: false, lastSeenAt: offline.data.lastSeenAt }]);
  });
});
