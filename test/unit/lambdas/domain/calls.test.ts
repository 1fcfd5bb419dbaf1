import { describe, expect, it, vi } from 'vitest';
import { callPayloads, createCallService, INVITE_WINDOW_MS, runCallAction, SIGNAL_WINDOW_MS, type CallDeps } from '../../../../lambdas/domain/calls';
import type { EventEnvelope } from '../../../../protocol';
import type { BroadcastResult, RoomMember } from '../../../../lambdas/domain/ports';
import { MAX_SDP_BYTES } from '../../../../protocol';
import { fakeCallStore } from '../../../helpers/fake-call-store';
import { fakeMembershipStore, fakeUserStore } from '../../../helpers/fake-stores';

const NOW = 1_764_204_000_000;
const RING_MS = 30_000;
const TOKEN_EXP = NOW / 1000 + 3600;
const alice = { userId: 'alice', connectionId: 'a1=', protocol: 'lettera.v1' as const, tokenExpiresAt: TOKEN_EXP };
const bob1 = { userId: 'bob', connectionId: 'b1=', protocol: 'socket.io' as const, tokenExpiresAt: TOKEN_EXP + 1 };
const bob2 = { userId: 'bob', connectionId: 'b2=', protocol: 'lettera.v1' as const };
const membership = (userId: string) => ({ chatId: 'c1', userId, title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' });

/** The call service over fake stores, a clock the test moves, and a broadcaster that records what it sends to whom. */
function world(options: { blocks?: ReadonlyArray<[string, string]>; bobConnections?: RoomMember[]; delivered?: number; inviteRateLimit?: number; signalRateLimit?: number } = {}) {
  let clock = NOW;
  let ids = 0;
  const calls = fakeCallStore();
  const memberships = fakeMembershipStore([membership('alice'), membership('bob')]);
  const connections: Record<string, RoomMember[]> = { 'user:alice': [alice], 'user:bob': options.bobConnections ?? [bob1, bob2] };
  const sent: Array<{ to: string[]; event: string; data: Record<string, unknown> }> = [];
  /** The recipients of each send, as the broadcaster got them. */
  const recipients: RoomMember[][] = [];
  const toMembers = vi.fn(async (members: readonly RoomMember[], envelope: EventEnvelope): Promise<BroadcastResult> => {
    recipients.push([...members]);
    sent.push({ to: members.map((m) => m.connectionId), event: envelope.event, data: envelope.data as unknown as Record<string, unknown> });
    const delivered = options.delivered ?? members.length;
    return { recipients: members.length, delivered, gone: members.length - delivered, disconnected: 0, undeliverable: 0, failed: 0 };
  });
  const deps: CallDeps = {
    calls,
    rooms: {
      has: async (room, connectionId) => room === 'chat:c1' && [alice, bob1, bob2].some((c) => c.connectionId === connectionId),
      members: async (room) => connections[room] ?? [],
    },
    memberships,
    users: fakeUserStore({ blocks: options.blocks ?? [] }),
    broadcaster: { toMembers },
    limits: { ringTimeoutMs: RING_MS, inviteRateLimit: options.inviteRateLimit ?? 10, signalRateLimit: options.signalRateLimit ?? 200 },
    now: () => clock,
    newCallId: () => `call${++ids}`,
  };
  return {
    service: createCallService(deps),
    calls,
    sent,
    recipients,
    at: (ms: number) => {
      clock = NOW + ms;
    },
  };
}

/** A world with call1 rung by alice and answered on bob's first tab, the sends of that cleared. */
async function connectedCall(options: Parameters<typeof world>[0] = {}) {
  const w = world(options);
  await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
  await w.service.accept(bob1, { callId: 'call1' });
  w.sent.length = 0;
  return w;
}

describe('Function: createCallService', () => {
  describe('Method: invite', () => {
    it('stores a ringing call and rings every connection of the callee, not the caller', async () => {
      // Prepare
      const w = world();

      // Act
      const result = await w.service.invite(alice, { chatId: 'c1', userId: 'bob', media: 'video' });

      // Assess
      expect(result).toEqual({ callId: 'call1', chatId: 'c1', state: 'ringing', ringTimeoutMs: RING_MS });
      expect(w.calls.rows.get('call1')).toMatchObject({
        connectionId: 'call#call1',
        callerId: 'alice',
        calleeId: 'bob',
        media: 'video',
        state: 'ringing',
        callerConnectionId: 'a1=',
        callerProtocol: 'lettera.v1',
        ringsUntil: NOW + RING_MS,
      });
      expect(w.sent).toEqual([
        { to: ['b1=', 'b2='], event: 'call:invite', data: { callId: 'call1', chatId: 'c1', userId: 'alice', media: 'video', ringTimeoutMs: RING_MS } },
      ]);
    });

    it.each([
      ['oneself', { chatId: 'c1', userId: 'alice' }, alice, 'BAD_REQUEST'],
      ['from a connection not in the chat', { chatId: 'c2', userId: 'bob' }, alice, 'FORBIDDEN'],
      ['a user not in the chat', { chatId: 'c1', userId: 'carol' }, alice, 'FORBIDDEN'],
    ])('refuses calling %s, writing and relaying nothing', async (_name, data, caller, code) => {
      // Prepare
      const w = world();

      // Act
      const invite = w.service.invite(caller, data);

      // Assess
      await expect(invite).rejects.toMatchObject({ code });
      expect(w.calls.rows.size).toBe(0);
      expect(w.calls.counters.size).toBe(0);
      expect(w.sent).toEqual([]);
    });

    it.each([
      ['the callee blocked the caller', ['bob', 'alice'] as [string, string]],
      ['the caller blocked the callee', ['alice', 'bob'] as [string, string]],
    ])('refuses when %s, writing and relaying nothing', async (_name, block) => {
      // Prepare
      const w = world({ blocks: [block] });

      // Act
      const invite = w.service.invite(alice, { chatId: 'c1', userId: 'bob' });

      // Assess
      await expect(invite).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'You cannot call this user' });
      expect(w.calls.rows.size).toBe(0);
      expect(w.sent).toEqual([]);
    });

    it('misses at once, telling the caller, when the callee has no connection or none took the invite', async () => {
      // Prepare
      const offline = world({ bobConnections: [] });
      const gone = world({ delivered: 0 });

      // Act
      const results = [await offline.service.invite(alice, { chatId: 'c1', userId: 'bob' }), await gone.service.invite(alice, { chatId: 'c1', userId: 'bob' })];

      // Assess
      expect(results.map((r) => r.state)).toEqual(['missed', 'missed']);
      expect(offline.sent).toEqual([{ to: ['a1='], event: 'call:missed', data: { callId: 'call1', chatId: 'c1', userId: 'alice', reason: 'unavailable' } }]);
      expect(gone.sent.map((s) => s.event)).toEqual(['call:invite', 'call:missed']);
      expect(gone.calls.rows.get('call1')?.state).toBe('missed');
    });

    it('refuses the invite over the limit with RATE_LIMITED and the wait, then admits one once the window is over', async () => {
      // Prepare
      const w = world({ inviteRateLimit: 2 });
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.at(1000);
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });

      // Act
      const over = w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      await over.catch(() => undefined);
      w.at(INVITE_WINDOW_MS);
      const next = await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });

      // Assess
      await expect(over).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: INVITE_WINDOW_MS - 1000 });
      expect(next.state).toBe('ringing');
      expect(w.calls.rows.size).toBe(3);
    });
  });

  describe('Method: accept', () => {
    it('connects the accepting connection and tells the caller and the callee\'s other tabs', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.sent.length = 0;

      // Act
      const result = await w.service.accept(bob1, { callId: 'call1' });

      // Assess
      expect(result).toEqual({ callId: 'call1', state: 'connected' });
      expect(w.calls.rows.get('call1')).toMatchObject({ state: 'connected', calleeConnectionId: 'b1=', calleeProtocol: 'socket.io', answeredAt: NOW });
      expect(w.sent).toEqual([{ to: ['a1=', 'b2='], event: 'call:accept', data: { callId: 'call1', chatId: 'c1', userId: 'bob' } }]);
    });

    it('answers NOT_FOUND to anyone but the callee, and to an unknown call', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });

      // Act + Assess
      await expect(w.service.accept(alice, { callId: 'call1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(w.service.accept({ userId: 'mallory', connectionId: 'm=' }, { callId: 'call1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(w.service.accept(bob1, { callId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(w.calls.rows.get('call1')?.state).toBe('ringing');
    });

    it('refuses an accept after the ring window and settles the call as missed for both sides', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.sent.length = 0;
      w.at(RING_MS);

      // Act
      const accept = w.service.accept(bob1, { callId: 'call1' });

      // Assess
      await expect(accept).rejects.toMatchObject({ code: 'CONFLICT', message: 'The call was not answered in time' });
      expect(w.calls.rows.get('call1')?.state).toBe('missed');
      expect(w.sent).toEqual([{ to: ['a1=', 'b1=', 'b2='], event: 'call:missed', data: { callId: 'call1', chatId: 'c1', userId: 'alice', reason: 'timeout' } }]);
    });

    it('lets only the first of two tabs answer', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });

      // Act
      const [first, second] = await Promise.allSettled([w.service.accept(bob1, { callId: 'call1' }), w.service.accept(bob2, { callId: 'call1' })]);

      // Assess
      expect(first).toMatchObject({ status: 'fulfilled', value: { state: 'connected' } });
      expect(second).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
      expect(w.calls.rows.get('call1')?.calleeConnectionId).toBe('b1=');
    });
  });

  describe('Method: reject', () => {
    it('ends a ringing call as rejected, telling the caller and the other tabs with the reason', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.sent.length = 0;

      // Act
      const result = await w.service.reject(bob2, { callId: 'call1', reason: 'busy' });

      // Assess
      expect(result).toEqual({ callId: 'call1', state: 'rejected' });
      expect(w.sent).toEqual([{ to: ['a1=', 'b1='], event: 'call:reject', data: { callId: 'call1', chatId: 'c1', userId: 'bob', reason: 'busy' } }]);
    });
  });

  describe('Method: signal', () => {
    it.each([
      ['call:offer', { sdp: 'v=0\r\n' }],
      ['call:answer', { sdp: 'v=0\r\n' }],
      ['call:ice', { candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } }],
    ] as const)('relays %s to the other connection of the call only, counting it', async (action, payload) => {
      // Prepare
      const w = await connectedCall();

      // Act
      const fromCaller = await runCallAction(w.service, alice, action, { callId: 'call1', ...payload } as never);
      const fromCallee = await runCallAction(w.service, bob1, action, { callId: 'call1', ...payload } as never);

      // Assess
      expect([fromCaller, fromCallee]).toEqual([{ delivered: true }, { delivered: true }]);
      expect(w.sent).toEqual([
        { to: ['b1='], event: action, data: { callId: 'call1', chatId: 'c1', userId: 'alice', ...payload } },
        { to: ['a1='], event: action, data: { callId: 'call1', chatId: 'c1', userId: 'bob', ...payload } },
      ]);
      expect(w.calls.rows.get('call1')?.signalCount).toBe(2);
    });

    it('posts to each side as its connection row describes it, token expiry included, so an expired side is closed rather than posted', async () => {
      // Prepare
      const w = await connectedCall();

      // Act
      await w.service.signal(alice, 'call:ice', { callId: 'call1', candidate: null });
      await w.service.signal(bob1, 'call:ice', { callId: 'call1', candidate: null });

      // Assess
      expect(w.recipients.slice(-2)).toEqual([
        [{ connectionId: 'b1=', userId: 'bob', protocol: 'socket.io', tokenExpiresAt: TOKEN_EXP + 1 }],
        [{ connectionId: 'a1=', userId: 'alice', protocol: 'lettera.v1', tokenExpiresAt: TOKEN_EXP }],
      ]);
    });

    it('refuses signals from a connection outside the call (NOT_FOUND) and before the accept (CONFLICT), relaying nothing', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.sent.length = 0;

      // Act
      const early = w.service.signal(alice, 'call:offer', { callId: 'call1', sdp: 'v=0' });
      await w.service.accept(bob1, { callId: 'call1' });
      w.sent.length = 0;
      const otherTab = w.service.signal(bob2, 'call:answer', { callId: 'call1', sdp: 'v=0' });

      // Assess
      await expect(early).rejects.toMatchObject({ code: 'CONFLICT', message: 'The call has not been accepted yet' });
      await expect(otherTab).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(w.sent).toEqual([]);
    });

    it('refuses the signal over the limit with RATE_LIMITED until the window is over', async () => {
      // Prepare
      const w = await connectedCall({ signalRateLimit: 3 });
      for (let i = 0; i < 3; i++) await w.service.signal(alice, 'call:ice', { callId: 'call1', candidate: null });

      // Act
      const over = w.service.signal(bob1, 'call:ice', { callId: 'call1', candidate: null });
      await over.catch(() => undefined);
      w.at(SIGNAL_WINDOW_MS);
      const next = await w.service.signal(bob1, 'call:ice', { callId: 'call1', candidate: null });

      // Assess
      await expect(over).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      expect(next).toEqual({ delivered: true });
      expect(w.sent).toHaveLength(4);
    });
  });

  describe('Method: hangup', () => {
    it('ends a connected call, telling the other connection only; a second hangup changes nothing', async () => {
      // Prepare
      const w = await connectedCall();

      // Act
      const first = await w.service.hangup(bob1, { callId: 'call1', reason: 'bye' });
      const second = await w.service.hangup(alice, { callId: 'call1' });

      // Assess
      expect([first, second]).toEqual([
        { callId: 'call1', state: 'ended' },
        { callId: 'call1', state: 'ended' },
      ]);
      expect(w.sent).toEqual([{ to: ['a1='], event: 'call:hangup', data: { callId: 'call1', chatId: 'c1', userId: 'bob', reason: 'bye' } }]);
    });

    it('cancels a ringing call before the window ends, stopping every tab of the callee', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.sent.length = 0;
      w.at(RING_MS - 1);

      // Act
      const result = await w.service.hangup(alice, { callId: 'call1' });

      // Assess
      expect(result).toEqual({ callId: 'call1', state: 'ended' });
      expect(w.sent).toEqual([{ to: ['b1=', 'b2='], event: 'call:hangup', data: { callId: 'call1', chatId: 'c1', userId: 'alice' } }]);
    });

    it('settles a ringing call as missed once its window is over, whichever side hangs up first, and only once', async () => {
      // Prepare
      const w = world();
      await w.service.invite(alice, { chatId: 'c1', userId: 'bob' });
      w.sent.length = 0;
      w.at(RING_MS);

      // Act
      const byCallee = await w.service.hangup(bob2, { callId: 'call1', reason: 'timeout' });
      const byCaller = await w.service.hangup(alice, { callId: 'call1', reason: 'timeout' });

      // Assess
      expect([byCallee, byCaller]).toEqual([
        { callId: 'call1', state: 'missed' },
        { callId: 'call1', state: 'missed' },
      ]);
      expect(w.sent).toEqual([{ to: ['a1=', 'b1=', 'b2='], event: 'call:missed', data: { callId: 'call1', chatId: 'c1', userId: 'alice', reason: 'timeout' } }]);
    });

    it('answers NOT_FOUND to a user who is not a party of the call', async () => {
      // Prepare
      const w = await connectedCall();

      // Act
      const hangup = w.service.hangup({ userId: 'mallory', connectionId: 'm=' }, { callId: 'call1' });

      // Assess
      await expect(hangup).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(w.calls.rows.get('call1')?.state).toBe('connected');
    });
  });
});

