// @ts-check
/**
 * The open chat's messages and how the list scrolls. The list sticks to
 * the newest message while the reader is at the end ("pinned"); a reader
 * scrolled up to older messages stays where they are and gets a
 * "New messages ↓" pill instead. Loading older messages keeps the message
 * the reader was looking at in place.
 *
 * Buttons carry `data-action` (edit, delete, retry, discard, cancel-edit)
 * and their item `data-message-id` or `data-outgoing`; the conversation
 * controller handles them by event delegation, so this module only draws.
 */
import { MAX_CONTENT_LENGTH } from '/lettera-client.js';
import { els, formatTime, h, paintAvatar, part } from '../dom.js';
import { historyOf, isMe, nameOf, sortedMessages, state } from '../store.js';

/** @typedef {import('../store.js').Message} Message @typedef {import('../store.js').Outgoing} Outgoing */

/** Within this many px of the bottom counts as "at the newest message". */
const NEAR_END_PX = 40;
/** How much of a message an action's accessible name quotes. */
const QUOTE_LENGTH = 40;

let pinned = true;

function isNearEnd() {
  const el = els.scroller;
  return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_END_PX;
}

/** Whether the list shows its newest message (the reader is at the end). */
export const isAtEnd = () => pinned;

export function scrollToEnd() {
  els.scroller.scrollTop = els.scroller.scrollHeight;
  pinned = true;
  els.newMessages.hidden = true;
}

/** Follows the reader's scrolling and keeps a pinned list at its end when sizes change. */
export function initMessageScrolling() {
  els.scroller.addEventListener('scroll', () => {
    pinned = isNearEnd();
    if (pinned) els.newMessages.hidden = true;
  }, { passive: true });
  // The composer growing, the window turning, an edit wrapping to more lines.
  const stick = new ResizeObserver(() => {
    if (pinned) els.scroller.scrollTop = els.scroller.scrollHeight;
  });
  stick.observe(els.scroller);
  stick.observe(els.messages);
  els.newMessages.addEventListener('click', () => {
    scrollToEnd();
    els.input.focus();
  });
}

/**
 * Draws the open chat's whole list.
 * @param {{ keep: 'end' | 'place' }} opts `end` scrolls to the newest message;
 *   `place` keeps the first message shown where it was (older ones are added above it)
 */
export function renderMessages({ keep }) {
  const chatId = state.current;
  // Measured before anything changes (the Load older button may go away too).
  const anchor = keep === 'place' ? els.messages.querySelector('[data-message-id]') : null;
  const anchorTop = anchor?.getBoundingClientRect().top ?? 0;
  renderLoadOlder();
  if (!chatId) {
    els.messages.replaceChildren();
    return;
  }
  const nodes = sortedMessages(chatId).map(messageNode);
  for (const out of state.outgoing.values()) if (out.chatId === chatId) nodes.push(outgoingNode(out));
  if (nodes.length === 0 && historyOf(chatId).loaded) nodes.push(h('li', 'empty subtle', 'No messages yet. Say hello!'));
  els.messages.replaceChildren(...nodes);
  const anchorId = anchor instanceof HTMLElement ? anchor.dataset.messageId : undefined;
  const again = anchorId ? els.messages.querySelector(`[data-message-id="${CSS.escape(anchorId)}"]`) : null;
  if (keep === 'end' || !again) {
    scrollToEnd();
  } else {
    els.scroller.scrollTop += again.getBoundingClientRect().top - anchorTop;
    // Set now, not on the scroll event: the resize observer may run first.
    pinned = isNearEnd();
  }
}

/** The "Load older messages" button: shown while the API has an older page. */
export function renderLoadOlder() {
  const history = state.current ? historyOf(state.current) : null;
  els.loadOlder.hidden = !history?.loaded || history.olderCursor === null;
  els.loadOlder.disabled = history?.loadingOlder ?? false;
  els.loadOlder.textContent = history?.loadingOlder ? 'Loading older messages…' : 'Load older messages';
}

/**
 * Creates or updates one message of the open chat in place (keeps focus and
 * scroll of the rest of the list), inserted in id order ahead of outgoing ones.
 * @param {string} messageId
 */
export function renderMessage(messageId) {
  const m = state.current ? state.messages.get(state.current)?.get(messageId) : undefined;
  if (!m) return;
  els.messages.querySelector('.empty')?.remove();
  const existing = els.messages.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
  const node = messageNode(m);
  if (existing) {
    const hadFocus = existing.contains(document.activeElement);
    existing.replaceWith(node);
    if (hadFocus) focusFirstAction(node);
    return;
  }
  const wasPinned = pinned;
  const after = [...els.messages.children].find((li) => {
    const el = /** @type {HTMLElement} */ (li);
    return el.dataset.outgoing !== undefined || (el.dataset.messageId !== undefined && el.dataset.messageId > messageId);
  });
  els.messages.insertBefore(node, after ?? null);
  if (wasPinned || isMe(m.senderId)) scrollToEnd();
  else els.newMessages.hidden = false;
}

