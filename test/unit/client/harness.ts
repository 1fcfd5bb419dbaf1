/**
 * What the socket-level client tests share: a fresh scripted server per
 * test, sockets with fast test timings that are disconnected afterwards, and
 * a wait for the connection.
 */
import { afterEach, beforeEach } from 'vitest';
import WebSocket from 'ws';
import { connect, type ChatSocket, type SocketOptions } from '../../../client/src/index';
import { ScriptedServer } from './scripted-server';

/** The current test's server (a live binding: a new one for every test). */
export let server: ScriptedServer;
const sockets: ChatSocket[] = [];

/** Starts a scripted server before each test of the calling file and cleans up after it. */
export function useScriptedServer(): void {
  beforeEach(async () => {
    server = await ScriptedServer.start();
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    await server.close();
  });
}

/** A socket on the scripted server with fast test timings. */
export function open(options: SocketOptions = {}): ChatSocket {
  const socket = connect(server.url, {
    WebSocket,
    auth: { token: 'token-1' },
    reconnectionDelay: 10,
    reconnectionDelayMax: 40,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

export function connected(socket: ChatSocket): Promise<void> {
  return new Promise((resolve) => (socket.connected ? resolve() : socket.once('connect', () => resolve())));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
