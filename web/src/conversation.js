// @ts-check
/**
 * The open conversation: messages and typing arriving from the socket, and
 * sending, editing and deleting one's own messages (over the socket, with
 * acks). Message buttons are handled here by event delegation.
 */
import { MAX_CONTENT_LENGTH } from '/lettera-client.js';
import { refreshChats } from './chats.js';
import { els } from './dom.js';
import { messageOf } from './errors.js';
import { request } from './realtime.js';
import { markVisibleRead, onSenderRead, renderSeen } from './reads.js';
import { isMe, messagesOf, nameOf, sortedMessages, state } from './store.js';
import { announce, showError } from './views/banner.js';
import { titleOf, renderChatList } from './views/chat-list.js';
import { clearComposer } from './views/composer.js';
import { focusMessage, removeOutgoing, renderMessage, renderMessages, renderOutgoing } from './views/messages.js';
import { renderTyping } from './views/typing.js';

/** @typedef {import('./store.js').Message} Message @typedef {import('./store.js').Outgoing} Outgoing */

// ---------------------------------------------------------------- arriving

/** @param {Message} m */
export function onMessageNew(m) {
  const map = messagesOf(m.chatId);
  const isNew = !map.has(m.messageId);
  map.set(m.messageId, { ...map.get(m.messageId), ...m });
  // A chat we were added to while connected: list it.
  if (!state.chats.has(m.chatId)) void refreshChats();
  onStopTyping({ chatId: m.chatId, userId: m.senderId });
  onSenderRead(m);
  if (m.chatId === state.current) {
    renderMessage(m.messageId);
    renderSeen();
    markVisibleRead();
  }
  if (!isNew || isMe(m.senderId)) return;
  if (m.chatId === state.current && document.visibilityState === 'visible') {
    announce(`${nameOf(m.senderId)}: ${m.content}`);
  } else {
    state.unread.set(m.chatId, (state.unread.get(m.chatId) ?? 0) + 1);
    renderChatList();
    const title = state.chats.has(m.chatId) ? titleOf(state.chats.get(m.chatId)) : 'another chat';
    announce(`New message from ${nameOf(m.senderId)} in ${title}`);
  }
}

/** @param {{ messageId: string, chatId: string, senderId: string, content: string, editedAt: string }} e */
export function onMessageEdited(e) {
  const map = messagesOf(e.chatId);
  const old = map.get(e.messageId);
  if (old?.deletedAt) return;
  // An edit of a message older than the loaded pages still has enough to show.
  map.set(e.messageId, {
    timestamp: e.editedAt,
    ...old,
    messageId: e.messageId,
    chatId: e.chatId,
    senderId: e.senderId,
    content: e.content,
    editedAt: e.editedAt,
  });
  if (e.chatId === state.current) renderMessage(e.messageId);
}

/** @param {{ messageId: string, chatId: string, deletedAt: string }} e */
export function onMessageDeleted(e) {
  const map = messagesOf(e.chatId);
  const old = map.get(e.messageId);
  if (!old) return;
  map.set(e.messageId, { ...old, content: '', deletedAt: e.deletedAt });
  if (state.editing === e.messageId) state.editing = null;
  if (e.chatId === state.current) renderMessage(e.messageId);
}

/** @param {{ chatId: string, userId: string }} d */
export function onTyping(d) {
  if (isMe(d.userId)) return;
  let typists = state.typing.get(d.chatId);
  if (!typists) {
    typists = new Set();
    state.typing.set(d.chatId, typists);
  }
  typists.add(d.userId);
  if (d.chatId === state.current) renderTyping();
}

/** @param {{ chatId: string, userId: string }} d */
export function onStopTyping(d) {
  state.typing.get(d.chatId)?.delete(d.userId);
  if (d.chatId === state.current) renderTyping();
}

// ---------------------------------------------------------------- sending

