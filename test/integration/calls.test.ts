/**
 * Call signaling on the local runtime, end to end: real `ws` clients on the
 * JSON protocol and the official socket.io-client, the actions function,
 * DynamoDB Local. Rings, answers, relays, hangs up, misses, and refuses bad
 * calls without relaying anything.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestRuntime, type Frame, type TestSocket } from '../helpers/local-runtime';

// Short enough to wait for, long enough to answer in under load. Read by the handler workers at start.
const RING_TIMEOUT_MS = 8000;
const INVITE_RATE_LIMIT = 3;
process.env.CALL_RING_TIMEOUT_MS = String(RING_TIMEOUT_MS);
process.env.CALL_INVITE_RATE_LIMIT = String(INVITE_RATE_LIMIT);

const suite = useTestRuntime('calls', { schedules: false });
const ioSockets: Socket[] = [];
afterAll(() => {
  for (const socket of ioSockets) socket.disconnect();
});

/** How long a frame may take on a loaded machine (a cap on waiting, not a timing assertion). */
const FRAME_WAIT_MS = 15_000;
/** Each test waits for a dozen frames or more, and one for the ring window too. */
const TEST_TIMEOUT_MS = 90_000;

let nextAckId = 1;
/** Sends an action and resolves with its ack frame. */
async function act(socket: TestSocket, action: string, data: unknown): Promise<Frame> {
  const ackId = nextAckId++;
  socket.send({ action, data, ackId });
  return socket.nextEvent((f) => f.event === 'ack' && f.ackId === ackId, FRAME_WAIT_MS);
}

/** The next frame of a socket that is this call event. */
const next = (socket: TestSocket, event: string, callId: string): Promise<Frame> =>
  socket.nextEvent((f) => f.event === event && f.data?.callId === callId, FRAME_WAIT_MS);
const callEvents = (socket: TestSocket): Frame[] => socket.received.filter((f) => typeof f.event === 'string' && f.event.startsWith('call:'));
const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';

/** alice and bob in a chat, connected (bob on two tabs). */
async function twoUsers(): Promise<{ alice: string; bob: string; chatId: string; a: TestSocket; b1: TestSocket; b2: TestSocket }> {
  const [alice, bob] = [suite.user('alice'), suite.user('bob')];
  const chatId = await suite.createChat(alice, [bob]);
  const [a, b1, b2] = await Promise.all([suite.connect(alice), suite.connect(bob), suite.connect(bob)]);
  return { alice, bob, chatId, a, b1, b2 };
}

