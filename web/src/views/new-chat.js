// @ts-check
/** The "New chat" dialog: a title and the people to add (the creator is always in). */
import { els, h, paintAvatar } from '../dom.js';
import { isMe, state } from '../store.js';

export function openNewChatDialog() {
  els.newChatForm.reset();
  showNewChatError('');
  els.newChatPeople.replaceChildren(...state.users.filter((u) => !isMe(u.userId)).map((user) => {
    const label = h('label', 'user-choice');
    const box = h('input');
    box.type = 'checkbox';
    box.name = 'participant';
    box.value = user.userId;
    const avatar = h('span', 'avatar');
    avatar.setAttribute('aria-hidden', 'true');
    paintAvatar(avatar, user.userId);
    label.append(box, avatar, h('span', '', user.name));
    return label;
  }));
  // showModal traps focus in the dialog and closes it on Escape.
  els.newChatDialog.showModal();
  els.newChatTitle.focus();
}

export function closeNewChatDialog() {
  els.newChatDialog.close();
}

/** What the form holds: the trimmed title and the checked user ids. */
export function readNewChatForm() {
  const data = new FormData(els.newChatForm);
  return {
    title: String(data.get('title') ?? '').trim(),
    participants: data.getAll('participant').map(String),
  };
}

/** @param {boolean} busy */
export function setNewChatBusy(busy) {
  for (const button of els.newChatForm.querySelectorAll('button')) button.disabled = busy;
}

/** @param {string} text empty hides the message */
export function showNewChatError(text) {
  els.newChatError.textContent = text;
  els.newChatError.hidden = text === '';
}
