// @ts-check
/** The sidebar's list of chats with unread badges, and the open chat's header. */
import { els, h } from '../dom.js';
import { nameOf, sortedChats, state } from '../store.js';

/** @param {import('../store.js').Chat | undefined} chat */
export const titleOf = (chat) => chat?.title || 'Untitled chat';

export function renderChatList() {
  const chats = sortedChats();
  els.chatListEmpty.hidden = chats.length > 0;
  els.chatList.replaceChildren(...chats.map((chat) => {
    const button = h('button', 'chat-button');
    button.type = 'button';
    button.dataset.chatId = chat.chatId;
    if (chat.chatId === state.current) button.setAttribute('aria-current', 'true');
    const title = h('span', 'chat-name', titleOf(chat));
    // Participants are read when a chat is opened; until then the list shows the user's role.
    const people = h('span', 'chat-people subtle', chat.participants ? chat.participants.map(nameOf).join(', ') : chat.role ?? '');
    button.append(title, people);
    const unread = state.unread.get(chat.chatId) ?? 0;
    if (unread > 0) {
      const badge = h('span', 'badge', String(unread));
      badge.setAttribute('aria-label', `${unread} unread`);
      title.append(' ', badge);
    }
    const li = h('li');
    li.append(button);
    return li;
  }));
}

export function renderChatHeader() {
  const chat = state.current ? state.chats.get(state.current) : undefined;
  els.chatTitle.textContent = chat ? titleOf(chat) : 'Select a chat';
  els.leaveChat.hidden = !chat;
  if (chat) els.leaveChat.setAttribute('aria-label', `Leave ${titleOf(chat)}`);
}
