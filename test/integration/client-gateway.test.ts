/**
 * The client library against the gateway emulator's own error frame: a
 * backend call that passes the integration timeout is answered with
 * `{"message": "Internal server error", ...}` and no ack id (issue 9,
 * finding 5). The send fails with GATEWAY_ERROR instead of hanging, and the
 * app's retry with the same data reuses the clientMessageId the client gave it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, type ChatSocket } from '../../client/src/index';
import { startGateway, type Gateway } from '../../local/gateway/server';

let gateway: Gateway;
/** Every message:send the backend got: its clientMessageId. */
const received: string[] = [];
let socket: ChatSocket | undefined;

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    // A short integration timeout stands in for API Gateway's 29 s.
    integrationTimeoutMs: 300,
    returnResponseRoutes: ['$default'],
    log: () => undefined,
    routes: {
      $connect: async () => ({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'lettera.v1' } }),
      $disconnect: async () => ({ statusCode: 200 }),
      // The first call stalls past the timeout; the retry is answered.
      $default: async (event: { body?: string }) => {
        const frame = JSON.parse(event.body ?? '{}') as { ackId: number; data: { clientMessageId: string } };
        received.push(frame.data.clientMessageId);
        if (received.length === 1) await new Promise(() => undefined);
        return { statusCode: 200, body: JSON.stringify({ event: 'ack', ackId: frame.ackId, data: { messageId: 'M1', seq: 1 } }) };
      },
    },
  });
});

afterAll(async () => {
  socket?.disconnect();
  await gateway.close();
});

describe('Class: ChatSocket against the gateway emulator', () => {
  it('fails a send whose backend call timed out with GATEWAY_ERROR, and a retry reuses its clientMessageId', async () => {
    // Prepare
    socket = connect(gateway.url, { WebSocket, auth: { token: 't' } });
    const data = { chatId: 'c1', content: 'hello' };

    // Act
    const first = await socket.emitWithAck('message:send', data).catch((err: unknown) => err);
    const retry = await socket.emitWithAck('message:send', data);

    // Assess
    expect(first).toMatchObject({ name: 'ClientError', code: 'GATEWAY_ERROR', message: 'Internal server error' });
    expect(retry).toEqual({ messageId: 'M1', seq: 1 });
    expect(received).toHaveLength(2);
    expect(received[1]).toBe(received[0]);
    expect(received[0]).toMatch(/^[0-9a-f]{16}$/);
  });
});
