// @ts-check
/** The participants of the open chat with their online dots. */
import { els, h } from '../dom.js';
import { isMe, nameOf, state } from '../store.js';

export function renderParticipants() {
  const chat = state.current ? state.chats.get(state.current) : undefined;
  if (!chat) {
    els.participants.replaceChildren();
    return;
  }
  els.participants.replaceChildren(...chat.participants.map((userId) => {
    const li = h('li', 'participant');
    li.dataset.userId = userId;
    const status = state.presence.get(userId) ?? 'unknown';
    li.dataset.presence = status;
    const dot = h('span', 'dot');
    dot.setAttribute('aria-hidden', 'true');
    const name = h('span', '', isMe(userId) ? `${nameOf(userId)} (you)` : nameOf(userId));
    const sr = h('span', 'visually-hidden', status === 'unknown' ? ', status unknown' : `, ${status}`);
    li.title = status === 'unknown' ? 'Status unknown until they connect or disconnect' : status;
    li.append(dot, name, sr);
    return li;
  }));
}
