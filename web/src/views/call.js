// @ts-check
/**
 * The call panel in the top bar (who is calling, ringing, connected, ended)
 * and the Call button of the open chat. `data-state` on #call is the call's
 * phase and `data-rtc` its RTCPeerConnection's connectionState, for styles
 * and tests.
 */
import { h } from '../dom.js';
import { nameOf } from '../store.js';

/**
 * @typedef {import('../call.js').CallPhase} CallPhase
 * @typedef {{
 *   view: () => { phase: CallPhase, peerId: string, rtc: string },
 *   peers: () => string[],
 *   start: (peerId: string) => void,
 *   accept: () => void,
 *   reject: () => void,
 *   hangUp: () => void,
 * }} CallPanelHandlers
 */

/** @type {CallPanelHandlers | null} */
let handlers = null;

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

/** @param {string} text @param {string} className @param {() => void} onClick */
function button(text, className, onClick) {
  const b = h('button', className, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** What the panel says in each phase. @type {Record<CallPhase, (name: string) => string>} */
const LABELS = {
  idle: () => '',
  calling: (name) => `Calling ${name}… (ringing)`,
  incoming: (name) => `${name} is calling (ringing)`,
  connecting: (name) => `Connecting to ${name}…`,
  connected: (name) => `In call with ${name} (connected)`,
  ended: (name) => `Call with ${name} ended`,
  missed: (name) => `Missed call with ${name}`,
  rejected: (name) => `${name} declined the call`,
};

/** Wires the Call button and remembers what the panel's buttons do. @param {CallPanelHandlers} given */
export function initCallPanel(given) {
  handlers = given;
  byId('call-start').addEventListener('click', () => {
    const peers = given.peers();
    if (peers.length === 1 && peers[0] !== undefined) given.start(peers[0]);
    else renderCall({ choose: peers });
  });
  renderCall();
}

/** Draws the panel from the call's state (or a choice of whom to call). @param {{ choose?: string[] }} [opts] */
export function renderCall(opts = {}) {
  if (!handlers) return;
  const { phase, peerId, rtc } = handlers.view();
  const panel = byId('call');
  panel.dataset.state = phase;
  panel.dataset.rtc = rtc;
  const name = peerId ? nameOf(peerId) : '';
  const status = byId('call-status');
  const actions = byId('call-actions');
  status.textContent = LABELS[phase](name);
  const { accept, reject, hangUp, start } = handlers;
  /** @type {HTMLElement[]} */
  let controls = [];
  if (phase === 'incoming') controls = [button('Accept', 'primary small call-accept', accept), button('Decline', 'link-button call-reject', reject)];
  else if (phase === 'calling' || phase === 'connecting' || phase === 'connected') controls = [button(phase === 'calling' ? 'Cancel' : 'Hang up', 'danger small call-hangup', hangUp)];
  else if (opts.choose) {
    status.textContent = opts.choose.length === 0 ? 'Nobody in this chat to call' : 'Call whom?';
    controls = opts.choose.map((userId) => button(`Call ${nameOf(userId)}`, 'link-button call-peer', () => start(userId)));
  }
  actions.replaceChildren(...controls);
  panel.hidden = phase === 'idle' && !opts.choose;
  /** @type {HTMLButtonElement} */ (byId('call-start')).disabled = phase === 'calling' || phase === 'incoming' || phase === 'connecting' || phase === 'connected';
}