describe('Call signaling over the JSON protocol', { timeout: TEST_TIMEOUT_MS }, () => {
  it('rings every tab of the callee, connects the answering tab, relays SDP and ICE between the two connections, and hangs up', async () => {
    // Prepare
    const { alice, bob, chatId, a, b1, b2 } = await twoUsers();

    // Act: invite
    const invited = await act(a, 'call:invite', { chatId, userId: bob });
    const { callId } = invited.data;
    const [ring1, ring2] = await Promise.all([next(b1, 'call:invite', callId), next(b2, 'call:invite', callId)]);
    // accept on tab 1
    const accepted = await act(b1, 'call:accept', { callId });
    const [acceptAtCaller, acceptAtOtherTab] = await Promise.all([next(a, 'call:accept', callId), next(b2, 'call:accept', callId)]);
    // signaling
    const offerAck = await act(a, 'call:offer', { callId, sdp: SDP });
    const offer = await next(b1, 'call:offer', callId);
    const answerAck = await act(b1, 'call:answer', { callId, sdp: SDP.replace('o=- 1', 'o=- 9') });
    const answer = await next(a, 'call:answer', callId);
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    await act(a, 'call:ice', { callId, candidate });
    const ice = await next(b1, 'call:ice', callId);
    await act(b1, 'call:ice', { callId, candidate: null });
    const endOfCandidates = await next(a, 'call:ice', callId);
    // hangup
    const hungUp = await act(a, 'call:hangup', { callId, reason: 'done' });
    const hangup = await next(b1, 'call:hangup', callId);
    const again = await act(b1, 'call:hangup', { callId });

    // Assess
    expect(invited.data).toEqual({ callId: expect.any(String), chatId, state: 'ringing', ringTimeoutMs: RING_TIMEOUT_MS });
    for (const ring of [ring1, ring2]) {
      expect(ring.data).toEqual({ callId, chatId, userId: alice, media: 'audio', ringTimeoutMs: RING_TIMEOUT_MS });
      expect(ring.id).toEqual(expect.any(String));
      expect(ring.seq).toBeUndefined();
    }
    expect(accepted.data).toEqual({ callId, state: 'connected' });
    expect(acceptAtCaller.data).toEqual({ callId, chatId, userId: bob });
    expect(acceptAtOtherTab.data).toEqual({ callId, chatId, userId: bob });
    expect(offerAck.data).toEqual({ delivered: true });
    expect(offer.data).toEqual({ callId, chatId, userId: alice, sdp: SDP });
    expect(answerAck.data).toEqual({ delivered: true });
    expect(answer.data.sdp).toContain('o=- 9');
    expect(ice.data).toEqual({ callId, chatId, userId: alice, candidate });
    expect(endOfCandidates.data).toEqual({ callId, chatId, userId: bob, candidate: null });
    expect(hungUp.data).toEqual({ callId, state: 'ended' });
    expect(hangup.data).toEqual({ callId, chatId, userId: alice, reason: 'done' });
    expect(again.data).toEqual({ callId, state: 'ended' });
    // The second tab stopped at the accept: no signaling reached it, and the caller never heard its own events.
    expect(callEvents(b2).map((f) => f.event)).toEqual(['call:invite', 'call:accept']);
    expect(callEvents(a).map((f) => f.event)).toEqual(['call:accept', 'call:answer', 'call:ice']);
  });

  it('tells the caller and the other tabs when the callee rejects, and the caller\'s cancel stops every tab ringing', async () => {
    // Prepare
    const { bob, chatId, a, b1, b2 } = await twoUsers();
    const first = (await act(a, 'call:invite', { chatId, userId: bob, media: 'video' })).data.callId;
    await Promise.all([next(b1, 'call:invite', first), next(b2, 'call:invite', first)]);

    // Act
    const rejected = await act(b2, 'call:reject', { callId: first, reason: 'busy' });
    const [atCaller, atTab1] = await Promise.all([next(a, 'call:reject', first), next(b1, 'call:reject', first)]);
    const second = (await act(a, 'call:invite', { chatId, userId: bob })).data.callId;
    await Promise.all([next(b1, 'call:invite', second), next(b2, 'call:invite', second)]);
    const cancelled = await act(a, 'call:hangup', { callId: second });
    const cancels = await Promise.all([next(b1, 'call:hangup', second), next(b2, 'call:hangup', second)]);
    const lateAccept = await act(b1, 'call:accept', { callId: second });

    // Assess
    expect(rejected.data).toEqual({ callId: first, state: 'rejected' });
    expect(atCaller.data).toEqual({ callId: first, chatId, userId: bob, reason: 'busy' });
    expect(atTab1.data).toEqual(atCaller.data);
    expect(cancelled.data).toEqual({ callId: second, state: 'ended' });
    expect(cancels.map((f) => f.data.callId)).toEqual([second, second]);
    expect(lateAccept.error).toEqual({ code: 'CONFLICT', message: 'The call is ended' });
  });

  it('settles a call nobody answered as call:missed for both sides on the first event after the ring window, once', async () => {
    // Prepare
    const { alice, bob, chatId, a, b1 } = await twoUsers();
    const { callId } = (await act(a, 'call:invite', { chatId, userId: bob })).data;
    const ring = await next(b1, 'call:invite', callId);

    // Act: the ring window passes (each side's client would now hang up); then a late accept, a second hangup.
    await new Promise((resolve) => setTimeout(resolve, ring.data.ringTimeoutMs));
    const timedOut = await act(a, 'call:hangup', { callId, reason: 'timeout' });
    const [missedAtCaller, missedAtCallee] = await Promise.all([next(a, 'call:missed', callId), next(b1, 'call:missed', callId)]);
    const lateAccept = await act(b1, 'call:accept', { callId });
    const secondHangup = await act(b1, 'call:hangup', { callId });

    // Assess
    expect(timedOut.data).toEqual({ callId, state: 'missed' });
    expect(missedAtCaller.data).toEqual({ callId, chatId, userId: alice, reason: 'timeout' });
    expect(missedAtCallee.data).toEqual(missedAtCaller.data);
    expect(lateAccept.error).toEqual({ code: 'CONFLICT', message: 'The call is missed' });
    expect(secondHangup.data).toEqual({ callId, state: 'missed' });
    expect(callEvents(b1).filter((f) => f.event === 'call:missed')).toHaveLength(1);
  });

  it('misses at once a call to a user with no open connection', async () => {
    // Prepare
    const [alice, bob] = [suite.user('alice'), suite.user('bob')];
    const chatId = await suite.createChat(alice, [bob]);
    const a = await suite.connect(alice);

    // Act
    const invited = await act(a, 'call:invite', { chatId, userId: bob });
    const missed = await next(a, 'call:missed', invited.data.callId);

    // Assess
    expect(invited.data).toMatchObject({ state: 'missed' });
    expect(missed.data).toEqual({ callId: invited.data.callId, chatId, userId: alice, reason: 'unavailable' });
  });

  it('refuses bad calls with a code and relays nothing', async () => {
    // Prepare
    const { alice, bob, chatId, a, b1 } = await twoUsers();
    const carol = suite.user('carol');
    const otherChat = await suite.createChat(bob, [carol]);
    const connected = (await act(a, 'call:invite', { chatId, userId: bob })).data.callId;
    await next(b1, 'call:invite', connected);
    await act(b1, 'call:accept', { callId: connected });
    await next(a, 'call:accept', connected);
    const ringing = (await act(b1, 'call:invite', { chatId, userId: alice })).data.callId;
    await next(a, 'call:invite', ringing);
    const eventsBefore = [callEvents(a).length, callEvents(b1).length];

    // Act
    const refusals = {
      notInChat: await act(a, 'call:invite', { chatId: otherChat, userId: bob }),
      calleeNotInChat: await act(a, 'call:invite', { chatId, userId: carol }),
      self: await act(a, 'call:invite', { chatId, userId: alice }),
      unknownField: await act(a, 'call:invite', { chatId, userId: bob, callerId: bob }),
      badMedia: await act(a, 'call:invite', { chatId, userId: bob, media: 'hologram' }),
      oversizedSdp: await act(a, 'call:offer', { callId: connected, sdp: `v=0\r\n${'a=x\r\n'.repeat(4000)}` }),
      sdpNotString: await act(a, 'call:offer', { callId: connected, sdp: 42 }),
      oversizedCandidate: await act(a, 'call:ice', { callId: connected, candidate: { candidate: 'c'.repeat(2000) } }),
      missingCandidate: await act(a, 'call:ice', { callId: connected }),
      badCallId: await act(a, 'call:accept', { callId: '../x' }),
      unknownCall: await act(a, 'call:hangup', { callId: 'nope' }),
      notYourCall: await act(a, 'call:accept', { callId: connected }),
      offerBeforeAccept: await act(b1, 'call:offer', { callId: ringing, sdp: SDP }),
      reasonWithNewline: await act(b1, 'call:reject', { callId: ringing, reason: 'a\nb' }),
    };
    // A last valid signal each way: posts to one connection arrive in order, so any relay of a refusal would come before it.
    await act(a, 'call:ice', { callId: connected, candidate: null });
    await next(b1, 'call:ice', connected);
    await act(b1, 'call:ice', { callId: connected, candidate: null });
    await next(a, 'call:ice', connected);

    // Assess
    const codes = Object.fromEntries(Object.entries(refusals).map(([name, ack]) => [name, ack.error?.code]));
    expect(codes).toEqual({
      notInChat: 'FORBIDDEN',
      calleeNotInChat: 'FORBIDDEN',
      self: 'BAD_REQUEST',
      unknownField: 'BAD_REQUEST',
      badMedia: 'BAD_REQUEST',
      oversizedSdp: 'PAYLOAD_TOO_LARGE',
      sdpNotString: 'BAD_REQUEST',
      oversizedCandidate: 'PAYLOAD_TOO_LARGE',
      missingCandidate: 'BAD_REQUEST',
      badCallId: 'BAD_REQUEST',
      unknownCall: 'NOT_FOUND',
      notYourCall: 'NOT_FOUND',
      offerBeforeAccept: 'CONFLICT',
      reasonWithNewline: 'BAD_REQUEST',
    });
    expect([callEvents(a).length, callEvents(b1).length]).toEqual(eventsBefore.map((n) => n + 1));
  });

  it('refuses to ring a user who blocked the caller, or whom the caller blocked', async () => {
    // Prepare
    const { alice, bob, chatId, a, b1 } = await twoUsers();
    const blocked = await suite.api(bob, 'PUT', `/users/me/blocks/${alice}`);

    // Act
    const byCallee = await act(a, 'call:invite', { chatId, userId: bob });
    const byCaller = await act(b1, 'call:invite', { chatId, userId: alice });

    // Assess
    expect(blocked.status).toBeLessThan(300);
    expect(byCallee.error).toEqual({ code: 'FORBIDDEN', message: 'You cannot call this user' });
    expect(byCaller.error).toEqual({ code: 'FORBIDDEN', message: 'You cannot call this user' });
    expect(callEvents(b1)).toEqual([]);
    expect(callEvents(a)).toEqual([]);
  });

  it('limits the invites a user places per minute, refusing the one over with RATE_LIMITED', async () => {
    // Prepare
    const { bob, chatId, a } = await twoUsers();

    // Act
    const acks: Frame[] = [];
    for (let i = 0; i <= INVITE_RATE_LIMIT; i++) acks.push(await act(a, 'call:invite', { chatId, userId: bob }));

    // Assess
    expect(acks.slice(0, INVITE_RATE_LIMIT).map((ack) => ack.data?.state)).toEqual(Array(INVITE_RATE_LIMIT).fill('ringing'));
    expect(acks[INVITE_RATE_LIMIT]?.error?.code).toBe('RATE_LIMITED');
  });
});

