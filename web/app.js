// @ts-check
/**
 * The lettera-realtime demo chat page: plain DOM, no framework.
 *
 * Flow: pick a demo user (GET /dev/users, POST /dev/token) → list chats
 * (GET /chats) → open one (GET /chats/{id}/messages) → live events through
 * the lettera client (`/lettera-client.js`, built from client/src by the
 * local runtime). Sends, edits and deletes go over the socket with acks.
 *
 * Message content only ever reaches the DOM through textContent.
 *
 * Known limits of the demo:
 * - presence: the API has no "who is online" query, so other users show as
 *   "unknown" until a user:online / user:offline event names them;
 * - history: the latest 100 messages of a chat (no "load older");
 * - an expired token is noticed on the next reconnect or HTTP call, not at
 *   the moment it expires (an open socket stays open, as on API Gateway).
 */
import { connect } from '/lettera-client.js';

/** How long an action waits for its ack before the page reports a failure. */
const ACK_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 100;
const MAX_CONTENT_LENGTH = 4000;
const SESSION_KEY = 'lettera-demo-user';

/**
 * @typedef {{ userId: string, name: string }} DemoUser
 * @typedef {{ userId: string, name: string, token: string, expiresAt: number }} Session
 * @typedef {{ chatId: string, title: string, participants: string[] }} Chat
 * @typedef {{ messageId: string, chatId: string, senderId: string, content: string,
 *   timestamp: string, editedAt?: string, deletedAt?: string }} Message
 * @typedef {{ clientMessageId: string, chatId: string, content: string,
 *   status: 'sending' | 'failed', error?: string }} Outgoing
 * @typedef {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'expired'} ConnectionState
 */

const state = {
  /** @type {DemoUser[]} */ users: [],
  /** @type {Session | null} */ me: null,
  /** @type {import('/lettera-client.js').ChatSocket | null} */ socket: null,
  /** @type {{ wsUrl: string, httpUrl: string } | null} */ config: null,
  /** @type {Map<string, Chat>} */ chats: new Map(),
  /** @type {Map<string, number>} */ unread: new Map(),
  /** @type {Map<string, Map<string, Message>>} */ messages: new Map(),
  /** @type {Set<string>} */ historyLoaded: new Set(),
  /** @type {Map<string, Outgoing>} */ outgoing: new Map(),
  /** @type {string | null} */ current: null,
  /** chatId → user ids typing there. @type {Map<string, Set<string>>} */ typing: new Map(),
  /**
   * userId → presence. There is no presence query in the API: a user is
   * "unknown" until a user:online / user:offline event names them (self is
   * online while connected). Users already online before this page connected
   * therefore show as unknown until their next change.
   * @type {Map<string, 'online' | 'offline'>}
   */
  presence: new Map(),
  /** @type {string | null} */ editing: null,
  /** @type {ConnectionState} */ connection: 'idle',
  /** Bumped on every sign-in so late callbacks of an old session are ignored. */
  generation: 0,
};

/** @param {string} id */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

