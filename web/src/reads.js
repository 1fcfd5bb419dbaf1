// @ts-check
/**
 * Read receipts in the demo: the open chat is marked read up to its newest
 * message while that message is on screen (the list at its end, the tab
 * visible), and "Seen by …" under the messages names the others who have
 * read the signed-in user's last message. Positions come from
 * `GET /chats/{id}/reads` when a chat opens, then from `message:read` and
 * `message:new` (a sender has read the chat up to their own message).
 */
import * as api from './api.js';
import { els } from './dom.js';
import { request } from './realtime.js';
import { isMe, nameOf, sortedMessages, state } from './store.js';
import { renderChatList } from './views/chat-list.js';
import { isAtEnd } from './views/messages.js';

/** A chat's read positions, userId → message id read up to, created empty on first use. @param {string} chatId */
function positionsOf(chatId) {
  let map = state.reads.get(chatId);
  if (!map) {
    map = new Map();
    state.reads.set(chatId, map);
  }
  return map;
}

/** Records a position if it is further than the one known (message ids sort by time). @param {string} chatId @param {string} userId @param {string} messageId */
function advance(chatId, userId, messageId) {
  const positions = positionsOf(chatId);
  if ((positions.get(userId) ?? '') >= messageId) return;
  positions.set(userId, messageId);
  if (chatId === state.current) renderSeen();
}

/** `message:read`. @param {import('/lettera-client.js').MessageReadData} d */
export const onMessageRead = (d) => advance(d.chatId, d.userId, d.messageId);

/** A message from someone: they have read the chat up to it. @param {{ chatId: string, senderId: string, messageId: string }} m */
export const onSenderRead = (m) => advance(m.chatId, m.senderId, m.messageId);

/** Reads the positions of a chat's participants once it is opened (every page). @param {string} chatId */
export async function loadReads(chatId) {
  const generation = state.generation;
  try {
    const items = await api.listReads(chatId);
    if (generation !== state.generation) return;
    for (const item of items) if (item.messageId) advance(chatId, item.userId, item.messageId);
  } catch {
    // "Seen by" is a nicety: without positions it stays empty until the next message:read.
  }
}

/** Marks the open chat read up to its newest message when the reader can see it. */
export function markVisibleRead() {
  const chatId = state.current;
  if (!chatId || document.visibilityState !== 'visible' || !isAtEnd()) return;
  const newest = sortedMessages(chatId).pop();
  if (!newest || (state.marked.get(chatId) ?? '') >= newest.messageId) return;
  state.marked.set(chatId, newest.messageId);
  if (state.unread.delete(chatId)) renderChatList();
  // Sending read the chat up to one's own message already (server side).
  if (isMe(newest.senderId)) return;
  // A refusal (left the chat meanwhile) changes nothing the page shows.
  request('message:read', { chatId, messageId: newest.messageId }).catch(() => undefined);
}

/** "Seen by Bob, Carol" when others have read the user's last message of the open chat. */
export function renderSeen() {
  const chatId = state.current;
  const mine = chatId ? sortedMessages(chatId).filter((m) => isMe(m.senderId)).pop() : undefined;
  const names = !chatId || !mine ? [] :
    [...positionsOf(chatId)].filter(([userId, read]) => !isMe(userId) && read >= mine.messageId).map(([userId]) => nameOf(userId));
  els.seen.textContent = names.length === 0 ? '' : `Seen by ${names.join(', ')}`;
}

/** Marks read when the reader scrolls to the newest message or comes back to the tab. */
export function initReads() {
  els.scroller.addEventListener('scroll', () => markVisibleRead(), { passive: true });
  document.addEventListener('visibilitychange', () => markVisibleRead());
}
