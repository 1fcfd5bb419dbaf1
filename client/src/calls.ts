/**
 * lettera-realtime-client/calls: the client's half of the ring timeout, in
 * its own module so the core bundle stays small (the call actions and
 * events themselves are typed in the core's event maps and sent with the
 * generic `emit`).
 *
 * The server keeps no timer per call: a ringing call is missed from the end
 * of its ring window, and the first event of the call after that settles it
 * as `call:missed` for both sides. This module sends that event: each side
 * starts a timer of the invite's `ringTimeoutMs` (the caller when the invite
 * is acked, the callee when it rings, so never before the server's window
 * ends) and sends `call:hangup` with reason `timeout` when it runs out,
 * unless the call was answered, declined or ended first.
 *
 * @example
 * import { connect } from 'lettera-realtime-client';
 * import { watchRinging } from 'lettera-realtime-client/calls';
 *
 * const socket = connect(url, { auth: { token } });
 * const calls = watchRinging(socket);
 * socket.on('call:invite', ({ callId, userId }) => showIncomingCall(callId, userId));
 * socket.on('call:missed', ({ callId }) => showMissed(callId));
 * const { callId } = await calls.invite({ chatId: 'c1', userId: 'bob' });
 * // later, on this or the other side: await calls.accept(callId) / calls.reject(callId) / calls.hangup(callId)
 */
import type { CallAckResults, CallActions, CallEventData } from '../../protocol';
import type { ChatSocket } from './socket';
import type { ClientEmitActions, ServerListenEvents } from './typed-events';

export { CALL_RING_TIMEOUT_MS, MAX_CALL_REASON_LENGTH, MAX_ICE_CANDIDATE_LENGTH, MAX_SDP_BYTES } from '../../protocol';

/** What watchRinging needs of a socket. */
export type CallSocket = Pick<ChatSocket<ServerListenEvents, ClientEmitActions>, 'on' | 'off' | 'emit' | 'emitWithAck'>;

export interface RingingCalls {
  /** Rings a participant (`call:invite`) and, when it rings, starts this side's ring timer. */
  invite(data: CallActions['call:invite']): Promise<CallAckResults['call:invite']>;
  /** Answers a ringing call (`call:accept`), stopping its timer. */
  accept(callId: string): Promise<CallAckResults['call:accept']>;
  /** Declines a ringing call (`call:reject`), stopping its timer. */
  reject(callId: string, reason?: string): Promise<CallAckResults['call:reject']>;
  /** Ends or cancels a call (`call:hangup`), stopping its timer. */
  hangup(callId: string, reason?: string): Promise<CallAckResults['call:hangup']>;
  /** The calls whose ring timer runs. */
  readonly ringing: ReadonlySet<string>;
  /** Stops listening and clears every timer. */
  close(): void;
}

/** Events after which a call no longer rings. */
const SETTLING_EVENTS = ['call:accept', 'call:reject', 'call:hangup', 'call:missed'] as const;

/**
 * Runs the ring timers of a socket's calls: incoming ones from their
 * `call:invite`, outgoing ones from the ack of {@link RingingCalls.invite}.
 *
 * @example
 * const calls = watchRinging(socket);
 * socket.on('call:invite', ({ callId }) => ring(callId)); // if nobody answers, the timer hangs up and both get call:missed
 */
export function watchRinging(socket: CallSocket): RingingCalls {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const stop = (callId: string): void => {
    clearTimeout(timers.get(callId));
    timers.delete(callId);
  };
  const start = (callId: string, ms: number): void => {
    stop(callId);
    timers.set(
      callId,
      setTimeout(() => {
        timers.delete(callId);
        // The answer is the server's: call:missed arrives for both sides (an error ack means it ended meanwhile).
        socket.emit('call:hangup', { callId, reason: 'timeout' }, () => undefined);
      }, ms),
    );
  };
  const onInvite: ServerListenEvents['call:invite'] = ({ callId, ringTimeoutMs }) => start(callId, ringTimeoutMs);
  const onSettled = ({ callId }: CallEventData): void => stop(callId);
  socket.on('call:invite', onInvite);
  for (const event of SETTLING_EVENTS) socket.on(event, onSettled);
  const settle = <T>(callId: string, sent: Promise<T>): Promise<T> => {
    stop(callId);
    return sent;
  };
  return {
    async invite(data) {
      const ack = await socket.emitWithAck('call:invite', data);
      if (ack.state === 'ringing') start(ack.callId, ack.ringTimeoutMs);
      return ack;
    },
    accept: (callId) => settle(callId, socket.emitWithAck('call:accept', { callId })),
    reject: (callId, reason) => settle(callId, socket.emitWithAck('call:reject', { callId, ...(reason !== undefined && { reason }) })),
    hangup: (callId, reason) => settle(callId, socket.emitWithAck('call:hangup', { callId, ...(reason !== undefined && { reason }) })),
    get ringing() {
      return new Set(timers.keys());
    },
    close() {
      socket.off('call:invite', onInvite);
      for (const event of SETTLING_EVENTS) socket.off(event, onSettled);
      for (const callId of [...timers.keys()]) stop(callId);
    },
  };
}
