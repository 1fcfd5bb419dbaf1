/**
 * Call signaling: a 1:1 call between two participants of a chat. The
 * signals (invite, accept, reject, offer, answer, ICE, hangup) are volatile
 * like typing: relayed to the other side's connections and never stored or
 * retried. What is stored is the call itself (a CallRow): its state, the
 * two connections that signal, and when the ring window ends.
 *
 * The ring timeout has no server timer. A ringing call is missed from
 * `ringsUntil` on, and whichever event of the call reaches the server next
 * settles it: a late accept or reject is refused and the call ends as
 * `call:missed` for both; so does a hangup after `ringsUntil`, which both
 * sides' clients send when their own ring timer (the invite's
 * `ringTimeoutMs`, started when the invite or its ack arrived, so never
 * before the server's window ends) runs out. The first write settles the
 * call; the other finds it missed and changes nothing. A side without a
 * connection has nobody to tell, and the row's TTL removes the call. The
 * local runtime behaves the same, having no timer either.
 */
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError, RateLimitedError } from '../commons/errors';
import { randomId } from '../commons/ids';
import {
  JSON_SUBPROTOCOL,
  MAX_CALL_REASON_LENGTH,
  MAX_ICE_CANDIDATE_LENGTH,
  MAX_ICE_FIELD_LENGTH,
  MAX_SDP_BYTES,
  type CallActions,
  type CallAckResults,
  type CallServerEvents,
  type CallState,
  type EventEnvelope,
  type IceCandidate,
  type ServerEvents,
  type WireProtocol,
} from '../../protocol';
import { roomOf } from '../system/schema';
import { admitInWindow, type FixedWindow } from './rate-window';
import {
  CONNECTION_TTL_SECONDS,
  type CallRow,
  type CallStore,
  type CallWrite,
  type InviteCounterRow,
  type MembershipStore,
  type RoomBroadcaster,
  type RoomMember,
  type RoomStore,
  type UserStore,
} from './ports';
import type { Caller } from './typing';
import { chatIdOf, expectFields, isPlainObject, userIdOf } from './validation';

export type CallActionName = keyof CallActions;

/** The window of the invite limit: `inviteRateLimit` invites per user per minute. */
export const INVITE_WINDOW_MS = 60_000;
/** The window of the signal limit: `signalRateLimit` offers, answers and candidates per call per 10 s. */
export const SIGNAL_WINDOW_MS = 10_000;

/** The call limits (settings: see system/limits.ts). */
export interface CallLimits {
  ringTimeoutMs: number;
  inviteRateLimit: number;
  signalRateLimit: number;
}

export interface CallDeps {
  calls: CallStore;
  rooms: Pick<RoomStore, 'has' | 'members'>;
  memberships: Pick<MembershipStore, 'get'>;
  users: Pick<UserStore, 'relationsOf'>;
  broadcaster: Pick<RoomBroadcaster, 'toMembers'>;
  limits: CallLimits;
  /** Injected for tests. @default Date.now */
  now?: () => number;
  /** Injected for tests. @default randomId */
  newCallId?: () => string;
}

/** Who acts: a connection as its Connections row says (its protocol tells how to reach it later). */
export interface CallCaller extends Caller {
  protocol?: WireProtocol;
  /** The connection's token `exp` (epoch s). */
  tokenExpiresAt?: number;
}

// ---------------------------------------------------------------------------
// Payloads: checked before any I/O, unknown fields refused.
// ---------------------------------------------------------------------------

/** Call ids are randomId()s; anything in the safe key charset is accepted (and then not found). */
export const CALL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
// Control characters would let a reason forge lines in a receiving UI or log.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function callIdOf(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequestError('callId must be a string');
  if (!CALL_ID_PATTERN.test(value)) throw new BadRequestError('callId is not a valid id');
  return value;
}

function optionalText(value: unknown, name: string, max: number, nullable = false): string | null | undefined {
  if (value === undefined || (nullable && value === null)) return value as undefined | null;
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be a string`);
  if (value.length > max) throw new BadRequestError(`${name} is longer than ${max} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw new BadRequestError(`${name} must not contain control characters`);
  return value;
}

