// @ts-check
/**
 * The socket: opened with the lettera client, its events handed to the
 * handlers given, and actions sent with an ack and a timeout. Events of a
 * previous session (a late callback after "Switch user") are dropped.
 */
import { connect } from '/lettera-client.js';
import { state } from './store.js';

/** How long an action waits for its ack before the page reports a failure. */
const ACK_TIMEOUT_MS = 10_000;

/**
 * @typedef {import('/lettera-client.js').ServerListenEvents} Events
 * @typedef {{
 *   connect: () => void,
 *   disconnect: (reason: string) => void,
 *   connectError: (err: unknown) => void,
 *   messageNew: (m: import('/lettera-client.js').MessageNewData) => void,
 *   messageEdited: (e: import('/lettera-client.js').MessageEditedData) => void,
 *   messageDeleted: (e: import('/lettera-client.js').MessageDeletedData) => void,
 *   typing: (d: import('/lettera-client.js').TypingData) => void,
 *   stopTyping: (d: import('/lettera-client.js').TypingData) => void,
 *   presence: (userId: string, status: 'online' | 'offline', at: string) => void,
 *   status: (d: { userId: string, state: import('/lettera-client.js').PresenceState, text?: string }) => void,
 *   memberAdded: (d: import('/lettera-client.js').MemberAddedData) => void,
 *   memberRemoved: (d: import('/lettera-client.js').MemberRemovedData) => void,
 *   roleChanged: (d: import('/lettera-client.js').RoleChangedData) => void,
 *   blockChanged: (userId: string, blocked: boolean) => void,
 *   messageRead: (d: import('/lettera-client.js').MessageReadData) => void,
 *   error: (err: unknown) => void,
 *   recoveryError: (err: unknown, chatId: string) => void,
 * }} RealtimeHandlers
 */

/**
 * Connects as the signed-in user; `auth` is a function so every reconnect
 * reads the current token.
 * @param {import('./store.js').PageConfig} config @param {RealtimeHandlers} on
 */
export function openSocket(config, on) {
  const generation = state.generation;
  const socket = connect(config.wsUrl, {
    auth: () => ({ token: state.me?.token ?? '' }),
    httpUrl: config.httpUrl,
  });
  /**
   * @template {unknown[]} A
   * @param {(...args: A) => void} fn
   * @returns {(...args: A) => void}
   */
  const live = (fn) => (...args) => {
    if (generation === state.generation) fn(...args);
  };
  socket.on('connect', live(on.connect));
  socket.on('disconnect', live(on.disconnect));
  socket.on('connect_error', live(on.connectError));
  socket.on('message:new', live(on.messageNew));
  socket.on('message:edited', live(on.messageEdited));
  socket.on('message:deleted', live(on.messageDeleted));
  socket.on('user:typing', live(on.typing));
  socket.on('user:stop-typing', live(on.stopTyping));
  socket.on('user:online', live((d) => {
    on.presence(d.userId, 'online', d.at);
    on.status(d);
  }));
  socket.on('user:status', live(on.status));
  socket.on('user:offline', live((d) => on.presence(d.userId, 'offline', d.at)));
  socket.on('chat:member-added', live(on.memberAdded));
  socket.on('chat:member-removed', live(on.memberRemoved));
  socket.on('chat:role-changed', live(on.roleChanged));
  socket.on('user:blocked', live((d) => on.blockChanged(d.userId, true)));
  socket.on('user:unblocked', live((d) => on.blockChanged(d.userId, false)));
  socket.on('message:read', live(on.messageRead));
  socket.on('error', live(on.error));
  socket.on('recovery_error', live(on.recoveryError));
  return socket;
}

/**
 * Sends one action and waits for its ack, with a timeout.
 * @template {import('/lettera-client.js').ClientActionName} A
 * @param {A} action
 * @param {import('/lettera-client.js').ClientEmitActions[A]['data']} data
 * @returns {Promise<import('/lettera-client.js').ClientEmitActions[A]['ack']>}
 */
export function request(action, data) {
  const socket = state.socket;
  if (!socket) return Promise.reject(new Error('Not connected'));
  return socket.timeout(ACK_TIMEOUT_MS).emitWithAck(action, data);
}
