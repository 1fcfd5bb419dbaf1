// @ts-check
/**
 * Audio calls between two participants of a chat: the signaling goes over
 * the lettera socket (`call:*` actions and events), the media peer to peer
 * with WebRTC. One call at a time; a second invite while busy is declined.
 *
 * The ring timeout has no server timer: each side starts its own timer of
 * the invite's `ringTimeoutMs` (the caller when the invite is acked, the
 * callee when it rings) and hangs up when it runs out; the server, seeing
 * the ring window over, ends the call as `call:missed` for both.
 *
 * Locally both tabs are on one machine, so host ICE candidates are enough:
 * no STUN or TURN server is configured.
 */
import { request } from './realtime.js';
import { isMe, state } from './store.js';
import { showError } from './views/banner.js';
import { renderCall } from './views/call.js';
import { messageOf } from './errors.js';

/**
 * @typedef {'idle' | 'calling' | 'incoming' | 'connecting' | 'connected' | 'ended' | 'missed' | 'rejected'} CallPhase
 * @typedef {{ callId: string, chatId: string, peerId: string, role: 'caller' | 'callee', phase: CallPhase,
 *   pc?: RTCPeerConnection, stream?: MediaStream, pendingIce: RTCIceCandidateInit[], ringTimer?: ReturnType<typeof setTimeout>,
 *   rtc: string }} Call
 */

/** The call of this tab, or null. @type {Call | null} */
let call = null;
/** What the panel says after a call ended, until the next one. @type {{ phase: CallPhase, peerId: string, callId: string } | null} */
let last = null;

/** The state the panel draws. */
export function callView() {
  if (call) return { phase: call.phase, peerId: call.peerId, rtc: call.rtc };
  return last ? { phase: last.phase, peerId: last.peerId, rtc: 'closed' } : { phase: /** @type {CallPhase} */ ('idle'), peerId: '', rtc: 'none' };
}

/** The other participants of the open chat: who the Call button can ring. */
export function callablePeers() {
  const chat = state.current ? state.chats.get(state.current) : undefined;
  return (chat?.participants ?? []).filter((userId) => !isMe(userId) && !state.blocked.has(userId));
}

/** @param {Call} c @param {number} ms */
function startRingTimer(c, ms) {
  // Never before the server's window ends: the timer starts after the server stamped it.
  c.ringTimer = setTimeout(() => {
    if (call === c && (c.phase === 'calling' || c.phase === 'incoming')) void hangUp('timeout');
  }, ms);
}

/** Ends this tab's call locally (no message to the server) and shows how it ended. @param {CallPhase} phase */
function finish(phase) {
  if (!call) return;
  clearTimeout(call.ringTimer);
  call.pc?.close();
  for (const track of call.stream?.getTracks() ?? []) track.stop();
  last = { phase, peerId: call.peerId, callId: call.callId };
  call = null;
  const audio = /** @type {HTMLAudioElement | null} */ (document.getElementById('call-audio'));
  if (audio) audio.srcObject = null;
  renderCall();
}

/** The microphone and a peer connection that sends its candidates over the socket. @param {Call} c */
async function preparePeer(c) {
  c.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  const pc = new RTCPeerConnection({ iceServers: [] });
  c.pc = pc;
  for (const track of c.stream.getTracks()) pc.addTrack(track, c.stream);
  pc.addEventListener('icecandidate', (ev) => {
    if (call !== c) return;
    const { candidate } = ev;
    const init = candidate && { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex, usernameFragment: candidate.usernameFragment };
    void request('call:ice', { callId: c.callId, candidate: init }).catch(reportFailure);
  });
  pc.addEventListener('track', (ev) => {
    const audio = /** @type {HTMLAudioElement | null} */ (document.getElementById('call-audio'));
    if (audio) audio.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
  });
  pc.addEventListener('connectionstatechange', () => {
    if (call !== c) return;
    c.rtc = pc.connectionState;
    if (pc.connectionState === 'connected') c.phase = 'connected';
    if (pc.connectionState === 'failed') {
      showError('The call lost its connection');
      void hangUp('failed');
      return;
    }
    renderCall();
  });
  return pc;
}

/** Candidates that came before the remote description wait for it. @param {Call} c */
async function flushIce(c) {
  const pending = c.pendingIce.splice(0);
  for (const candidate of pending) await c.pc?.addIceCandidate(candidate);
}

/** @param {unknown} err */
function reportFailure(err) {
  showError(`Call: ${messageOf(err)}`);
}