/** An SDP: a non-empty string of at most MAX_SDP_BYTES once JSON-encoded (its CRLFs become 4 bytes each). */
function sdpOf(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequestError('sdp must be a string');
  if (value.trim() === '') throw new BadRequestError('sdp must not be empty');
  // The length check first: no need to encode a string that is too long in any encoding.
  if (value.length > MAX_SDP_BYTES || Buffer.byteLength(JSON.stringify(value)) > MAX_SDP_BYTES) {
    throw new PayloadTooLargeError(`sdp is larger than ${MAX_SDP_BYTES} bytes`);
  }
  return value;
}

function candidateOf(value: unknown): IceCandidate | null {
  if (value === null) return null;
  const fields = expectFields(value, ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment'], ['candidate'], 'candidate');
  const { candidate, sdpMLineIndex } = fields;
  if (typeof candidate !== 'string') throw new BadRequestError('candidate.candidate must be a string');
  if (candidate.length > MAX_ICE_CANDIDATE_LENGTH) throw new PayloadTooLargeError(`candidate.candidate is longer than ${MAX_ICE_CANDIDATE_LENGTH} characters`);
  if (CONTROL_CHARACTERS.test(candidate)) throw new BadRequestError('candidate.candidate must not contain control characters');
  if (sdpMLineIndex !== undefined && sdpMLineIndex !== null && !(Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0 && (sdpMLineIndex as number) <= 0xffff)) {
    throw new BadRequestError('candidate.sdpMLineIndex must be an integer from 0 to 65535 or null');
  }
  const sdpMid = optionalText(fields.sdpMid, 'candidate.sdpMid', MAX_ICE_FIELD_LENGTH, true);
  const usernameFragment = optionalText(fields.usernameFragment, 'candidate.usernameFragment', MAX_ICE_FIELD_LENGTH, true);
  return {
    candidate,
    ...(sdpMid !== undefined && { sdpMid }),
    ...(sdpMLineIndex !== undefined && { sdpMLineIndex: sdpMLineIndex as number | null }),
    ...(usernameFragment !== undefined && { usernameFragment }),
  };
}

function withReason(data: unknown, what: string | undefined): { callId: string; reason?: string } {
  const fields = expectFields(data, ['callId', 'reason'], ['callId'], what);
  const reason = optionalText(fields.reason, 'reason', MAX_CALL_REASON_LENGTH);
  return { callId: callIdOf(fields.callId), ...(typeof reason === 'string' && { reason }) };
}

function withSdp(data: unknown, what: string | undefined): { callId: string; sdp: string } {
  const fields = expectFields(data, ['callId', 'sdp'], ['callId', 'sdp'], what);
  return { callId: callIdOf(fields.callId), sdp: sdpOf(fields.sdp) };
}

/** The payload parser of each call action; `what` names the payload in messages. */
export const callPayloads: { [A in CallActionName]: (data: unknown, what?: string) => CallActions[A] } = {
  'call:invite'(data, what) {
    const fields = expectFields(data, ['chatId', 'userId', 'media'], ['chatId', 'userId'], what);
    const { media } = fields;
    if (media !== undefined && media !== 'audio' && media !== 'video') throw new BadRequestError('media must be "audio" or "video"');
    return { chatId: chatIdOf(fields.chatId), userId: userIdOf(fields.userId), ...(media !== undefined && { media }) };
  },
  'call:accept': (data, what) => ({ callId: callIdOf(expectFields(data, ['callId'], ['callId'], what).callId) }),
  'call:reject': withReason,
  'call:offer': withSdp,
  'call:answer': withSdp,
  'call:ice'(data, what) {
    if (isPlainObject(data) && !Object.hasOwn(data, 'candidate')) throw new BadRequestError(`${what ?? 'data'}.candidate is required (null ends the candidates)`);
    const fields = expectFields(data, ['callId', 'candidate'], ['callId'], what);
    return { callId: callIdOf(fields.callId), candidate: candidateOf(fields.candidate) };
  },
  'call:hangup': withReason,
};

// ---------------------------------------------------------------------------
// The service.
// ---------------------------------------------------------------------------

export interface CallService {
  /** Rings a participant of the chat on every connection they have. */
  invite(caller: CallCaller, data: CallActions['call:invite']): Promise<CallAckResults['call:invite']>;
  accept(caller: CallCaller, data: CallActions['call:accept']): Promise<CallAckResults['call:accept']>;
  reject(caller: CallCaller, data: CallActions['call:reject']): Promise<CallAckResults['call:reject']>;
  /** Relays an offer, answer or ICE candidate to the other connection of a connected call. */
  signal<A extends 'call:offer' | 'call:answer' | 'call:ice'>(caller: CallCaller, action: A, data: CallActions[A]): Promise<{ delivered: boolean }>;
  hangup(caller: CallCaller, data: CallActions['call:hangup']): Promise<CallAckResults['call:hangup']>;
}

const ENDED: ReadonlySet<CallState> = new Set(['ended', 'rejected', 'missed']);
const noSuchCall = (): NotFoundError => new NotFoundError('No such call');

/** The key of a call's row in the Connections table. */
export const callKey = (callId: string): string => `call#${callId}`;
/** The key of a user's invite counter. */
export const inviteCounterKey = (userId: string): string => `calls#${userId}`;

/**
 * Creates the call service. Costs, in DynamoDB requests: an invite 2
 * GetItem, 2 Query, 1 UpdateItem and 1 PutItem; an accept, reject or
 * hangup 1 GetItem, 1 UpdateItem and (ringing) 1 Query; an offer, answer
 * or candidate 1 UpdateItem. Plus one PostToConnection per recipient.
 *
 * @example
 * const calls = createCallService({ calls, rooms, memberships, users, broadcaster, limits });
 * await calls.invite({ userId: 'alice', connectionId: 'abc=', protocol: 'lettera.v1' }, { chatId: 'c1', userId: 'bob' });
 */
export function createCallService(deps: CallDeps): CallService {
  const now = deps.now ?? Date.now;
  const newCallId = deps.newCallId ?? randomId;
  const { limits } = deps;

  const envelope = <E extends keyof CallServerEvents>(event: E, data: ServerEvents[E]): EventEnvelope<E> => ({ event, data, id: randomId(), ts: now() });
  const connectionsOf = (userId: string): Promise<RoomMember[]> => deps.rooms.members(roomOf.user(userId));
  // The token's exp travels with the member, as on a room row: the broadcaster closes an expired recipient instead of posting.
  const callerMember = (row: CallRow): RoomMember => ({
    connectionId: row.callerConnectionId,
    userId: row.callerId,
    protocol: row.callerProtocol,
    ...(row.callerTokenExpiresAt !== undefined && { tokenExpiresAt: row.callerTokenExpiresAt }),
  });
  const calleeMember = (row: CallRow): RoomMember | undefined =>
    row.calleeConnectionId === undefined
      ? undefined
      : {
          connectionId: row.calleeConnectionId,
          userId: row.calleeId,
          protocol: row.calleeProtocol ?? JSON_SUBPROTOCOL,
          ...(row.calleeTokenExpiresAt !== undefined && { tokenExpiresAt: row.calleeTokenExpiresAt }),
        };
  const send = async (members: readonly RoomMember[], event: EventEnvelope): Promise<number> =>
    members.length === 0 ? 0 : (await deps.broadcaster.toMembers(members, event)).delivered;

  /** Everyone a ringing call concerns: the caller's connection and every connection of the callee, but not the one acting. */
  const ringingParties = async (row: CallRow, exceptConnectionId?: string): Promise<RoomMember[]> =>
    [callerMember(row), ...(await connectionsOf(row.calleeId))].filter((m) => m.connectionId !== exceptConnectionId);

  /** Loads a call the caller is a party of; anyone else is told it does not exist. */
  const load = async (caller: CallCaller, callId: string, party: 'caller' | 'callee' | 'either'): Promise<CallRow> => {
    const row = await deps.calls.get(callId);
    if (row === undefined) throw noSuchCall();
    const isCaller = row.callerId === caller.userId;
    const isCallee = row.calleeId === caller.userId;
    if (party === 'caller' ? !isCaller : party === 'callee' ? !isCallee : !isCaller && !isCallee) throw noSuchCall();
    return row;
  };

  /** Applies a change from the state read; a concurrent change wins and this one is refused. */
  const transition = async (row: CallRow, change: Parameters<CallStore['transition']>[2]): Promise<CallRow> => {
    const write = await deps.calls.transition(row.callId, row.state, change);
    if (write.outcome === 'written') return write.row;
    throw new ConflictError(write.outcome === 'absent' ? 'The call has ended' : `The call is ${write.old.state}`);
  };

  /**
   * Settles a ringing call whose window is over as missed, telling both
   * sides, once: the first write wins. Returns the state the call ended in
   * (another event may have settled it first).
   */
  const miss = async (row: CallRow, reason: 'timeout' | 'unavailable'): Promise<CallState> => {
    const write = await deps.calls.transition(row.callId, 'ringing', { state: 'missed', endedAt: now() });
    if (write.outcome === 'absent') return 'missed';
    if (write.outcome === 'refused') return write.old.state;
    const event = envelope('call:missed', { callId: row.callId, chatId: row.chatId, userId: row.callerId, reason });
    await send(await ringingParties(row), event);
    return 'missed';
  };

  /** Refuses an answer to a call that is not ringing any more (settling a timed-out one first). */
  const expectRinging = async (row: CallRow): Promise<void> => {
    if (row.state === 'ringing' && now() >= row.ringsUntil) {
      await miss(row, 'timeout');
      throw new ConflictError('The call was not answered in time');
    }
    if (row.state !== 'ringing') throw new ConflictError(`The call is ${row.state}`);
  };

  const inviteWindow = (userId: string, nowMs: number): FixedWindow<InviteCounterRow> => ({
    count: () => deps.calls.countInvite(userId, nowMs, limits.inviteRateLimit),
    reopen: () => deps.calls.reopenInvites(userId, nowMs, INVITE_WINDOW_MS),
    openedAt: (row) => row.inviteWindow,
    absent: () => new Error('invite counters are created on first use'),
    refusal: (retryAfterMs) => new RateLimitedError(`Too many calls: at most ${limits.inviteRateLimit} a minute`, { retryAfterMs }),
  });

  /** A refused signal write whose call is not connected, or not this connection's, is not a rate limit. */
  const checkSignalRow = (write: CallWrite, connectionId: string): CallWrite => {
    if (write.outcome === 'absent') throw noSuchCall();
    if (write.outcome === 'refused') {
      const { old } = write;
      if (old.callerConnectionId !== connectionId && old.calleeConnectionId !== connectionId) throw noSuchCall();
      if (old.state === 'ringing') throw new ConflictError('The call has not been accepted yet');
      if (old.state !== 'connected') throw new ConflictError(`The call is ${old.state}`);
    }
    return write;
  };

  const signalWindow = (callId: string, connectionId: string, nowMs: number): FixedWindow<CallRow> => ({
    count: async () => checkSignalRow(await deps.calls.countSignal(callId, connectionId, nowMs, limits.signalRateLimit), connectionId),
    reopen: async () => checkSignalRow(await deps.calls.reopenSignals(callId, connectionId, nowMs, SIGNAL_WINDOW_MS), connectionId),
    openedAt: (row) => row.signalWindow,
    absent: noSuchCall,
    refusal: (retryAfterMs) =>
      new RateLimitedError(`Too many signals for this call: at most ${limits.signalRateLimit} per ${SIGNAL_WINDOW_MS / 1000} s`, { retryAfterMs }),
  });

  return {
    async invite(caller, { chatId, userId: calleeId, media = 'audio' }) {
      if (calleeId === caller.userId) throw new BadRequestError('You cannot call yourself');
      // The room row proves both membership and that this very connection joined the chat.
      if (!(await deps.rooms.has(roomOf.chat(chatId), caller.connectionId))) throw new ForbiddenError('Not a participant of this chat');
      if ((await deps.memberships.get(chatId, calleeId)) === undefined) throw new ForbiddenError('The user you call is not a participant of this chat');
      // Either side's block: the blocker is never rung, and never rings the one blocked.
      if ((await deps.users.relationsOf(caller.userId)).has(calleeId)) throw new ForbiddenError('You cannot call this user');

      const createdAt = now();
      // Counted only once the invite is acceptable: a refused one writes nothing.
      await admitInWindow(inviteWindow(caller.userId, createdAt), createdAt, INVITE_WINDOW_MS);
      const callId = newCallId();
      const row: CallRow = {
        connectionId: callKey(callId),
        callId,
        chatId,
        callerId: caller.userId,
        calleeId,
        media,
        state: 'ringing',
        callerConnectionId: caller.connectionId,
        callerProtocol: caller.protocol ?? JSON_SUBPROTOCOL,
        ...(caller.tokenExpiresAt !== undefined && { callerTokenExpiresAt: caller.tokenExpiresAt }),
        createdAt,
        ringsUntil: createdAt + limits.ringTimeoutMs,
        // A call cannot outlive its connections (API Gateway's 2 h).
        expiresAt: Math.floor(createdAt / 1000) + CONNECTION_TTL_SECONDS,
      };
      await deps.calls.put(row);

      const callees = await connectionsOf(calleeId);
      const ringing = await send(callees, envelope('call:invite', { callId: row.callId, chatId, userId: caller.userId, media, ringTimeoutMs: limits.ringTimeoutMs }));
      const result = { callId: row.callId, chatId, ringTimeoutMs: limits.ringTimeoutMs };
      if (ringing > 0) return { ...result, state: 'ringing' };
      // Nobody to ring: missed at once rather than after the window.
      await miss(row, 'unavailable');
      return { ...result, state: 'missed' };
    },

    async accept(caller, { callId }) {
      const row = await load(caller, callId, 'callee');
      await expectRinging(row);
      const answeredAt = now();
      const answered = await transition(row, {
        state: 'connected',
        calleeConnectionId: caller.connectionId,
        calleeProtocol: caller.protocol ?? JSON_SUBPROTOCOL,
        ...(caller.tokenExpiresAt !== undefined && { calleeTokenExpiresAt: caller.tokenExpiresAt }),
        answeredAt,
      });
      // The caller learns it was answered; the callee's other tabs stop ringing.
      await send(await ringingParties(answered, caller.connectionId), envelope('call:accept', { callId, chatId: row.chatId, userId: caller.userId }));
      return { callId, state: answered.state };
    },

    async reject(caller, { callId, reason }) {
      const row = await load(caller, callId, 'callee');
      await expectRinging(row);
      const rejected = await transition(row, { state: 'rejected', endedAt: now() });
      const event = envelope('call:reject', { callId, chatId: row.chatId, userId: caller.userId, ...(reason !== undefined && { reason }) });
      await send(await ringingParties(rejected, caller.connectionId), event);
      return { callId, state: rejected.state };
    },

    async signal(caller, action, data) {
      const nowMs = now();
      const row = await admitInWindow(signalWindow(data.callId, caller.connectionId, nowMs), nowMs, SIGNAL_WINDOW_MS);
      const peer = row.callerConnectionId === caller.connectionId ? calleeMember(row) : callerMember(row);
      const base = { callId: row.callId, chatId: row.chatId, userId: caller.userId };
      const event =
        action === 'call:ice'
          ? envelope('call:ice', { ...base, candidate: (data as CallActions['call:ice']).candidate })
          : envelope(action as 'call:offer' | 'call:answer', { ...base, sdp: (data as CallActions['call:offer']).sdp });
      return { delivered: peer !== undefined && (await send([peer], event)) > 0 };
    },

    async hangup(caller, { callId, reason }) {
      const row = await load(caller, callId, 'either');
      // Hanging up twice (both sides' ring timers, a double click) changes nothing.
      if (ENDED.has(row.state)) return { callId, state: row.state };
      if (row.state === 'ringing' && now() >= row.ringsUntil) return { callId, state: await miss(row, 'timeout') };
      const ended = await transition(row, { state: 'ended', endedAt: now() });
      const recipients =
        row.state === 'ringing'
          ? await ringingParties(ended, caller.connectionId)
          : [callerMember(ended), calleeMember(ended)].filter((m): m is RoomMember => m !== undefined && m.connectionId !== caller.connectionId);
      const event = envelope('call:hangup', { callId, chatId: row.chatId, userId: caller.userId, ...(reason !== undefined && { reason }) });
      await send(recipients, event);
      return { callId, state: ended.state };
    },
  };
}

/**
 * Runs one call action for a known caller (both wire protocols come here
 * through the actions table).
 */
export function runCallAction<A extends CallActionName>(service: CallService, caller: CallCaller, action: A, data: CallActions[A]): Promise<CallAckResults[A]> {
  const run = {
    'call:invite': (d: CallActions['call:invite']) => service.invite(caller, d),
    'call:accept': (d: CallActions['call:accept']) => service.accept(caller, d),
    'call:reject': (d: CallActions['call:reject']) => service.reject(caller, d),
    'call:offer': (d: CallActions['call:offer']) => service.signal(caller, 'call:offer', d),
    'call:answer': (d: CallActions['call:answer']) => service.signal(caller, 'call:answer', d),
    'call:ice': (d: CallActions['call:ice']) => service.signal(caller, 'call:ice', d),
    'call:hangup': (d: CallActions['call:hangup']) => service.hangup(caller, d),
  } as { [K in CallActionName]: (d: CallActions[K]) => Promise<CallAckResults[K]> };
  return run[action](data);
}