const els = {
  connection: $('connection'),
  whoami: $('whoami'),
  whoamiName: $('whoami-name'),
  whoamiAvatar: $('whoami-avatar'),
  switchUser: /** @type {HTMLButtonElement} */ ($('switch-user')),
  alert: $('alert'),
  alertText: $('alert-text'),
  alertClose: $('alert-close'),
  announcer: $('announcer'),
  login: $('login'),
  loginForm: /** @type {HTMLFormElement} */ ($('login-form')),
  userChoices: $('user-choices'),
  loginSubmit: /** @type {HTMLButtonElement} */ ($('login-submit')),
  app: $('app'),
  chatList: $('chat-list'),
  chatListEmpty: $('chat-list-empty'),
  chatTitle: $('chat-title'),
  participants: $('participants'),
  messages: $('messages'),
  typing: $('typing'),
  composer: /** @type {HTMLFormElement} */ ($('composer')),
  input: /** @type {HTMLTextAreaElement} */ ($('composer-input')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  messageTemplate: /** @type {HTMLTemplateElement} */ ($('message-template')),
};

// ---------------------------------------------------------------- helpers

/** @param {string} userId */
function nameOf(userId) {
  return state.users.find((u) => u.userId === userId)?.name ?? userId;
}

/** @param {string} userId */
function initialOf(userId) {
  return nameOf(userId).slice(0, 1).toUpperCase();
}

/** A stable hue per user so avatars are told apart at a glance. */
/** @param {string} userId */
function hueOf(userId) {
  let h = 0;
  for (const ch of userId) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

/** @param {HTMLElement} el @param {string} userId */
function paintAvatar(el, userId) {
  el.textContent = initialOf(userId);
  el.style.setProperty('--hue', String(hueOf(userId)));
}

/** @param {string} iso */
function formatTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** @param {unknown} err */
function messageOf(err) {
  if (err && typeof err === 'object') {
    const e = /** @type {{ message?: unknown, code?: unknown, data?: { message?: unknown } }} */ (err);
    if (typeof e.data?.message === 'string') return e.data.message;
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}

/** @param {unknown} err */
function isAuthError(err) {
  if (!err || typeof err !== 'object') return false;
  const e = /** @type {{ message?: unknown, code?: unknown, status?: unknown, data?: any }} */ (err);
  const code = e.code ?? e.data?.code;
  const status = e.status ?? e.data?.status ?? e.data?.statusCode;
  return code === 'UNAUTHORIZED' || status === 401 || /\b401\b|unauthori[sz]ed|expired/i.test(String(e.message ?? ''));
}

function tokenExpired() {
  return state.me !== null && Date.now() >= state.me.expiresAt;
}

/** @param {string} text */
function showError(text) {
  els.alertText.textContent = text;
  els.alert.hidden = false;
}

function clearError() {
  els.alert.hidden = true;
  els.alertText.textContent = '';
}

/** @param {string} text */
function announce(text) {
  // Clearing first makes screen readers repeat an identical announcement.
  els.announcer.textContent = '';
  requestAnimationFrame(() => {
    els.announcer.textContent = text;
  });
}

class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the HTTP API (same origin as the page) with the session's token.
 * @param {string} path @param {{ method?: string, body?: unknown, auth?: boolean }} [opts]
 */
async function api(path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.auth !== false && state.me) headers.authorization = `Bearer ${state.me.token}`;
  const base = state.config?.httpUrl ?? '';
  const res = await fetch(base + path, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  /** @type {any} */
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!res.ok) {
    const err = new HttpError(res.status, json?.error?.code ?? `HTTP_${res.status}`,
      json?.error?.message ?? `${res.status} ${res.statusText}`);
    if (res.status === 401 && opts.auth !== false) sessionExpired();
    throw err;
  }
  return json;
}

// ---------------------------------------------------------------- connection banner

/** @param {ConnectionState} next @param {string} [detail] */
function setConnection(next, detail) {
  state.connection = next;
  const labels = {
    idle: 'Not connected',
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Connection lost, retrying…',
    expired: 'Session expired: pick a user again',
  };
  els.connection.dataset.state = next;
  els.connection.textContent = detail ? `${labels[next]} (${detail})` : labels[next];
  const canWrite = next === 'connected' || next === 'reconnecting';
  // While reconnecting the client buffers emits, so typing and sending stay on.
  els.input.disabled = !canWrite || state.current === null;
  els.send.disabled = els.input.disabled;
  // After sign-in focus was on the (now hidden) login button: start in the composer.
  if (!els.input.disabled && (document.activeElement === null || document.activeElement === document.body)) {
    els.input.focus();
  }
  if (state.me) {
    if (next === 'connected') state.presence.set(state.me.userId, 'online');
    else state.presence.delete(state.me.userId);
    renderParticipants();
  }
}

// ---------------------------------------------------------------- login

async function loadUsers() {
  try {
    state.users = await api('/dev/users', { auth: false });
  } catch (err) {
    els.userChoices.replaceChildren(paragraph(`Could not load demo users: ${messageOf(err)}`));
    return;
  }
  const legend = document.createElement('legend');
  legend.className = 'visually-hidden';
  legend.textContent = 'Demo user';
  const items = state.users.map((user, i) => {
    const label = document.createElement('label');
    label.className = 'user-choice';
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'user';
    radio.value = user.userId;
    radio.checked = i === 0;
    const avatar = document.createElement('span');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');
    paintAvatar(avatar, user.userId);
    const name = document.createElement('span');
    name.textContent = user.name;
    label.append(radio, avatar, name);
    return label;
  });
  els.userChoices.replaceChildren(legend, ...items);
  els.loginSubmit.disabled = state.users.length === 0;
}

/** @param {string} text */
function paragraph(text) {
  const p = document.createElement('p');
  p.className = 'subtle';
  p.textContent = text;
  return p;
}

/** @param {string} userId */
async function signIn(userId) {
  clearError();
  els.loginSubmit.disabled = true;
  try {
    const [config, token] = await Promise.all([
      state.config ?? api('/dev/config', { auth: false }),
      api('/dev/token', { method: 'POST', body: { userId }, auth: false }),
    ]);
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

/** @param {Session} session */
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
  openSocket();
  void refreshChats();
}

/** Tears down the socket and every per-user bit of state. */
function stopSession() {
  if (state.socket) {
    state.socket.disconnect();
    state.socket = null;
  }
  state.me = null;
  state.chats.clear();
  state.unread.clear();
  state.messages.clear();
  state.historyLoaded.clear();
  state.outgoing.clear();
  state.typing.clear();
  state.presence.clear();
  state.current = null;
  state.editing = null;
  els.chatList.replaceChildren();
  els.messages.replaceChildren();
  els.participants.replaceChildren();
  els.typing.textContent = '';
  els.chatTitle.textContent = 'Select a chat';
  els.input.value = '';
}

function showLogin() {
  els.app.hidden = true;
  els.whoami.hidden = true;
  els.login.hidden = false;
  const checked = /** @type {HTMLInputElement | null} */ (els.userChoices.querySelector('input:checked'));
  checked?.focus();
}

function switchUser() {
  sessionStorage.removeItem(SESSION_KEY);
  stopSession();
  clearError();
  setConnection('idle');
  showLogin();
}

function sessionExpired() {
  if (state.connection === 'expired') return;
  const who = state.me?.name;
  sessionStorage.removeItem(SESSION_KEY);
  stopSession();
  setConnection('expired');
  showError(`The session${who ? ` of ${who}` : ''} has expired or was refused. Pick a user to sign in again.`);
  showLogin();
}

// ---------------------------------------------------------------- socket

function openSocket() {
  const config = state.config;
  const me = state.me;
  if (!config || !me) return;
  const generation = state.generation;
  setConnection('connecting');
  // auth is a function so every reconnect reads the current token.
  const socket = connect(config.wsUrl, {
    auth: () => ({ token: state.me?.token ?? '' }),
    httpUrl: config.httpUrl,
  });
  state.socket = socket;
  /** Wraps a listener so events of a previous session are dropped. @param {(...a: any[]) => void} fn */
  const live = (fn) => (/** @type {any[]} */ ...args) => {
    if (generation === state.generation) fn(...args);
  };

  socket.on('connect', live(() => {
    setConnection('connected');
    // Chats may have been added while the socket was down.
    void refreshChats();
  }));
  socket.on('disconnect', live((/** @type {string} */ reason) => {
    if (reason === 'io client disconnect') setConnection('idle');
    else setConnection('reconnecting');
    // Typing indicators of others can't be trusted across a gap.
    state.typing.clear();
    renderTyping();
  }));
  socket.on('connect_error', live((/** @type {unknown} */ err) => {
    if (isAuthError(err) || tokenExpired()) {
      sessionExpired();
      return;
    }
    setConnection('reconnecting');
    // A browser never sees the status of a refused upgrade, so ask the HTTP
    // API whether the token still holds: a 401 there ends the session.
    void probeToken();
  }));

  socket.on('message:new', live(onMessageNew));
  socket.on('message:edited', live(onMessageEdited));
  socket.on('message:deleted', live(onMessageDeleted));
  socket.on('user:typing', live(onTyping));
  socket.on('user:stop-typing', live(onStopTyping));
  socket.on('user:online', live((/** @type {{ userId: string }} */ d) => setPresence(d.userId, 'online')));
  socket.on('user:offline', live((/** @type {{ userId: string }} */ d) => setPresence(d.userId, 'offline')));
  socket.on('error', live((/** @type {unknown} */ err) => showError(messageOf(err))));
  socket.on('recovery_error', live((/** @type {unknown} */ err, /** @type {string} */ chatId) => {
    const title = state.chats.get(chatId)?.title ?? chatId;
    showError(`Messages missed in ${title} while offline could not be fetched: ${messageOf(err)}. Reload to see them.`);
  }));
}

let probing = false;

/** Checks the token against the HTTP API; api() ends the session on a 401. */
async function probeToken() {
  if (probing) return;
  probing = true;
  try {
    await api('/chats');
  } catch {
    // A 401 was handled by api(); anything else means the server is away.
  } finally {
    probing = false;
  }
}

/**
 * Sends one action and waits for its ack, with a timeout.
 * @template {import('/lettera-client.js').ClientActionName} A
 * @param {A} action
 * @param {import('/lettera-client.js').ClientEmitActions[A]['data']} data
 * @returns {Promise<import('/lettera-client.js').ClientEmitActions[A]['ack']>}
 */
function request(action, data) {
  const socket = state.socket;
  if (!socket) return Promise.reject(new Error('Not connected'));
  return socket.timeout(ACK_TIMEOUT_MS).emitWithAck(action, data);
}

// ---------------------------------------------------------------- chats

async function refreshChats() {
  const generation = state.generation;
  /** @type {{ items: Chat[] }} */
  let result;
  try {
    result = await api('/chats');
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 401)) showError(`Could not load chats: ${messageOf(err)}`);
    return;
  }
  if (generation !== state.generation) return;
  state.chats = new Map(result.items.map((c) => [c.chatId, c]));
  // Tracked chats are the ones the client recovers after a reconnect.
  for (const chat of result.items) state.socket?.trackChat(chat.chatId);
  renderChatList();
  const first = sortedChats()[0];
  if (state.current === null && first) await selectChat(first.chatId, { focus: false });
  else if (state.current !== null) {
    // After a reconnect: the client delivers what it missed as events, and
    // this reload covers a chat opened before its history ever loaded.
    renderParticipants();
  }
}

function sortedChats() {
  return [...state.chats.values()].sort((a, b) => a.title.localeCompare(b.title));
}

function renderChatList() {
  const chats = sortedChats();
  els.chatListEmpty.hidden = chats.length > 0;
  els.chatList.replaceChildren(...chats.map((chat) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'chat-button';
    button.dataset.chatId = chat.chatId;
    if (chat.chatId === state.current) button.setAttribute('aria-current', 'true');
    const title = document.createElement('span');
    title.className = 'chat-name';
    title.textContent = chat.title || 'Untitled chat';
    const people = document.createElement('span');
    people.className = 'chat-people subtle';
    people.textContent = chat.participants.map(nameOf).join(', ');
    button.append(title, people);
    const unread = state.unread.get(chat.chatId) ?? 0;
    if (unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(unread);
      badge.setAttribute('aria-label', `${unread} unread`);
      title.append(' ', badge);
    }
    button.addEventListener('click', () => void selectChat(chat.chatId, { focus: true }));
    li.append(button);
    return li;
  }));
}