/** Rings a participant of the open chat. @param {string} peerId */
export async function startCall(peerId) {
  const chatId = state.current;
  if (!chatId || call) return;
  last = null;
  try {
    const ack = await request('call:invite', { chatId, userId: peerId, media: 'audio' });
    if (ack.state === 'missed') {
      last = { phase: 'missed', peerId, callId: ack.callId };
      renderCall();
      return;
    }
    call = { callId: ack.callId, chatId, peerId, role: 'caller', phase: 'calling', pendingIce: [], rtc: 'new' };
    startRingTimer(call, ack.ringTimeoutMs);
    renderCall();
  } catch (err) {
    reportFailure(err);
  }
}

export async function acceptCall() {
  const c = call;
  if (!c || c.phase !== 'incoming') return;
  clearTimeout(c.ringTimer);
  c.phase = 'connecting';
  renderCall();
  try {
    // The microphone first: the caller's offer may follow the accept within milliseconds.
    await preparePeer(c);
    await request('call:accept', { callId: c.callId });
  } catch (err) {
    reportFailure(err);
    finish('ended');
  }
}

export async function rejectCall() {
  const c = call;
  if (!c || c.phase !== 'incoming') return;
  finish('rejected');
  await request('call:reject', { callId: c.callId, reason: 'declined' }).catch(reportFailure);
}

/** Hangs up (or cancels, or gives up ringing). @param {string} [reason] */
export async function hangUp(reason) {
  const c = call;
  if (!c) return;
  finish('ended');
  try {
    const ack = await request('call:hangup', { callId: c.callId, ...(reason !== undefined && { reason }) });
    // After the ring window the server settled it as missed (its call:missed may also arrive).
    if (ack.state === 'missed') {
      last = { phase: 'missed', peerId: c.peerId, callId: c.callId };
      renderCall();
    }
  } catch (err) {
    reportFailure(err);
  }
}

/**
 * Listens to the call events of a socket (of the current session only:
 * events of a socket from before "Switch user" are dropped).
 * @param {import('/lettera-client.js').ChatSocket} socket
 */
export function watchCalls(socket) {
  const generation = state.generation;
  /**
   * @template {unknown[]} A
   * @param {(...args: A) => unknown} fn
   * @returns {(...args: A) => void}
   */
  const live = (fn) => (...args) => {
    if (generation === state.generation) void fn(...args);
  };
  socket.on('call:invite', live((data) => {
    if (call) {
      // One call at a time.
      void request('call:reject', { callId: data.callId, reason: 'busy' }).catch(() => undefined);
      return;
    }
    last = null;
    call = { callId: data.callId, chatId: data.chatId, peerId: data.userId, role: 'callee', phase: 'incoming', pendingIce: [], rtc: 'new' };
    startRingTimer(call, data.ringTimeoutMs);
    renderCall();
  }));
  socket.on('call:accept', live(async (data) => {
    const c = call;
    if (!c || c.callId !== data.callId) return;
    // Answered on another tab of this user: this one stops ringing.
    if (c.role === 'callee') return finish('ended');
    clearTimeout(c.ringTimer);
    c.phase = 'connecting';
    renderCall();
    try {
      const pc = await preparePeer(c);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await request('call:offer', { callId: c.callId, sdp: offer.sdp ?? '' });
    } catch (err) {
      reportFailure(err);
      void hangUp('failed');
    }
  }));
  socket.on('call:offer', live(async (data) => {
    const c = call;
    if (!c?.pc || c.callId !== data.callId) return;
    try {
      await c.pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
      await flushIce(c);
      const answer = await c.pc.createAnswer();
      await c.pc.setLocalDescription(answer);
      await request('call:answer', { callId: c.callId, sdp: answer.sdp ?? '' });
    } catch (err) {
      reportFailure(err);
      void hangUp('failed');
    }
  }));
  socket.on('call:answer', live(async (data) => {
    const c = call;
    if (!c?.pc || c.callId !== data.callId) return;
    await c.pc.setRemoteDescription({ type: 'answer', sdp: data.sdp }).catch(reportFailure);
    await flushIce(c).catch(reportFailure);
  }));
  socket.on('call:ice', live(async (data) => {
    const c = call;
    if (!c || c.callId !== data.callId || data.candidate === null) return;
    if (!c.pc?.remoteDescription) c.pendingIce.push(data.candidate);
    else await c.pc.addIceCandidate(data.candidate).catch(reportFailure);
  }));
  for (const [event, phase] of /** @type {const} */ ([['call:reject', 'rejected'], ['call:hangup', 'ended'], ['call:missed', 'missed']])) {
    socket.on(event, live((data) => {
      if (call?.callId === data.callId) finish(phase);
      // This side's ring timer may have ended it a moment before: the server says how.
      else if (event === 'call:missed' && last?.callId === data.callId) last = { ...last, phase: 'missed' };
      renderCall();
    }));
  }
  socket.on('disconnect', live((reason) => {
    // A socket closed on purpose (switch user) ends the call; a dropped one keeps the peers talking.
    if (reason === 'io client disconnect') finish('ended');
  }));
}
