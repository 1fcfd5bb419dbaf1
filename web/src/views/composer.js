// @ts-check
/** The message box: enabled while a chat is open and the socket can send, growing with its text. */
import { MAX_CONTENT_LENGTH } from '/lettera-client.js';
import { els } from '../dom.js';
import { state } from '../store.js';

/** Tallest the box grows, in px, before it scrolls (matches .composer textarea max-height). */
const MAX_HEIGHT_PX = 160;

/** The box takes no more than the server accepts (the contract's limit). */
export function initComposer() {
  els.input.maxLength = MAX_CONTENT_LENGTH;
}

export function syncComposer() {
  // While reconnecting the client buffers emits, so typing and sending stay on.
  const canWrite = state.connection === 'connected' || state.connection === 'reconnecting';
  els.input.disabled = !canWrite || state.current === null;
  els.send.disabled = els.input.disabled;
}

/** The composer grows with its content, up to a few lines. */
export function autosize() {
  els.input.style.height = 'auto';
  els.input.style.height = `${Math.min(els.input.scrollHeight, MAX_HEIGHT_PX)}px`;
}

export function clearComposer() {
  els.input.value = '';
  autosize();
}
