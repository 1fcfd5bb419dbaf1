// @ts-check
/** The participants of the open chat with their online dots, roles, and a Block / Unblock button on the others. */
import { els, h } from '../dom.js';
import { isMe, nameOf, state } from '../store.js';

/** @type {(userId: string) => void} */
let toggleBlock = () => undefined;

/** Sets what the Block / Unblock buttons do. @param {(userId: string) => void} handler */
export function onToggleBlock(handler) {
  toggleBlock = handler;
}

export function renderParticipants() {
  const chat = state.current ? state.chats.get(state.current) : undefined;
  if (!chat) {
    els.participants.replaceChildren();
    return;
  }
  els.participants.replaceChildren(...(chat.participants ?? []).map((userId) => {
    const li = h('li', 'participant');
    li.dataset.userId = userId;
    const known = state.presence.get(userId) ?? 'unknown';
    const chosen = known === 'online' ? state.states.get(userId) : undefined;
    /** online, away, busy, offline or unknown */
    const status = chosen?.state ?? known;
    li.dataset.presence = status;
    const dot = h('span', 'dot');
    dot.setAttribute('aria-hidden', 'true');
    const name = h('span', '', isMe(userId) ? `${nameOf(userId)} (you)` : nameOf(userId));
    const sr = h('span', 'visually-hidden', status === 'unknown' ? ', status unknown' : `, ${status}${chosen?.text ? `: ${chosen.text}` : ''}`);
    const lastSeen = status === 'offline' ? state.lastSeen.get(userId) : undefined;
    li.title = status === 'unknown' ? 'Status unknown' : lastSeen ? `offline, last seen ${new Date(lastSeen).toLocaleString()}` : chosen?.text ? `${status}: ${chosen.text}` : status;
    li.append(dot, name, sr);
    if (chosen?.text) li.append(h('span', 'status-text subtle', chosen.text));
    if (chat.owners?.has(userId)) li.append(h('span', 'role subtle', 'owner'));
    if (!isMe(userId)) {
      const blocked = state.blocked.has(userId);
      li.dataset.blocked = String(blocked);
      const button = h('button', 'link-button block-button', blocked ? 'Unblock' : 'Block');
      button.type = 'button';
      button.setAttribute('aria-label', `${blocked ? 'Unblock' : 'Block'} ${nameOf(userId)}`);
      button.addEventListener('click', () => toggleBlock(userId));
      li.append(button);
    }
    return li;
  }));
}
