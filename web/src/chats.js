// @ts-check
/**
 * Chats: list them, open one (its participants and newest page of history
 * first, older pages on request), create one, leave one; follow who is
 * added, removed or made owner; block and unblock users.
 */
import * as api from './api.js';
import { els, focusComposerIfIdle } from './dom.js';
import { isUnauthorized, messageOf } from './errors.js';
import { forgetChat, historyOf, messagesOf, sortedChats, state } from './store.js';
import { announce, showError } from './views/banner.js';
import { renderChatHeader, renderChatList, titleOf } from './views/chat-list.js';
import { syncComposer } from './views/composer.js';
import { closeNewChatDialog, readNewChatForm, setNewChatBusy, showNewChatError } from './views/new-chat.js';
import { askPresence } from './presence.js';
import { onToggleBlock, renderParticipants } from './views/presence.js';
import { renderLoadOlder, renderMessages } from './views/messages.js';
import { renderTyping } from './views/typing.js';
import { loadReads, markVisibleRead, renderSeen } from './reads.js';

/** Messages per history page: a screenful or two; older ones come with "Load older messages". */
export const HISTORY_PAGE = 30;

/** Reloads the chat list (after sign-in, a reconnect, or a message in an unknown chat). */
export async function refreshChats() {
  const generation = state.generation;
  /** @type {import('/lettera-client.js').ChatSummary[]} */
  let items;
  /** @type {import('/lettera-client.js').Block[]} */
  let blocks;
  try {
    [items, blocks] = await Promise.all([api.listChats(), api.listBlocks()]);
  } catch (err) {
    if (!isUnauthorized(err)) showError(`Could not load chats: ${messageOf(err)}`);
    return;
  }
  if (generation !== state.generation) return;
  state.blocked = new Set(blocks.map((block) => block.userId));
  // Participants already read stay; the list carries only the user's own role.
  state.chats = new Map(items.map((c) => [c.chatId, { ...state.chats.get(c.chatId), ...c }]));
  // The server counts unread from the user's read position; the open chat is being read.
  for (const c of items) {
    if (c.chatId === state.current) continue;
    if (c.unreadCount) state.unread.set(c.chatId, c.unreadCount);
    else state.unread.delete(c.chatId);
  }
  // Tracked chats are the ones the client recovers after a reconnect.
  for (const chat of items) state.socket?.trackChat(chat.chatId);
  if (state.current !== null && !state.chats.has(state.current)) forgetChat(state.current);
  renderChatList();
  const first = sortedChats()[0];
  if (state.current === null && first) await selectChat(first.chatId, { focus: false });
  else if (state.current === null) renderOpenChat();
  else {
    // After a reconnect: the client delivers what it missed as events.
    renderChatHeader();
    renderParticipants();
  }
}

/** Draws everything about the open chat (or the empty state when none is open). */
function renderOpenChat() {
  renderChatList();
  renderChatHeader();
  renderParticipants();
  renderTyping();
  syncComposer();
  renderMessages({ keep: 'end' });
  renderSeen();
  markVisibleRead();
}

/** @param {string} chatId @param {{ focus: boolean }} opts */
export async function selectChat(chatId, opts) {
  if (state.current && state.current !== chatId) state.socket?.stopTyping(state.current);
  state.current = chatId;
  state.editing = null;
  state.unread.delete(chatId);
  renderOpenChat();
  if (opts.focus) els.input.focus();
  else focusComposerIfIdle();
  await Promise.all([
    state.chats.get(chatId)?.participants ? undefined : loadParticipants(chatId),
    historyOf(chatId).loaded ? undefined : loadLatest(chatId),
    loadReads(chatId),
  ]);
}

/**
 * Reads a chat's participants and owners (every page) once it is opened.
 * @param {string} chatId
 */
async function loadParticipants(chatId) {
  const generation = state.generation;
  try {
    const participants = await api.listParticipants(chatId);
    const chat = state.chats.get(chatId);
    if (generation !== state.generation || !chat) return;
    chat.participants = participants.map((p) => p.userId);
    chat.owners = new Set(participants.filter((p) => p.role === 'owner').map((p) => p.userId));
    renderChatList();
    if (state.current === chatId) renderParticipants();
    void askPresence(chat.participants);
  } catch (err) {
    if (!isUnauthorized(err)) showError(`Could not load participants: ${messageOf(err)}`);
  }
}

/** `chat:member-added`: the user themselves (a new chat for them) or someone else. @param {import('/lettera-client.js').MemberAddedData} data */
export function onMemberAdded(data) {
  const chat = state.chats.get(data.chatId);
  if (data.userId === state.me?.userId || !chat) {
    void refreshChats();
    return;
  }
  if (chat.participants && !chat.participants.includes(data.userId)) chat.participants.push(data.userId);
  if (data.role === 'owner') chat.owners?.add(data.userId);
  renderChatList();
  if (state.current === data.chatId) renderParticipants();
}

/** `chat:member-removed`: the user themselves (removed, or left in another tab) or someone else. @param {import('/lettera-client.js').MemberRemovedData} data */
export function onMemberRemoved(data) {
  const chat = state.chats.get(data.chatId);
  if (!chat) return;
  if (data.userId === state.me?.userId) {
    state.socket?.untrackChat(data.chatId);
    forgetChat(data.chatId);
    announce(`You are no longer in ${titleOf(chat)}`);
    renderOpenChat();
    return;
  }
  if (chat.participants) chat.participants = chat.participants.filter((userId) => userId !== data.userId);
  chat.owners?.delete(data.userId);
  renderChatList();
  if (state.current === data.chatId) renderParticipants();
}

