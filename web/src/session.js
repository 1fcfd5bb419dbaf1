// @ts-check
/**
 * Signing in as a demo user (GET /dev/users, POST /dev/token), the socket's
 * life and the connection banner, switching user and an expired session.
 */
import * as api from './api.js';
import { onBlockChanged, onMemberAdded, onMemberRemoved, onRoleChanged, refreshChats } from './chats.js';
import { onMessageDeleted, onMessageEdited, onMessageNew, onStopTyping, onTyping } from './conversation.js';
import { onMessageRead } from './reads.js';
import { els, focusComposerIfIdle, h, paintAvatar, paragraph } from './dom.js';
import { isAuthError, messageOf } from './errors.js';
import { askPresence, onStatus, startStatus } from './presence.js';
import { openSocket } from './realtime.js';
import { watchCalls } from './call.js';
import { nameOf, resetUserState, state, tokenExpired } from './store.js';
import { clearError, renderConnection, showError } from './views/banner.js';
import { titleOf } from './views/chat-list.js';
import { clearComposer, syncComposer } from './views/composer.js';
import { renderParticipants } from './views/presence.js';
import { renderTyping } from './views/typing.js';

/** The tab remembers its user across reloads (sessionStorage: per tab). */
const SESSION_KEY = 'lettera-demo-user';

/** @param {import('./store.js').ConnectionState} next @param {string} [detail] */
function setConnection(next, detail) {
  state.connection = next;
  renderConnection(next, detail);
  syncComposer();
  focusComposerIfIdle();
  if (state.me) {
    if (next === 'connected') state.presence.set(state.me.userId, 'online');
    else state.presence.delete(state.me.userId);
    renderParticipants();
  }
}

/** Fills the login form with the demo users (or says why it cannot). */
export async function loadUsers() {
  try {
    state.users = await api.fetchDemoUsers();
  } catch (err) {
    els.userChoices.replaceChildren(paragraph(`Could not load demo users: ${messageOf(err)}`));
    return;
  }
  const legend = h('legend', 'visually-hidden', 'Demo user');
  const items = state.users.map((user, i) => {
    const label = h('label', 'user-choice');
    const radio = h('input');
    radio.type = 'radio';
    radio.name = 'user';
    radio.value = user.userId;
    radio.checked = i === 0;
    const avatar = h('span', 'avatar');
    avatar.setAttribute('aria-hidden', 'true');
    paintAvatar(avatar, user.userId);
    label.append(radio, avatar, h('span', '', user.name));
    return label;
  });
  els.userChoices.replaceChildren(legend, ...items);
  els.loginSubmit.disabled = state.users.length === 0;
}

/** The user this tab should sign in as: `?as=bob` (handy for a second window), else its previous one. */
export function wantedUser() {
  const wanted = new URLSearchParams(location.search).get('as') ?? sessionStorage.getItem(SESSION_KEY);
  return wanted && state.users.some((u) => u.userId === wanted) ? wanted : null;
}

/** @param {string} userId */
export async function signIn(userId) {
  clearError();
  els.loginSubmit.disabled = true;
  try {
    const [config, token] = await Promise.all([state.config ?? api.fetchConfig(), api.fetchDevToken(userId)]);
    state.config = config;
    startSession({
      userId: token.userId,
      name: nameOf(token.userId),
      token: token.token,
      expiresAt: typeof token.expiresAt === 'number' ? token.expiresAt : Date.parse(token.expiresAt),
    });
  } catch (err) {
    showError(`Sign-in failed: ${messageOf(err)}`);
  } finally {
    els.loginSubmit.disabled = state.users.length === 0;
  }
}

/** @param {import('./store.js').Session} session */
function startSession(session) {
  stopSession();
  state.generation += 1;
  state.me = session;
  sessionStorage.setItem(SESSION_KEY, session.userId);
  els.whoamiName.textContent = session.name;
  paintAvatar(els.whoamiAvatar, session.userId);
  els.whoami.hidden = false;
  els.login.hidden = true;
  els.app.hidden = false;
  connectSocket();
  void refreshChats();
}

/** Tears down the socket and every per-user bit of state. */
function stopSession() {
  state.status?.stop();
  state.socket?.disconnect();
  resetUserState();
  els.chatList.replaceChildren();
  els.messages.replaceChildren();
  els.participants.replaceChildren();
  els.typing.textContent = '';
  els.chatTitle.textContent = 'Select a chat';
  els.leaveChat.hidden = true;
  els.loadOlder.hidden = true;
  els.newMessages.hidden = true;
  clearComposer();
}

export function showLogin() {
  els.app.hidden = true;
  els.whoami.hidden = true;
  els.login.hidden = false;
  const checked = els.userChoices.querySelector('input:checked');
  if (checked instanceof HTMLInputElement) checked.focus();
}

export function switchUser() {
  sessionStorage.removeItem(SESSION_KEY);
  stopSession();
  clearError();
  setConnection('idle');
  showLogin();
}

/** Ends the session the server refused (401 over HTTP, a refused socket). */
export function sessionExpired() {
  if (state.connection === 'expired') return;
  const who = state.me?.name;
  sessionStorage.removeItem(SESSION_KEY);
  stopSession();
  setConnection('expired');
  showError(`The session${who ? ` of ${who}` : ''} has expired or was refused. Pick a user to sign in again.`);
  showLogin();
}

let probing = false;

/** Checks the token against the HTTP API, which ends the session on a 401. */
async function probeToken() {
  if (probing) return;
  probing = true;
  try {
    await api.listChats();
  } catch {
    // A 401 was handled through onUnauthorized; anything else means the server is away.
  } finally {
    probing = false;
  }
}

function connectSocket() {
  const config = state.config;
  if (!config || !state.me) return;
  setConnection('connecting');
  state.socket = openSocket(config, {
    connect() {
      setConnection('connected');
      // Chats may have been added while the socket was down.
      void refreshChats();
      // Who came or went meanwhile (or before this page loaded): asked, not waited for.
      void askPresence();
    },
    disconnect(reason) {
      setConnection(reason === 'io client disconnect' ? 'idle' : 'reconnecting');
      // Typing indicators of others can't be trusted across a gap.
      state.typing.clear();
      renderTyping();
    },
    connectError(err) {
      if (isAuthError(err) || tokenExpired()) {
        sessionExpired();
        return;
      }
      setConnection('reconnecting');
      // A browser never sees the status of a refused upgrade, so ask the HTTP
      // API whether the token still holds: a 401 there ends the session.
      void probeToken();
    },
    messageNew: onMessageNew,
    messageEdited: onMessageEdited,
    messageDeleted: onMessageDeleted,
    typing: onTyping,
    stopTyping: onStopTyping,
    presence(userId, status, at) {
      state.presence.set(userId, status);
      if (status === 'offline') state.lastSeen.set(userId, at);
      renderParticipants();
    },
    status: onStatus,
    memberAdded: onMemberAdded,
    memberRemoved: onMemberRemoved,
    roleChanged: onRoleChanged,
    blockChanged: onBlockChanged,
    messageRead: onMessageRead,
    error: (err) => showError(messageOf(err)),
    recoveryError(err, chatId) {
      const title = state.chats.has(chatId) ? titleOf(state.chats.get(chatId)) : chatId;
      showError(`Messages missed in ${title} while offline could not be fetched: ${messageOf(err)}. Reload to see them.`);
    },
  });
  startStatus(state.socket);
  watchCalls(state.socket);
}
