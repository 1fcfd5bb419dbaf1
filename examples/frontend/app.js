// @ts-check
/** The page: a form for the endpoints and token, a log, a message box. */
import { openChat } from './chat.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('settings'));
const log = /** @type {HTMLOListElement} */ (document.getElementById('log'));
const composer = /** @type {HTMLFormElement} */ (document.getElementById('composer'));
const input = /** @type {HTMLInputElement} */ (composer.elements.namedItem('content'));

/** @param {string} line */
function show(line) {
  const item = document.createElement('li');
  item.textContent = line;
  log.append(item);
  item.scrollIntoView({ block: 'end' });
}

/** @type {ReturnType<typeof openChat> | undefined} */
let chat;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const field = (/** @type {string} */ name) => String(new FormData(form).get(name) ?? '');
  chat?.close();
  chat = openChat({
    wsUrl: field('wsUrl'),
    httpUrl: field('httpUrl'),
    getToken: () => field('token'),
    chatId: field('chatId'),
    onLine: show,
  });
  composer.hidden = false;
});

input.addEventListener('input', () => chat?.typing());
composer.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!chat || !input.value) return;
  const content = input.value;
  input.value = '';
  try {
    await chat.send(content);
  } catch (err) {
    show(`not sent (${/** @type {{ code?: string }} */ (err).code ?? 'error'}): ${content}`);
  }
});