function newClientMessageId() {
  // randomUUID exists in secure contexts only (http://127.0.0.1 is one, a LAN address is not).
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sendFromComposer() {
  const chatId = state.current;
  const content = els.input.value.trim();
  if (!chatId || content === '') return;
  if (content.length > MAX_CONTENT_LENGTH) {
    showError(`A message holds at most ${MAX_CONTENT_LENGTH} characters (this one has ${content.length}).`);
    return;
  }
  clearComposer();
  state.socket?.stopTyping(chatId);
  await sendOutgoing({ clientMessageId: newClientMessageId(), chatId, content, status: 'sending' });
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
    const stored = await request('message:send',
      { chatId: out.chatId, content: out.content, clientMessageId: out.clientMessageId });
    if (generation !== state.generation) return;
    state.outgoing.delete(out.clientMessageId);
    removeOutgoing(out.clientMessageId);
    onMessageNew(stored);
  } catch (err) {
    if (generation !== state.generation) return;
    out.status = 'failed';
    out.error = messageOf(err);
    if (out.chatId === state.current) renderOutgoing(out);
    showError(`Message not sent: ${out.error}`);
  }
}

/** Up in an empty composer edits one's last message, as in most chat apps. */
export function editLastOwnMessage() {
  if (!state.current) return false;
  const last = sortedMessages(state.current).filter((m) => isMe(m.senderId) && !m.deletedAt).pop();
  if (!last) return false;
  startEdit(last.messageId);
  return true;
}

/** @param {string} messageId */
function startEdit(messageId) {
  const previous = state.editing;
  state.editing = messageId;
  if (previous) renderMessage(previous);
  renderMessage(messageId);
}

/** @param {string} messageId */
function cancelEdit(messageId) {
  state.editing = null;
  renderMessage(messageId);
  focusMessage(messageId);
}

/** @param {Message} m @param {string} value */
async function saveEdit(m, value) {
  const content = value.trim();
  if (content === '') {
    showError('A message cannot be empty; use Delete to remove it.');
    return;
  }
  if (content === m.content) {
    cancelEdit(m.messageId);
    return;
  }
  try {
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
    const result = await request('message:delete', { chatId: m.chatId, messageId: m.messageId });
    onMessageDeleted({ chatId: m.chatId, messageId: m.messageId, deletedAt: result.deletedAt });
    announce('Message deleted');
    els.input.focus();
  } catch (err) {
    showError(`Delete failed: ${messageOf(err)}`);
  }
}

// ---------------------------------------------------------------- message buttons

/** The stored message an element belongs to, if any. @param {Element} el */
function messageAt(el) {
  const li = el.closest('[data-message-id]');
  const id = li instanceof HTMLElement ? li.dataset.messageId : undefined;
  return id && state.current ? messagesOf(state.current).get(id) : undefined;
}

/** The outgoing message an element belongs to, if any. @param {Element} el */
function outgoingAt(el) {
  const li = el.closest('[data-outgoing]');
  const id = li instanceof HTMLElement ? li.dataset.outgoing : undefined;
  return id ? state.outgoing.get(id) : undefined;
}

/** Wires Edit, Delete, Retry, Discard and the inline editor of #messages. */
export function initMessageActions() {
  els.messages.addEventListener('click', (ev) => {
    const button = ev.target instanceof Element ? ev.target.closest('button[data-action]') : null;
    if (!(button instanceof HTMLElement)) return;
    const m = messageAt(button);
    const out = outgoingAt(button);
    switch (button.dataset.action) {
      case 'edit':
        if (m) startEdit(m.messageId);
        break;
      case 'delete':
        if (m) void deleteMessage(m);
        break;
      case 'cancel-edit':
        if (m) cancelEdit(m.messageId);
        break;
      case 'retry':
        if (out) void sendOutgoing(out);
        break;
      case 'discard':
        if (out) {
          state.outgoing.delete(out.clientMessageId);
          renderMessages({ keep: 'place' });
          els.input.focus();
        }
        break;
    }
  });
  els.messages.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const m = form instanceof HTMLFormElement ? messageAt(form) : undefined;
    const area = form instanceof HTMLFormElement ? form.elements.namedItem('content') : null;
    if (m && area instanceof HTMLTextAreaElement) void saveEdit(m, area.value);
  });
  els.messages.addEventListener('keydown', (ev) => {
    const area = ev.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.form?.classList.contains('edit-form')) return;
    const m = messageAt(area);
    if (ev.key === 'Escape' && m) {
      ev.preventDefault();
      cancelEdit(m.messageId);
    } else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      area.form.requestSubmit();
    }
  });
}