describe('Call signaling over socket.io-client', { timeout: TEST_TIMEOUT_MS }, () => {
  function connectIo(token: string): Promise<Socket> {
    const url = new URL(suite.runtime().wsUrl);
    const socket = io(url.origin, { path: url.pathname, addTrailingSlash: false, transports: ['websocket'], auth: { token } });
    ioSockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }
  const nextIo = (socket: Socket, event: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${FRAME_WAIT_MS} ms`)), FRAME_WAIT_MS);
      socket.once(event, (data: unknown) => {
        clearTimeout(timer);
        resolve(data);
      });
    });

  it('places a call from socket.emit to a JSON client and back, with the same acks and refusals', async () => {
    // Prepare
    const [alice, bob] = [suite.user('alice'), suite.user('bob')];
    const chatId = await suite.createChat(alice, [bob]);
    const aliceIo = await connectIo(await suite.runtime().token(alice));
    const b = await suite.connect(bob);

    // Act
    const invited = await aliceIo.emitWithAck('call:invite', { chatId, userId: bob });
    const { callId } = invited.data;
    await next(b, 'call:invite', callId);
    const accepted = nextIo(aliceIo, 'call:accept');
    await act(b, 'call:accept', { callId });
    const acceptData = await accepted;
    const offerAck = await aliceIo.emitWithAck('call:offer', { callId, sdp: SDP });
    const offer = await next(b, 'call:offer', callId);
    const answered = nextIo(aliceIo, 'call:answer');
    await act(b, 'call:answer', { callId, sdp: SDP });
    const answer = await answered;
    const tooBig = await aliceIo.emitWithAck('call:answer', { callId, sdp: 'x'.repeat(20_000) });
    const hungUp = nextIo(aliceIo, 'call:hangup');
    await act(b, 'call:hangup', { callId });

    // Assess
    expect(invited).toEqual({ data: { callId: expect.any(String), chatId, state: 'ringing', ringTimeoutMs: RING_TIMEOUT_MS } });
    expect(acceptData).toEqual({ callId, chatId, userId: bob });
    expect(offerAck).toEqual({ data: { delivered: true } });
    expect(offer.data).toEqual({ callId, chatId, userId: alice, sdp: SDP });
    expect(answer).toEqual({ callId, chatId, userId: bob, sdp: SDP });
    expect(tooBig.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await hungUp).toEqual({ callId, chatId, userId: bob });
  });
});
