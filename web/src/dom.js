// @ts-check
/**
 * The page's fixed elements (from index.html) and small DOM helpers. Text
 * only ever reaches the DOM through textContent: nothing here parses HTML.
 */
import { nameOf } from './store.js';

/**
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {new () => T} [type] checked at startup, so a renamed element fails loudly
 * @returns {T}
 */
function byId(id, type) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  if (type && !(el instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return /** @type {T} */ (el);
}

export const els = {
  connection: byId('connection'),
  whoami: byId('whoami'),
  whoamiName: byId('whoami-name'),
  whoamiAvatar: byId('whoami-avatar'),
  switchUser: byId('switch-user', HTMLButtonElement),
  statusForm: byId('status-form', HTMLFormElement),
  statusState: byId('status-state', HTMLSelectElement),
  statusText: byId('status-text', HTMLInputElement),
  alert: byId('alert'),
  alertText: byId('alert-text'),
  alertClose: byId('alert-close', HTMLButtonElement),
  announcer: byId('announcer'),
  login: byId('login'),
  loginForm: byId('login-form', HTMLFormElement),
  userChoices: byId('user-choices'),
  loginSubmit: byId('login-submit', HTMLButtonElement),
  app: byId('app'),
  newChat: byId('new-chat', HTMLButtonElement),
  newChatDialog: byId('new-chat-dialog', HTMLDialogElement),
  newChatForm: byId('new-chat-form', HTMLFormElement),
  newChatTitle: byId('new-chat-title', HTMLInputElement),
  newChatPeople: byId('new-chat-people'),
  newChatError: byId('new-chat-error'),
  newChatCancel: byId('new-chat-cancel', HTMLButtonElement),
  chatList: byId('chat-list'),
  chatListEmpty: byId('chat-list-empty'),
  chatTitle: byId('chat-title'),
  leaveChat: byId('leave-chat', HTMLButtonElement),
  participants: byId('participants'),
  scroller: byId('message-scroller'),
  loadOlder: byId('load-older', HTMLButtonElement),
  messages: byId('messages'),
  newMessages: byId('new-messages', HTMLButtonElement),
  typing: byId('typing'),
  seen: byId('seen'),
  composer: byId('composer', HTMLFormElement),
  input: byId('composer-input', HTMLTextAreaElement),
  send: byId('send', HTMLButtonElement),
  messageTemplate: byId('message-template', HTMLTemplateElement),
};

/**
 * A new element with a class and text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * The first element matching a selector inside root, which index.html guarantees.
 * @param {ParentNode} root @param {string} selector
 */
export function part(root, selector) {
  const el = root.querySelector(selector);
  if (!(el instanceof HTMLElement)) throw new Error(`${selector} is missing from its template`);
  return el;
}

/** A stable hue per user so avatars are told apart at a glance. @param {string} userId */
function hueOf(userId) {
  let hue = 0;
  for (const ch of userId) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return hue;
}

/** @param {HTMLElement} el @param {string} userId */
export function paintAvatar(el, userId) {
  el.textContent = nameOf(userId).slice(0, 1).toUpperCase();
  el.style.setProperty('--hue', String(hueOf(userId)));
}

/** @param {string} iso */
export function formatTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** @param {string} text */
export function paragraph(text) {
  return h('p', 'subtle', text);
}

/** Moves focus to the composer when nothing else holds it (after sign-in focus was on a now hidden button). */
export function focusComposerIfIdle() {
  if (!els.input.disabled && (document.activeElement === null || document.activeElement === document.body)) {
    els.input.focus();
  }
}
