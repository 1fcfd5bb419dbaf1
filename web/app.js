// @ts-check
/**
 * The lettera-realtime demo chat page: native ES modules, no framework, no
 * build step (type-checked with `tsc -p web/tsconfig.json`). This file only
 * wires the page's controls to the modules in src/:
 *
 * - store.js: the one state; dom.js: the page's elements and helpers
 * - api.js: the HTTP API and /dev endpoints; realtime.js: the socket
 * - session.js: sign-in, the connection banner, expiry
 * - presence.js: who is online, asked on every connect (presence:query)
 * - chats.js: list, open, load older, create, leave
 * - conversation.js: messages and typing in and out
 * - call.js: audio calls (call signaling over the socket, media over WebRTC)
 * - views/: drawing the banner, chat list, messages, composer, typing,
 *   presence and the "New chat" dialog
 *
 * Flow: pick a demo user (GET /dev/users, POST /dev/token) → list chats
 * (GET /chats) → open one (its newest messages, older ones on request)
 * → live events through the lettera client (`/lettera-client.js`, built
 * from client/src by the local runtime). Sends, edits and deletes go over
 * the socket with acks. Message content only reaches the DOM as text.
 *
 * Known limits of the demo:
 * - membership: no event tells a chat's other members that someone joined
 *   or left, so their participant lists update on their next reload;
 * - an expired token is noticed on the next reconnect or HTTP call, not at
 *   the moment it expires (an open socket stays open, as on API Gateway).
 */
import { onUnauthorized } from './src/api.js';
import { acceptCall, callablePeers, callView, hangUp, rejectCall, startCall } from './src/call.js';
import { createChatFromDialog, leaveOpenChat, loadOlder, selectChat } from './src/chats.js';
import { editLastOwnMessage, initMessageActions, sendFromComposer } from './src/conversation.js';
import { els } from './src/dom.js';
import { loadUsers, sessionExpired, showLogin, signIn, switchUser, wantedUser } from './src/session.js';
import { state } from './src/store.js';
import { clearError } from './src/views/banner.js';
import { autosize, initComposer } from './src/views/composer.js';
import { initMessageScrolling } from './src/views/messages.js';
import { initReads } from './src/reads.js';
import { closeNewChatDialog, openNewChatDialog } from './src/views/new-chat.js';
import { initCallPanel } from './src/views/call.js';

onUnauthorized(sessionExpired);
initComposer();
initMessageScrolling();
initMessageActions();
initCallPanel({
  view: callView,
  peers: callablePeers,
  start: (peerId) => void startCall(peerId),
  accept: () => void acceptCall(),
  reject: () => void rejectCall(),
  hangUp: () => void hangUp(),
});
initReads();

els.loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const checked = els.userChoices.querySelector('input:checked');
  if (checked instanceof HTMLInputElement) void signIn(checked.value);
});
els.switchUser.addEventListener('click', switchUser);
els.alertClose.addEventListener('click', clearError);

els.chatList.addEventListener('click', (ev) => {
  const button = ev.target instanceof Element ? ev.target.closest('button[data-chat-id]') : null;
  if (button instanceof HTMLElement && button.dataset.chatId) void selectChat(button.dataset.chatId, { focus: true });
});
els.newChat.addEventListener('click', openNewChatDialog);
els.newChatCancel.addEventListener('click', closeNewChatDialog);
els.newChatForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void createChatFromDialog();
});
els.leaveChat.addEventListener('click', () => void leaveOpenChat());
els.loadOlder.addEventListener('click', () => void loadOlder());

els.composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void sendFromComposer();
});
els.input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    void sendFromComposer();
  } else if (ev.key === 'ArrowUp' && els.input.value === '') {
    if (editLastOwnMessage()) ev.preventDefault();
  } else if (ev.key === 'Escape') {
    clearError();
  }
});
els.input.addEventListener('input', () => {
  autosize();
  const chatId = state.current;
  if (!chatId || !state.socket) return;
  if (els.input.value.trim() === '') state.socket.stopTyping(chatId);
  else state.socket.typing(chatId);
});
els.input.addEventListener('blur', () => {
  if (state.current) state.socket?.stopTyping(state.current);
});

async function main() {
  await loadUsers();
  const wanted = wantedUser();
  if (wanted) await signIn(wanted);
  else showLogin();
}

void main();
