// @ts-check
/** The connection banner in the top bar and the error alert under it. */
import { els } from '../dom.js';

/** @type {Record<import('../store.js').ConnectionState, string>} */
const LABELS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost, retrying…',
  expired: 'Session expired: pick a user again',
};

/** @param {import('../store.js').ConnectionState} connection @param {string} [detail] */
export function renderConnection(connection, detail) {
  els.connection.dataset.state = connection;
  els.connection.textContent = detail ? `${LABELS[connection]} (${detail})` : LABELS[connection];
}

/** Shows an error in the alert (role="alert": announced at once). @param {string} text */
export function showError(text) {
  els.alertText.textContent = text;
  els.alert.hidden = false;
}

export function clearError() {
  els.alert.hidden = true;
  els.alertText.textContent = '';
}

/** Says something politely to screen readers (new messages, deletions). @param {string} text */
export function announce(text) {
  // Clearing first makes screen readers repeat an identical announcement.
  els.announcer.textContent = '';
  requestAnimationFrame(() => {
    els.announcer.textContent = text;
  });
}