describe('Constant: callPayloads', () => {
  it('accepts an SDP up to MAX_SDP_BYTES as JSON, counting the escapes of its line ends', () => {
    // Prepare: "\r\n" is 2 characters but 4 bytes in JSON.
    const lines = 'a=x\r\n'.repeat(Math.floor((MAX_SDP_BYTES - 2) / 7));
    const fits = lines;
    const tooBig = `${lines}a=x\r\n`;

    // Act + Assess
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThanOrEqual(MAX_SDP_BYTES);
    expect(callPayloads['call:offer']({ callId: 'c', sdp: fits })).toEqual({ callId: 'c', sdp: fits });
    expect(tooBig.length).toBeLessThan(MAX_SDP_BYTES);
    expect(() => callPayloads['call:offer']({ callId: 'c', sdp: tooBig })).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });

  it.each([
    ['call:invite', 'BAD_REQUEST', { chatId: 'c1' }],
    ['call:invite', 'BAD_REQUEST', { chatId: 'c1', userId: 'bob', media: 'smell' }],
    ['call:invite', 'BAD_REQUEST', { chatId: 'c1', userId: 'bob:x' }],
    ['call:accept', 'BAD_REQUEST', { callId: 'a#b' }],
    ['call:accept', 'BAD_REQUEST', { callId: 'c', extra: 1 }],
    ['call:reject', 'BAD_REQUEST', { callId: 'c', reason: 'x'.repeat(65) }],
    ['call:hangup', 'BAD_REQUEST', { callId: 'c', reason: 'line\u0007' }],
    ['call:offer', 'BAD_REQUEST', { callId: 'c', sdp: '   ' }],
    ['call:answer', 'BAD_REQUEST', { callId: 'c' }],
    ['call:ice', 'BAD_REQUEST', { callId: 'c' }],
    ['call:ice', 'BAD_REQUEST', { callId: 'c', candidate: { candidate: 'x', sdpMLineIndex: -1 } }],
    ['call:ice', 'BAD_REQUEST', { callId: 'c', candidate: { candidate: 'x', foundation: 'y' } }],
    ['call:ice', 'PAYLOAD_TOO_LARGE', { callId: 'c', candidate: { candidate: 'x'.repeat(1025) } }],
    ['call:ice', 'BAD_REQUEST', { callId: 'c', candidate: { candidate: 'x', sdpMid: 'y'.repeat(257) } }],
  ] as const)('refuses a bad %s payload with %s (case %#)', (action, code, data) => {
    // Act + Assess
    expect(() => callPayloads[action](data)).toThrow(expect.objectContaining({ code }));
  });

  it('keeps a candidate as RTCIceCandidate.toJSON() gives it, and null as the end of candidates', () => {
    // Prepare
    const candidate = { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null };

    // Act + Assess
    expect(callPayloads['call:ice']({ callId: 'c', candidate })).toEqual({ callId: 'c', candidate });
    expect(callPayloads['call:ice']({ callId: 'c', candidate: null })).toEqual({ callId: 'c', candidate: null });
  });
});