/** `chat:role-changed`. @param {import('/lettera-client.js').RoleChangedData} data */
export function onRoleChanged(data) {
  const chat = state.chats.get(data.chatId);
  if (!chat) return;
  if (data.role === 'owner') chat.owners?.add(data.userId);
  else chat.owners?.delete(data.userId);
  if (data.userId === state.me?.userId) chat.role = data.role;
  renderChatList();
  if (state.current === data.chatId) renderParticipants();
}

/** `user:blocked` / `user:unblocked` (this tab or another of the same user). @param {string} userId @param {boolean} blocked */
export function onBlockChanged(userId, blocked) {
  if (blocked) state.blocked.add(userId);
  else state.blocked.delete(userId);
  renderParticipants();
}

/** Blocks or unblocks a participant from the participant list. */
onToggleBlock((userId) => {
  const blocked = state.blocked.has(userId);
  void (blocked ? api.unblockUser(userId) : api.blockUser(userId)).then(
    () => {
      onBlockChanged(userId, !blocked);
      announce(`${blocked ? 'Unblocked' : 'Blocked'} ${userId}`);
    },
    (err) => {
      if (!isUnauthorized(err)) showError(`Could not ${blocked ? 'unblock' : 'block'} ${userId}: ${messageOf(err)}`);
    },
  );
});

/**
 * Loads the newest page of a chat once.
 * @param {string} chatId
 */
async function loadLatest(chatId) {
  const generation = state.generation;
  try {
    const page = await api.listMessages(chatId, { limit: HISTORY_PAGE });
    if (generation !== state.generation || !state.chats.has(chatId)) return;
    // Live events that raced the request win: they are newer than the page.
    const known = messagesOf(chatId);
    for (const m of page.items) if (!known.has(m.messageId)) known.set(m.messageId, m);
    const history = historyOf(chatId);
    history.loaded = true;
    history.olderCursor = page.next ?? null;
    // The newest page holds the chat's latest positions: recovery continues from the largest.
    state.socket?.trackChat(chatId, Math.max(0, ...page.items.map((m) => m.seq ?? 0)));
    if (state.current === chatId) {
      renderMessages({ keep: 'end' });
      renderSeen();
      markVisibleRead();
    }
  } catch (err) {
    if (!isUnauthorized(err)) showError(`Could not load messages: ${messageOf(err)}`);
  }
}

/** Loads the page before the oldest message shown, keeping the reader's place. */
export async function loadOlder() {
  const chatId = state.current;
  if (!chatId) return;
  const history = historyOf(chatId);
  if (history.loadingOlder || history.olderCursor === null) return;
  const generation = state.generation;
  history.loadingOlder = true;
  renderLoadOlder();
  try {
    const page = await api.listMessages(chatId, { limit: HISTORY_PAGE, before: history.olderCursor });
    if (generation !== state.generation) return;
    const known = messagesOf(chatId);
    for (const m of page.items) if (!known.has(m.messageId)) known.set(m.messageId, m);
    history.olderCursor = page.next ?? null;
    announce(page.items.length === 1 ? '1 older message loaded' : `${page.items.length} older messages loaded`);
  } catch (err) {
    if (!isUnauthorized(err)) showError(`Could not load older messages: ${messageOf(err)}`);
  } finally {
    history.loadingOlder = false;
  }
  if (state.current !== chatId) return;
  const hadFocus = document.activeElement === els.loadOlder;
  renderMessages({ keep: 'place' });
  // The button is gone at the start of the conversation: keep focus in the list.
  if (hadFocus && els.loadOlder.hidden) els.scroller.focus();
}

/** Creates a chat from the "New chat" dialog and opens it. */
export async function createChatFromDialog() {
  const { title, participants } = readNewChatForm();
  if (title === '') {
    showNewChatError('Give the chat a title.');
    return;
  }
  setNewChatBusy(true);
  try {
    const chat = await api.createChat(title, participants);
    state.chats.set(chat.chatId, { ...chat, role: 'owner', owners: new Set([state.me?.userId ?? '']) });
    state.socket?.trackChat(chat.chatId);
    closeNewChatDialog();
    announce(`Chat ${titleOf(chat)} created`);
    await selectChat(chat.chatId, { focus: true });
  } catch (err) {
    if (!isUnauthorized(err)) showNewChatError(`Could not create the chat: ${messageOf(err)}`);
  } finally {
    setNewChatBusy(false);
  }
}

/** Leaves the open chat, after asking, and opens the next one. */
export async function leaveOpenChat() {
  const chatId = state.current;
  const me = state.me;
  if (!chatId || !me) return;
  const title = titleOf(state.chats.get(chatId));
  if (!confirm(`Leave "${title}"? You will stop receiving its messages.`)) return;
  try {
    await api.removeParticipant(chatId, me.userId);
  } catch (err) {
    if (!isUnauthorized(err)) showError(`Could not leave ${title}: ${messageOf(err)}`);
    return;
  }
  state.socket?.stopTyping(chatId);
  state.socket?.untrackChat(chatId);
  forgetChat(chatId);
  announce(`You left ${title}`);
  const next = sortedChats()[0];
  if (next) await selectChat(next.chatId, { focus: true });
  else {
    renderOpenChat();
    els.newChat.focus();
  }
}
