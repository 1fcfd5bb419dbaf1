// @ts-check
/** "Bob is typing…" under the messages of the open chat. */
import { els } from '../dom.js';
import { nameOf, state, typistsIn } from '../store.js';

export function renderTyping() {
  const names = (state.current ? typistsIn(state.current) : []).map(nameOf);
  els.typing.textContent =
    names.length === 0 ? '' :
    names.length === 1 ? `${names[0]} is typing…` :
    `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
}