/** @param {string} chatId @param {{ focus: boolean }} opts */
async function selectChat(chatId, opts) {
  if (state.current && state.current !== chatId) state.socket?.stopTyping(state.current);
  state.current = chatId;
  state.editing = null;
  state.unread.delete(chatId);
  const chat = state.chats.get(chatId);
  els.chatTitle.textContent = chat?.title || 'Untitled chat';
  renderChatList();
  renderParticipants();
  renderTyping();
  setConnection(state.connection);
  renderMessages();
  if (opts.focus) els.input.focus();
  if (!state.historyLoaded.has(chatId)) await loadHistory(chatId);
}

/** @param {string} chatId */
async function loadHistory(chatId) {
  const generation = state.generation;
  try {
    /** @type {{ items: Message[] }} */
    const page = await api(`/chats/${encodeURIComponent(chatId)}/messages?limit=${HISTORY_PAGE}`);
    if (generation !== state.generation) return;
    // Live events that raced the request win: they are newer than the page.
    const known = messagesOf(chatId);
    for (const m of page.items) if (!known.has(m.messageId)) known.set(m.messageId, m);
    state.historyLoaded.add(chatId);
    state.socket?.trackChat(chatId, page.items.at(-1)?.messageId);
    if (state.current === chatId) renderMessages();
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 401)) showError(`Could not load messages: ${messageOf(err)}`);
  }
}

