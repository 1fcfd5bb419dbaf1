// @ts-check
/**
 * The HTTP API and the local runtime's `/dev/*` endpoints, one function per
 * call. Requests carry the session's token; a 401 on an authenticated call
 * ends the session through the handler set with onUnauthorized().
 */
import { HttpError } from './errors.js';
import { state } from './store.js';

/**
 * @typedef {import('./store.js').Chat} Chat
 * @typedef {import('./store.js').Message} Message
 * @typedef {import('./store.js').DemoUser} DemoUser
 * @typedef {import('./store.js').PageConfig} PageConfig
 * @typedef {{ items: Message[], next?: string }} MessagePage
 */

/**
 * The API lists a chat forward from its first message unless given a
 * cursor; `before` the largest possible ULID (every message id is a ULID)
 * gives the newest page instead, newest last.
 */
const AFTER_EVERY_MESSAGE = 'Z'.repeat(26);

/** @type {() => void} */
let unauthorized = () => undefined;

/** Sets what happens when the API refuses the session's token. @param {() => void} handler */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/**
 * Calls the HTTP API (same origin as the page unless /dev/config says otherwise).
 * @param {string} path @param {{ method?: string, body?: unknown, auth?: boolean }} [opts]
 * @returns {Promise<any>} the parsed JSON body, null when there is none
 */
async function call(path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.auth !== false && state.me) headers.authorization = `Bearer ${state.me.token}`;
  const res = await fetch((state.config?.httpUrl ?? '') + path, {
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
    if (res.status === 401 && opts.auth !== false) unauthorized();
    throw err;
  }
  return json;
}

/** @param {string} chatId */
const chatPath = (chatId) => `/chats/${encodeURIComponent(chatId)}`;

/** @returns {Promise<DemoUser[]>} */
export const fetchDemoUsers = () => call('/dev/users', { auth: false });

/** @returns {Promise<PageConfig>} */
export const fetchConfig = () => call('/dev/config', { auth: false });

/**
 * @param {string} userId
 * @returns {Promise<{ token: string, userId: string, expiresAt: number | string }>}
 */
export const fetchDevToken = (userId) => call('/dev/token', { method: 'POST', body: { userId }, auth: false });

/** Largest page the HTTP API hands out. */
const PAGE_SIZE = 100;

/**
 * Every item of a paginated list (`{items, next?}`), following `next`.
 * @template T @param {string} path @returns {Promise<T[]>}
 */
async function listAll(path) {
  /** @type {T[]} */
  const items = [];
  /** @type {string | undefined} */
  let cursor;
  do {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor !== undefined && { cursor }) });
    /** @type {import('/lettera-client.js').Page<T>} */
    const page = await call(`${path}?${query}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}

/** The caller's chats with their role in each (every page). @returns {Promise<import('/lettera-client.js').ChatSummary[]>} */
export const listChats = () => listAll('/chats');

/** A chat's participants with their roles (every page). @param {string} chatId @returns {Promise<import('/lettera-client.js').Participant[]>} */
export const listParticipants = (chatId) => listAll(`${chatPath(chatId)}/participants`);

/** The read positions of a chat's participants (every page). @param {string} chatId @returns {Promise<import('/lettera-client.js').ReadState[]>} */
export const listReads = (chatId) => listAll(`${chatPath(chatId)}/reads`);

/** The users the caller blocked (every page). @returns {Promise<import('/lettera-client.js').Block[]>} */
export const listBlocks = () => listAll('/users/me/blocks');

/** Blocks a user (204). @param {string} userId @returns {Promise<void>} */
export const blockUser = (userId) => call(`/users/me/blocks/${encodeURIComponent(userId)}`, { method: 'PUT' });

/** Lifts a block (204). @param {string} userId @returns {Promise<void>} */
export const unblockUser = (userId) => call(`/users/me/blocks/${encodeURIComponent(userId)}`, { method: 'DELETE' });

/**
 * Creates a chat; the caller is always one of its participants.
 * @param {string} title @param {string[]} participants
 * @returns {Promise<Chat>}
 */
export const createChat = (title, participants) => call('/chats', { method: 'POST', body: { title, participants } });

/** Removes the user from a chat (204). @param {string} chatId @param {string} userId @returns {Promise<void>} */
export const removeParticipant = (chatId, userId) =>
  call(`${chatPath(chatId)}/participants/${encodeURIComponent(userId)}`, { method: 'DELETE' });

/**
 * One page of a chat's history, oldest first: the newest `limit` messages,
 * or with `before` the ones just older than that message id. `next` is set
 * when older messages remain (pass it as `before`).
 * @param {string} chatId @param {{ limit: number, before?: string }} page
 * @returns {Promise<MessagePage>}
 */
export const listMessages = (chatId, { limit, before }) => {
  const query = new URLSearchParams({ limit: String(limit), before: before ?? AFTER_EVERY_MESSAGE });
  return call(`${chatPath(chatId)}/messages?${query}`);
};
