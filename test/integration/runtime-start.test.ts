/**
 * The local runtime accepts no client before everything behind the gateway
 * runs (issue 10 item 6): a Socket.IO client that connects the moment the
 * port listens still gets its Engine.IO open packet, which only the
 * Connections stream's fan-out sends.
 */
import { connect as connectTcp } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../local/free-port';
import { connectWebSocket, startTestRuntime, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

/** Resolves once something accepts TCP connections on the port. */
async function listening(port: number): Promise<void> {
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Function: startLocalRuntime (start-up order)', () => {
  let runtime: LocalRuntime | undefined;
  let socket: TestSocket | undefined;
  afterAll(async () => {
    await socket?.close();
    await runtime?.stop();
  });

  it('holds a Socket.IO upgrade made as soon as the port listens until the pollers run, so the open packet arrives', { timeout: 120_000 }, async () => {
    // Prepare
    const wsPort = await findFreePort();
    const starting = startTestRuntime({ wsPort });
    await listening(wsPort);

    // Act
    const connecting = connectWebSocket(`ws://127.0.0.1:${wsPort}/local`, { query: { EIO: '4', transport: 'websocket' } });
    runtime = await starting;
    socket = await connecting;
    const open = await socket.nextEvent((frame) => typeof frame === 'string' && frame.startsWith('0'), 10_000);

    // Assess
    expect(JSON.parse(open.slice(1))).toMatchObject({ sid: expect.any(String), pingInterval: expect.any(Number) });
  });
});