/** @param {string} chatId */
function messagesOf(chatId) {
  let map = state.messages.get(chatId);
  if (!map) {
    map = new Map();
    state.messages.set(chatId, map);
  }
  return map;
}

// ---------------------------------------------------------------- presence

/** @param {string} userId @param {'online' | 'offline'} status */
function setPresence(userId, status) {
  state.presence.set(userId, status);
  renderParticipants();
}

function renderParticipants() {
  const chat = state.current ? state.chats.get(state.current) : undefined;
  if (!chat) {
    els.participants.replaceChildren();
    return;
  }
  els.participants.replaceChildren(...chat.participants.map((userId) => {
    const li = document.createElement('li');
    li.className = 'participant';
    li.dataset.userId = userId;
    const status = state.presence.get(userId) ?? 'unknown';
    li.dataset.presence = status;
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.setAttribute('aria-hidden', 'true');
    const name = document.createElement('span');
    name.textContent = userId === state.me?.userId ? `${nameOf(userId)} (you)` : nameOf(userId);
    const sr = document.createElement('span');
    sr.className = 'visually-hidden';
    sr.textContent = status === 'unknown' ? ', status unknown' : `, ${status}`;
    li.title = status === 'unknown' ? 'Status unknown until they connect or disconnect' : status;
    li.append(dot, name, sr);
    return li;
  }));
}

