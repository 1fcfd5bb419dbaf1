// @ts-check
/**
 * Everything the page needs from lettera-realtime, in one place: connect,
 * follow one chat, send to it. Plain ES module; the bare specifier resolves
 * through the page's import map in a browser and through node_modules in Node.js.
 */
import { connect } from 'lettera-realtime-client';

/**
 * @typedef {object} ChatOptions
 * @property {string} wsUrl WebSocket URL, e.g. ws://127.0.0.1:3001/local
 * @property {string} httpUrl HTTP API base URL, for recovery after a reconnect
 * @property {() => string | Promise<string>} getToken the app's token (called on every reconnect)
 * @property {string} chatId the chat to follow
 * @property {(line: string) => void} onLine what to show
 * @property {typeof WebSocket} [WebSocket] only on Node.js 20 (from the ws package)
 */

/**
 * Connects and reports what happens in one chat as lines of text.
 *
 * @param {ChatOptions} options
 */
export function openChat({ wsUrl, httpUrl, getToken, chatId, onLine, WebSocket }) {
  const socket = connect(wsUrl, {
    auth: async () => ({ token: await getToken() }),
    httpUrl,
    chats: [chatId],
    ackTimeout: 10_000,
    ...(WebSocket ? { WebSocket } : {}),
  });
  socket.on('connect', () => onLine(`connected (${socket.id})`));
  socket.on('disconnect', (reason) => onLine(`disconnected: ${reason}`));
  socket.on('connect_error', (err) => onLine(`cannot connect: ${err.message}`));
  socket.on('message:new', (m, meta) => {
    if (m.chatId === chatId) onLine(`${m.senderId}: ${m.content}${meta.recovered ? ' (recovered)' : ''}`);
  });
  socket.on('user:typing', (t) => t.chatId === chatId && onLine(`${t.userId} is typing…`));

  return {
    socket,
    /** @param {string} content */
    async send(content) {
      socket.stopTyping(chatId);
      return socket.emitWithAck('message:send', { chatId, content, clientMessageId: crypto.randomUUID() });
    },
    typing: () => socket.typing(chatId),
    close: () => socket.disconnect(),
  };
}