/** Shows (or updates) a message on its way to the server. @param {Outgoing} out */
export function renderOutgoing(out) {
  const existing = outgoingItem(out.clientMessageId);
  const node = outgoingNode(out);
  if (existing) existing.replaceWith(node);
  else {
    els.messages.querySelector('.empty')?.remove();
    els.messages.append(node);
  }
  scrollToEnd();
}

/** @param {string} clientMessageId */
export function removeOutgoing(clientMessageId) {
  outgoingItem(clientMessageId)?.remove();
}

/** @param {string} clientMessageId */
function outgoingItem(clientMessageId) {
  return els.messages.querySelector(`[data-outgoing="${CSS.escape(clientMessageId)}"]`);
}

/** Focus back on a message's first button after a re-render (e.g. Edit after Cancel), else the composer. @param {string} messageId */
export function focusMessage(messageId) {
  const li = els.messages.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
  if (li) focusFirstAction(li);
  else els.input.focus();
}

/** @param {Element} li */
function focusFirstAction(li) {
  const target = li.querySelector('textarea, button');
  if (target instanceof HTMLElement) target.focus();
  else els.input.focus();
}

function templateItem() {
  const li = /** @type {DocumentFragment} */ (els.messageTemplate.content.cloneNode(true)).firstElementChild;
  if (!(li instanceof HTMLLIElement)) throw new Error('#message-template must hold one <li>');
  return li;
}

/** @param {string} action @param {string} text @param {string} label */
function actionButton(action, text, label) {
  const b = h('button', 'link-button', text);
  b.type = 'button';
  b.dataset.action = action;
  b.setAttribute('aria-label', label);
  return b;
}

/** @param {Message} m */
function messageNode(m) {
  const li = templateItem();
  const mine = isMe(m.senderId);
  li.dataset.messageId = m.messageId;
  li.dataset.sender = m.senderId;
  li.classList.toggle('mine', mine);
  li.classList.toggle('deleted', Boolean(m.deletedAt));
  paintAvatar(part(li, '.avatar'), m.senderId);
  part(li, '.sender').textContent = mine ? 'You' : nameOf(m.senderId);
  const time = /** @type {HTMLTimeElement} */ (part(li, '.time'));
  time.dateTime = m.timestamp;
  time.textContent = formatTime(m.timestamp);
  const status = part(li, '.status');
  status.textContent = !m.deletedAt && m.editedAt ? '(edited)' : '';
  if (m.editedAt) status.title = `Edited ${new Date(m.editedAt).toLocaleString()}`;
  const content = part(li, '.content');
  const actions = part(li, '.actions');
  const quote = m.content.slice(0, QUOTE_LENGTH);

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
        actionButton('edit', 'Edit', `Edit message: ${quote}`),
        actionButton('delete', 'Delete', `Delete message: ${quote}`),
      );
    } else {
      actions.remove();
    }
  }
  return li;
}

/** @param {Outgoing} out */
function outgoingNode(out) {
  const li = templateItem();
  li.dataset.outgoing = out.clientMessageId;
  li.classList.add('mine', out.status);
  paintAvatar(part(li, '.avatar'), state.me?.userId ?? '?');
  part(li, '.sender').textContent = 'You';
  part(li, '.status').textContent = out.status === 'sending' ? 'Sending…' : `Not sent: ${out.error ?? 'unknown error'}`;
  part(li, '.content').textContent = out.content;
  const actions = part(li, '.actions');
  const quote = out.content.slice(0, QUOTE_LENGTH);
  if (out.status === 'failed') {
    actions.append(
      actionButton('retry', 'Retry', `Retry sending: ${quote}`),
      actionButton('discard', 'Discard', `Discard unsent message: ${quote}`),
    );
  } else {
    actions.remove();
  }
  return li;
}

/** The inline editor of one's own message: Enter saves, Escape cancels. @param {Message} m */
function editForm(m) {
  const form = h('form', 'edit-form');
  const id = `edit-${m.messageId}`;
  const label = h('label', 'visually-hidden', 'Edit message');
  label.htmlFor = id;
  const area = h('textarea');
  area.id = id;
  area.name = 'content';
  area.value = m.content;
  area.maxLength = MAX_CONTENT_LENGTH;
  area.rows = Math.min(6, m.content.split('\n').length);
  const save = h('button', 'primary small', 'Save');
  save.type = 'submit';
  const cancel = h('button', 'link-button', 'Cancel');
  cancel.type = 'button';
  cancel.dataset.action = 'cancel-edit';
  form.append(label, area, save, cancel, h('span', 'hint', 'Enter saves · Escape cancels'));
  queueMicrotask(() => {
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });
  return form;
}
