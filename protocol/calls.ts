/**
 * Call signaling: a 1:1 voice or video call between two participants of a
 * chat, set up over the realtime connection (WebRTC offer, answer and ICE
 * candidates relayed, never stored), with the limits both sides check.
 *
 * The flow: the caller sends `call:invite`; every connection of the callee
 * receives it and rings for `ringTimeoutMs`; one of them answers with
 * `call:accept` (or `call:reject`); from then on the call is between the
 * caller's inviting connection and the callee's accepting one, which
 * exchange `call:offer`, `call:answer` and `call:ice`; either side ends it
 * with `call:hangup`. A call not answered within `ringTimeoutMs` ends as
 * `call:missed` for both.
 */

/** The media a call asks for; the WebRTC session decides the tracks, this only tells the callee what to show. */
export type CallMedia = 'audio' | 'video';

/**
 * Where a call stands. `ringing` until answered; then `connected` (the
 * peers signal each other) until a hangup (`ended`); `rejected` by the
 * callee; `missed` when the ring timed out or the callee had no connection.
 */
export type CallState = 'ringing' | 'connected' | 'ended' | 'rejected' | 'missed';

/** Largest SDP accepted, in bytes of UTF-8 once written as a JSON string (escapes counted): the relayed frame stays under API Gateway's 32 KB frame. */
export const MAX_SDP_BYTES = 16 * 1024;

/** Largest ICE candidate line accepted, in characters (real ones are about 100–250). */
export const MAX_ICE_CANDIDATE_LENGTH = 1024;

/** Largest `sdpMid` and `usernameFragment` of an ICE candidate, in characters. */
export const MAX_ICE_FIELD_LENGTH = 256;

/** Largest `reason` of a reject or hangup, in characters. */
export const MAX_CALL_REASON_LENGTH = 64;

/** How long a call rings by default before it is missed (the server's setting may differ: the invite says). */
export const CALL_RING_TIMEOUT_MS = 30_000;

/** An ICE candidate as RTCIceCandidate.toJSON() gives it. */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** Client → server call actions and their payloads. */
export interface CallActions {
  /** Rings `userId`, a participant of `chatId` other than the caller. */
  'call:invite': { chatId: string; userId: string; media?: CallMedia };
  'call:accept': { callId: string };
  'call:reject': { callId: string; reason?: string };
  'call:offer': { callId: string; sdp: string };
  'call:answer': { callId: string; sdp: string };
  /** `candidate: null` says the sender has no more candidates. */
  'call:ice': { callId: string; candidate: IceCandidate | null };
  /** Ends the call (cancels it while ringing); hanging up an ended call changes nothing. */
  'call:hangup': { callId: string; reason?: string };
}

/** Where a call stands after an action. */
export interface CallStatus {
  callId: string;
  state: CallState;
}

/** What each call action's ack carries on success. */
export interface CallAckResults {
  /** `state: 'missed'` when the callee had no open connection; `ringTimeoutMs` is how long it rings otherwise. */
  'call:invite': CallStatus & { chatId: string; ringTimeoutMs: number };
  'call:accept': CallStatus;
  'call:reject': CallStatus;
  'call:offer': { delivered: boolean };
  'call:answer': { delivered: boolean };
  'call:ice': { delivered: boolean };
  'call:hangup': CallStatus;
}

/** What every call event carries: the call, its chat, and the user whose action it reports. */
export interface CallEventData {
  callId: string;
  chatId: string;
  /** Who acted: the caller for an invite, offer or their hangup; the callee for an accept or reject. */
  userId: string;
}

/** Server → client call events and their data. */
export interface CallServerEvents {
  /** To every connection of the callee: ring for `ringTimeoutMs`. */
  'call:invite': CallEventData & { media: CallMedia; ringTimeoutMs: number };
  /** To the caller's connection, and to the callee's other connections (answered elsewhere: stop ringing). */
  'call:accept': CallEventData;
  'call:reject': CallEventData & { reason?: string };
  'call:offer': CallEventData & { sdp: string };
  'call:answer': CallEventData & { sdp: string };
  'call:ice': CallEventData & { candidate: IceCandidate | null };
  'call:hangup': CallEventData & { reason?: string };
  /** To both sides: nobody answered in time (`userId` is the caller). */
  'call:missed': CallEventData & { reason: 'timeout' | 'unavailable' };
}

/** Every call action, in the order of a call (route keys, the dispatch table, Socket.IO's accepted events). */
export const CALL_ACTIONS = ['call:invite', 'call:accept', 'call:reject', 'call:offer', 'call:answer', 'call:ice', 'call:hangup'] as const satisfies readonly (keyof CallActions)[];

/** Every call event (names a backend may not publish). */
// Written out, not spread from CALL_ACTIONS: a spread is not side-effect free to a bundler, which would then keep both arrays in every client bundle.
export const CALL_EVENTS = [
  'call:invite',
  'call:accept',
  'call:reject',
  'call:offer',
  'call:answer',
  'call:ice',
  'call:hangup',
  'call:missed',
] as const satisfies readonly (keyof CallServerEvents)[];
