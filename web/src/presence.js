// @ts-check
/**
 * Who is online, asked rather than waited for: on every connect and when a
 * chat's participants are loaded, the page asks `presence:query` (100 users
 * an ack) for the participants it knows, so the dots are right on first load
 * and after a gap; user:online / user:offline events keep them right after.
 * Chats above the server's presence size broadcast no events at all, so
 * there the answer is all the page gets.
 */
import { autoAway } from '/lettera-client-presence.js';
import { els } from './dom.js';
import { request } from './realtime.js';
import { isMe, state } from './store.js';
import { renderParticipants } from './views/presence.js';

/** Idle time before "away": `?away=<ms>` on the page's URL (demos, tests), else 5 minutes. */
const AWAY_AFTER_MS = Number(new URLSearchParams(location.search).get('away')) || 5 * 60_000;

/** The most users one presence:query may name (the protocol's MAX_PRESENCE_QUERY_USERS). */
const QUERY_LIMIT = 100;

/** Every participant of the chats whose participants are loaded, without the signed-in user. */
function knownUsers() {
  const ids = new Set();
  for (const chat of state.chats.values()) for (const userId of chat.participants ?? []) if (!isMe(userId)) ids.add(userId);
  return [...ids];
}

/**
 * Asks the presence of `userIds` (by default every known participant) and
 * paints it. A refusal or timeout leaves the dots as the events set them.
 * @param {string[]} [userIds]
 */
export async function askPresence(userIds = knownUsers()) {
  const ids = [...new Set(userIds)].filter((userId) => !isMe(userId));
  if (ids.length === 0) return;
  const generation = state.generation;
  /** @type {string[][]} */
  const parts = [];
  for (let i = 0; i < ids.length; i += QUERY_LIMIT) parts.push(ids.slice(i, i + QUERY_LIMIT));
  try {
    const answers = await Promise.all(parts.map((part) => request('presence:query', { userIds: part })));
    if (generation !== state.generation) return;
    for (const { users } of answers) {
      for (const user of users) {
        state.presence.set(user.userId, user.online ? 'online' : 'offline');
        if (user.lastSeenAt) state.lastSeen.set(user.userId, user.lastSeenAt);
        if (user.state) state.states.set(user.userId, { state: user.state, ...(user.text ? { text: user.text } : {}) });
      }
    }
    renderParticipants();
  } catch {
    // Presence is a hint: the next event or connect corrects it.
  }
}

/**
 * A co-member's state or status text (user:status, user:online).
 * @param {{ userId: string, state: import('/lettera-client.js').PresenceState, text?: string }} data
 */
export function onStatus(data) {
  state.states.set(data.userId, { state: data.state, ...(data.text ? { text: data.text } : {}) });
  renderParticipants();
}

/**
 * Starts the signed-in user's status: the library's autoAway (away after
 * AWAY_AFTER_MS without activity, back on activity, re-sent on every
 * connect) and the status form in the top bar.
 * @param {import('/lettera-client.js').ChatSocket} socket
 */
export function startStatus(socket) {
  els.statusState.value = 'online';
  els.statusText.value = '';
  state.status = autoAway(socket, {
    awayAfter: AWAY_AFTER_MS,
    onChange(status) {
      if (state.me) onStatus({ userId: state.me.userId, ...status });
    },
  });
}

/** Sends what the status form says (its select changed, or its text was submitted or left). */
function submitStatus() {
  const select = els.statusState.value;
  const chosen = select === 'away' || select === 'busy' ? select : 'online';
  const text = els.statusText.value.trim();
  state.status?.setStatus(chosen, text === '' ? undefined : text);
}

els.statusState.addEventListener('change', submitStatus);
els.statusText.addEventListener('change', submitStatus);
els.statusForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  submitStatus();
});