// ---------------------------------------------------------------- typing

/** @param {{ chatId: string, userId: string }} d */
function onTyping(d) {
  if (d.userId === state.me?.userId) return;
  let set = state.typing.get(d.chatId);
  if (!set) {
    set = new Set();
    state.typing.set(d.chatId, set);
  }
  set.add(d.userId);
  if (d.chatId === state.current) renderTyping();
}

/** @param {{ chatId: string, userId: string }} d */
function onStopTyping(d) {
  state.typing.get(d.chatId)?.delete(d.userId);
  if (d.chatId === state.current) renderTyping();
}

function renderTyping() {
  const names = [...(state.current ? state.typing.get(state.current) ?? [] : [])].map(nameOf);
  els.typing.textContent =
    names.length === 0 ? '' :
    names.length === 1 ? `${names[0]} is typing…` :
    `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
}

// ---------------------------------------------------------------- messages in

/** @param {Message} m */
function onMessageNew(m) {
  const map = messagesOf(m.chatId);
  const isNew = !map.has(m.messageId);
  map.set(m.messageId, { ...map.get(m.messageId), ...m });
  if (!state.chats.has(m.chatId)) {
    // A chat we were added to while connected: list it.
    void refreshChats();
  }
  onStopTyping({ chatId: m.chatId, userId: m.senderId });
  if (m.chatId === state.current) renderMessage(m.chatId, m.messageId);
  if (!isNew || m.senderId === state.me?.userId) return;
  if (m.chatId === state.current && document.visibilityState === 'visible') {
    announce(`${nameOf(m.senderId)}: ${m.content}`);
  } else {
    state.unread.set(m.chatId, (state.unread.get(m.chatId) ?? 0) + 1);
    renderChatList();
    const title = state.chats.get(m.chatId)?.title ?? 'another chat';
    announce(`New message from ${nameOf(m.senderId)} in ${title}`);
  }
}

/** @param {{ messageId: string, chatId: string, senderId: string, content: string, editedAt: string }} e */
function onMessageEdited(e) {
  const map = messagesOf(e.chatId);
  const old = map.get(e.messageId);
  if (old?.deletedAt) return;
  // An edit of a message older than the loaded page still has enough to show.
  map.set(e.messageId, {
    timestamp: e.editedAt,
    ...old,
    messageId: e.messageId,
    chatId: e.chatId,
    senderId: e.senderId,
    content: e.content,
    editedAt: e.editedAt,
  });
  if (e.chatId === state.current) renderMessage(e.chatId, e.messageId);
}

/** @param {{ messageId: string, chatId: string, deletedBy: string, deletedAt: string }} e */
function onMessageDeleted(e) {
  const map = messagesOf(e.chatId);
  const old = map.get(e.messageId);
  if (!old) return;
  map.set(e.messageId, { ...old, content: '', deletedAt: e.deletedAt });
  if (state.editing === e.messageId) state.editing = null;
  if (e.chatId === state.current) renderMessage(e.chatId, e.messageId);
}

// ---------------------------------------------------------------- rendering messages

function renderMessages() {
  const chatId = state.current;
  if (!chatId) {
    els.messages.replaceChildren();
    return;
  }
  const items = [...messagesOf(chatId).values()].sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
  const nodes = items.map(messageNode);
  for (const out of state.outgoing.values()) if (out.chatId === chatId) nodes.push(outgoingNode(out));
  if (nodes.length === 0 && state.historyLoaded.has(chatId)) {
    const li = document.createElement('li');
    li.className = 'empty subtle';
    li.textContent = 'No messages yet. Say hello!';
    nodes.push(li);
  }
  els.messages.replaceChildren(...nodes);
  scrollToEnd();
}

/**
 * Creates or updates one message in place (keeps focus and scroll of the
 * rest of the list), inserted in id order ahead of outgoing ones.
 * @param {string} chatId @param {string} messageId
 */
function renderMessage(chatId, messageId) {
  const m = messagesOf(chatId).get(messageId);
  if (!m) return;
  els.messages.querySelector('.empty')?.remove();
  const existing = els.messages.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
  const hadFocus = existing?.contains(document.activeElement) ?? false;
  const node = messageNode(m);
  if (existing) {
    existing.replaceWith(node);
    if (hadFocus) focusFirstAction(node);
    return;
  }
  const atEnd = isScrolledToEnd();
  const after = [...els.messages.children].find((li) => {
    const el = /** @type {HTMLElement} */ (li);
    return el.dataset.outgoing !== undefined || (el.dataset.messageId !== undefined && el.dataset.messageId > messageId);
  });
  els.messages.insertBefore(node, after ?? null);
  if (atEnd || m.senderId === state.me?.userId) scrollToEnd();
}

/** @param {Message} m */
function messageNode(m) {
  const li = /** @type {HTMLLIElement} */ (
    /** @type {DocumentFragment} */ (els.messageTemplate.content.cloneNode(true)).firstElementChild);
  const mine = m.senderId === state.me?.userId;
  li.dataset.messageId = m.messageId;
  li.dataset.sender = m.senderId;
  li.classList.toggle('mine', mine);
  li.classList.toggle('deleted', Boolean(m.deletedAt));
  paintAvatar(/** @type {HTMLElement} */ (li.querySelector('.avatar')), m.senderId);
  /** @type {HTMLElement} */ (li.querySelector('.sender')).textContent = mine ? 'You' : nameOf(m.senderId);
  const time = /** @type {HTMLTimeElement} */ (li.querySelector('.time'));
  time.dateTime = m.timestamp;
  time.textContent = formatTime(m.timestamp);
  const status = /** @type {HTMLElement} */ (li.querySelector('.status'));
  status.textContent = m.deletedAt ? '' : m.editedAt ? '(edited)' : '';
  if (m.editedAt) status.title = `Edited ${new Date(m.editedAt).toLocaleString()}`;
  const content = /** @type {HTMLElement} */ (li.querySelector('.content'));
  const actions = /** @type {HTMLElement} */ (li.querySelector('.actions'));

  if (m.deletedAt) {
    content.textContent = 'This message was deleted.';
    actions.remove();
  } else if (mine && state.editing === m.messageId) {
    content.replaceWith(editForm(m));
    actions.remove();
  } else {
    content.textContent = m.content;
    if (mine) {
      actions.append(
        actionButton('Edit', `Edit message: ${m.content.slice(0, 40)}`, () => startEdit(m.messageId)),
        actionButton('Delete', `Delete message: ${m.content.slice(0, 40)}`, () => void deleteMessage(m)),
      );
    } else {
      actions.remove();
    }
  }
  return li;
}

/** @param {string} text @param {string} label @param {() => void} onClick */
function actionButton(text, label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'link-button';
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

/** @param {Outgoing} out */
function outgoingNode(out) {
  const li = /** @type {HTMLLIElement} */ (
    /** @type {DocumentFragment} */ (els.messageTemplate.content.cloneNode(true)).firstElementChild);
  li.dataset.outgoing = out.clientMessageId;
  li.classList.add('mine', out.status);
  paintAvatar(/** @type {HTMLElement} */ (li.querySelector('.avatar')), state.me?.userId ?? '?');
  /** @type {HTMLElement} */ (li.querySelector('.sender')).textContent = 'You';
  /** @type {HTMLElement} */ (li.querySelector('.status')).textContent =
    out.status === 'sending' ? 'Sending…' : `Not sent: ${out.error ?? 'unknown error'}`;
  /** @type {HTMLElement} */ (li.querySelector('.content')).textContent = out.content;
  const actions = /** @type {HTMLElement} */ (li.querySelector('.actions'));
  if (out.status === 'failed') {
    actions.append(
      actionButton('Retry', `Retry sending: ${out.content.slice(0, 40)}`, () => void sendOutgoing(out)),
      actionButton('Discard', `Discard unsent message: ${out.content.slice(0, 40)}`, () => {
        state.outgoing.delete(out.clientMessageId);
        renderMessages();
        els.input.focus();
      }),
    );
  } else {
    actions.remove();
  }
  return li;
}

/** @param {Message} m */
function editForm(m) {
  const form = document.createElement('form');
  form.className = 'edit-form';
  const id = `edit-${m.messageId}`;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.className = 'visually-hidden';
  label.textContent = 'Edit message';
  const area = document.createElement('textarea');
  area.id = id;
  area.value = m.content;
  area.maxLength = MAX_CONTENT_LENGTH;
  area.rows = Math.min(6, m.content.split('\n').length);
  const hint = document.createElement('span');
  hint.className = 'hint';
  hint.textContent = 'Enter saves · Escape cancels';
  const save = document.createElement('button');
  save.type = 'submit';
  save.className = 'primary small';
  save.textContent = 'Save';
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.className = 'link-button';
  cancel.textContent = 'Cancel';
  cancel.addEventListener('click', () => cancelEdit(m.messageId));
  area.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      cancelEdit(m.messageId);
    } else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void saveEdit(m, area.value);
  });
  form.append(label, area, save, cancel, hint);
  queueMicrotask(() => {
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });
  return form;
}

/** @param {Element} li */
function focusFirstAction(li) {
  const target = /** @type {HTMLElement | null} */ (li.querySelector('textarea, button'));
  if (target) target.focus();
  else els.input.focus();
}

function isScrolledToEnd() {
  const el = els.messages;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
}

function scrollToEnd() {
  els.messages.scrollTop = els.messages.scrollHeight;
}

// ---------------------------------------------------------------- messages out

function newClientMessageId() {
  // randomUUID exists in secure contexts only (http://127.0.0.1 is one, a LAN address is not).
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sendFromComposer() {
  const chatId = state.current;
  const content = els.input.value.trim();
  if (!chatId || content === '') return;
  if (content.length > MAX_CONTENT_LENGTH) {
    showError(`A message holds at most ${MAX_CONTENT_LENGTH} characters (this one has ${content.length}).`);
    return;
  }
  els.input.value = '';
  autosize();
  state.socket?.stopTyping(chatId);
  /** @type {Outgoing} */
  const out = { clientMessageId: newClientMessageId(), chatId, content, status: 'sending' };
  await sendOutgoing(out);
}

/**
 * Sends (or re-sends) one message. The clientMessageId makes a retry after a
 * lost ack idempotent: the server answers with the message it already stored.
 * @param {Outgoing} out
 */
async function sendOutgoing(out) {
  const generation = state.generation;
  out.status = 'sending';
  delete out.error;
  state.outgoing.set(out.clientMessageId, out);
  if (out.chatId === state.current) renderOutgoing(out);
  try {
    /** @type {Message} */
    const stored = await request('message:send',
      { chatId: out.chatId, content: out.content, clientMessageId: out.clientMessageId });
    if (generation !== state.generation) return;
    state.outgoing.delete(out.clientMessageId);
    els.messages.querySelector(`[data-outgoing="${CSS.escape(out.clientMessageId)}"]`)?.remove();
    onMessageNew(stored);
  } catch (err) {
    if (generation !== state.generation) return;
    out.status = 'failed';
    out.error = messageOf(err);
    if (out.chatId === state.current) renderOutgoing(out);
    showError(`Message not sent: ${out.error}`);
  }
}

/** @param {Outgoing} out */
function renderOutgoing(out) {
  const existing = els.messages.querySelector(`[data-outgoing="${CSS.escape(out.clientMessageId)}"]`);
  const node = outgoingNode(out);
  if (existing) existing.replaceWith(node);
  else {
    els.messages.querySelector('.empty')?.remove();
    els.messages.append(node);
  }
  scrollToEnd();
}

/** @param {string} messageId */
function startEdit(messageId) {
  const previous = state.editing;
  state.editing = messageId;
  if (previous && state.current) renderMessage(state.current, previous);
  if (state.current) renderMessage(state.current, messageId);
}

/** @param {string} messageId */
function cancelEdit(messageId) {
  state.editing = null;
  if (!state.current) return;
  renderMessage(state.current, messageId);
  const li = els.messages.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
  const editButton = /** @type {HTMLElement | null} */ (li?.querySelector('button') ?? null);
  (editButton ?? els.input).focus();
}

/** @param {Message} m @param {string} value */
async function saveEdit(m, value) {
  const content = value.trim();
  if (content === '' ) {
    showError('A message cannot be empty; use Delete to remove it.');
    return;
  }
  if (content === m.content) {
    cancelEdit(m.messageId);
    return;
  }
  try {
    /** @type {Message} */
    const stored = await request('message:edit', { chatId: m.chatId, messageId: m.messageId, content });
    state.editing = null;
    onMessageEdited({ ...stored, editedAt: stored.editedAt ?? new Date().toISOString() });
    els.input.focus();
  } catch (err) {
    showError(`Edit failed: ${messageOf(err)}`);
  }
}

/** @param {Message} m */
async function deleteMessage(m) {
  try {
    /** @type {{ messageId: string, deletedAt: string }} */
    const result = await request('message:delete', { chatId: m.chatId, messageId: m.messageId });
    onMessageDeleted({ chatId: m.chatId, messageId: m.messageId, deletedBy: m.senderId, deletedAt: result.deletedAt });
    announce('Message deleted');
    els.input.focus();
  } catch (err) {
    showError(`Delete failed: ${messageOf(err)}`);
  }
}

/** The composer grows with its content, up to a few lines. */
function autosize() {
  els.input.style.height = 'auto';
  els.input.style.height = `${Math.min(els.input.scrollHeight, 160)}px`;
}

// ---------------------------------------------------------------- wiring

els.loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const checked = /** @type {HTMLInputElement | null} */ (els.userChoices.querySelector('input:checked'));
  if (checked) void signIn(checked.value);
});
els.switchUser.addEventListener('click', switchUser);
els.alertClose.addEventListener('click', clearError);

els.composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void sendFromComposer();
});
els.input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    void sendFromComposer();
  } else if (ev.key === 'ArrowUp' && els.input.value === '' && state.current && state.me) {
    // Like most chat apps: Up in an empty box edits your last message.
    const me = state.me.userId;
    const last = [...messagesOf(state.current).values()]
      .filter((m) => m.senderId === me && !m.deletedAt)
      .sort((a, b) => (a.messageId < b.messageId ? -1 : 1))
      .pop();
    if (last) {
      ev.preventDefault();
      startEdit(last.messageId);
    }
  } else if (ev.key === 'Escape') {
    clearError();
  }
});
els.input.addEventListener('input', () => {
  autosize();
  const chatId = state.current;
  if (!chatId || !state.socket) return;
  if (els.input.value.trim() === '') state.socket.stopTyping(chatId);
  else state.socket.typing(chatId);
});
els.input.addEventListener('blur', () => {
  if (state.current && state.socket) state.socket.stopTyping(state.current);
});

async function main() {
  await loadUsers();
  // ?as=bob signs in directly (handy for a second window); otherwise the
  // user of this tab's previous visit, if any.
  const wanted = new URLSearchParams(location.search).get('as') ?? sessionStorage.getItem(SESSION_KEY);
  if (wanted && state.users.some((u) => u.userId === wanted)) await signIn(wanted);
  else showLogin();
}

void main();
