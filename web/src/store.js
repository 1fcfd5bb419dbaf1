// @ts-check
/**
 * The page's one source of truth: who is signed in, the chats, their
 * messages, typing and presence. Views read it; controllers (session,
 * chats, conversation) change it and then ask the views to render.
 */

/**
 * A chat as the page knows it: from the chat list (title, the user's role),
 * its participants once the chat was opened (or created here).
 * @typedef {{ chatId: string, title: string, role?: import('/lettera-client.js').ChatRole,
 *   participants?: string[], owners?: Set<string> }} Chat
 * A message as the page keeps it: from the history (with its position) or from a live event (the
 * position travels in the event's meta, not its data).
 * @typedef {Omit<import('/lettera-client.js').Message, 'seq'> & { seq?: number }} Message
 * @typedef {import('/lettera-client.js').ChatSocket} ChatSocket
 * @typedef {{ userId: string, name: string }} DemoUser
 * @typedef {{ userId: string, name: string, token: string, expiresAt: number }} Session
 * @typedef {{ clientMessageId: string, chatId: string, content: string,
 *   status: 'sending' | 'failed', error?: string }} Outgoing
 * @typedef {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'expired'} ConnectionState
 * @typedef {{ wsUrl: string, httpUrl: string }} PageConfig
 * @typedef {{ loaded: boolean, loadingOlder: boolean, olderCursor: string | null }} HistoryState
 */

export const state = {
  /** @type {DemoUser[]} */ users: [],
  /** @type {Session | null} */ me: null,
  /** @type {ChatSocket | null} */ socket: null,
  /** @type {PageConfig | null} */ config: null,
  /** @type {Map<string, Chat>} */ chats: new Map(),
  /** @type {Map<string, number>} */ unread: new Map(),
  /** chatId → userId → message id read up to. @type {Map<string, Map<string, string>>} */ reads: new Map(),
  /** chatId → the newest message id this page marked read. @type {Map<string, string>} */ marked: new Map(),
  /** chatId → messageId → message. @type {Map<string, Map<string, Message>>} */ messages: new Map(),
  /**
   * chatId → how far its history is loaded: `olderCursor` is the API's
   * `next` (pass as `before` for the page before), null when the oldest
   * message is shown. @type {Map<string, HistoryState>}
   */
  history: new Map(),
  /** @type {Map<string, Outgoing>} */ outgoing: new Map(),
  /** @type {string | null} */ current: null,
  /** chatId → user ids typing there. @type {Map<string, Set<string>>} */ typing: new Map(),
  /**
   * userId → presence: asked with presence:query on every connect and when a
   * chat's participants load (presence.js), then kept by user:online /
   * user:offline events (self is online while connected); "unknown" until
   * either names the user.
   * @type {Map<string, 'online' | 'offline'>}
   */
  presence: new Map(),
  /** userId → when they were last seen (ISO), for users offline. @type {Map<string, string>} */
  lastSeen: new Map(),
  /**
   * userId → the state and status text an online user set (user:online,
   * user:status, presence:query). @type {Map<string, import('/lettera-client-presence.js').ChosenStatus>}
   */
  states: new Map(),
  /** The signed-in user's status keeper (idle → away). @type {import('/lettera-client-presence.js').AutoAway | null} */
  status: null,
  /** Users the signed-in user blocked. @type {Set<string>} */ blocked: new Set(),
  /** @type {string | null} */ editing: null,
  /** @type {ConnectionState} */ connection: 'idle',
  /** Bumped on every sign-in so late callbacks of an old session are ignored. */
  generation: 0,
};

/** Forgets everything of the signed-in user (the demo user list and config stay). */
export function resetUserState() {
  state.me = null;
  state.socket = null;
  state.chats.clear();
  state.unread.clear();
  state.reads.clear();
  state.marked.clear();
  state.messages.clear();
  state.history.clear();
  state.outgoing.clear();
  state.typing.clear();
  state.presence.clear();
  state.lastSeen.clear();
  state.states.clear();
  state.status = null;
  state.blocked.clear();
  state.current = null;
  state.editing = null;
}

/** Forgets one chat (the user left it). @param {string} chatId */
export function forgetChat(chatId) {
  state.chats.delete(chatId);
  state.unread.delete(chatId);
  state.reads.delete(chatId);
  state.marked.delete(chatId);
  state.messages.delete(chatId);
  state.history.delete(chatId);
  state.typing.delete(chatId);
  for (const [id, out] of state.outgoing) if (out.chatId === chatId) state.outgoing.delete(id);
  if (state.current === chatId) {
    state.current = null;
    state.editing = null;
  }
}

/** @param {string} userId */
export function nameOf(userId) {
  return state.users.find((u) => u.userId === userId)?.name ?? userId;
}

/** @param {string} userId */
export function isMe(userId) {
  return userId === state.me?.userId;
}

/** The messages of a chat by id, created empty on first use. @param {string} chatId */
export function messagesOf(chatId) {
  let map = state.messages.get(chatId);
  if (!map) {
    map = new Map();
    state.messages.set(chatId, map);
  }
  return map;
}

/** A chat's messages oldest first (message ids sort by time). @param {string} chatId */
export function sortedMessages(chatId) {
  return [...messagesOf(chatId).values()].sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
}

/** @param {string} chatId @returns {HistoryState} */
export function historyOf(chatId) {
  let history = state.history.get(chatId);
  if (!history) {
    history = { loaded: false, loadingOlder: false, olderCursor: null };
    state.history.set(chatId, history);
  }
  return history;
}

export function sortedChats() {
  return [...state.chats.values()].sort((a, b) => a.title.localeCompare(b.title));
}

/** @param {string} chatId */
export function typistsIn(chatId) {
  return [...(state.typing.get(chatId) ?? [])];
}

export function tokenExpired() {
  return state.me !== null && Date.now() >= state.me.expiresAt;
}
