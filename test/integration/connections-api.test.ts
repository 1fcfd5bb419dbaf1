/**
 * Fidelity of the @connections management API (POST, GET, DELETE and their
 * errors) with the real ApiGatewayManagementApiClient, and the fan-out's
 * signed poster.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHotPoster } from '../../lambdas/adapters/api-gateway/poster';
import type { WebSocketEvent } from '../../local/gateway/request-format';
import { startGateway, type Gateway } from '../../local/gateway/server';
import { connectWebSocket, waitFor, type TestSocket } from '../helpers/local-runtime';

const disconnects: WebSocketEvent[] = [];
let gateway: Gateway;
let management: ApiGatewayManagementApiClient;
let lastConnectionId = '';

function clientFor(endpoint: string): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Connects a client and returns it with its connection id (from the fake $connect). */
async function connect(): Promise<{ client: TestSocket; connectionId: string }> {
  const client = await connectWebSocket(gateway.url);
  return { client, connectionId: lastConnectionId };
}

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    log: () => undefined,
    routes: {
      $connect: async (event: WebSocketEvent) => {
        lastConnectionId = event.requestContext.connectionId;
        return { statusCode: 200 };
      },
      $disconnect: async (event: WebSocketEvent) => {
        disconnects.push(event);
        return { statusCode: 200 };
      },
      $default: async () => ({ statusCode: 200 }),
    },
  });
  management = clientFor(gateway.callbackUrl);
});
afterAll(async () => {
  management.destroy();
  await gateway.close();
});

describe('Function: handleConnectionsApi', () => {
  it('posts the exact bytes for string and Uint8Array data', async () => {
    // Prepare
    const { client, connectionId } = await connect();
    const text = '{"event":"message:new","data":{"content":"héllo ✓"}}';

    // Act
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: text }));
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode('plain bytes') }));
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new Uint8Array([0xff, 0x00, 0xfe]) }));
    const first = await client.nextEvent();
    const second = await client.nextEvent();
    const third = await client.nextEvent();
    await client.close();

    // Assess
    expect(first).toEqual(JSON.parse(text));
    expect(second).toBe('plain bytes');
    expect(Buffer.isBuffer(third) && [...third]).toEqual([0xff, 0x00, 0xfe]);
  });

  it('round-trips ids with + / = and accepts both path forms', async () => {
    // Prepare: connect until an id carries a URL-special character.
    let target = await connect();
    while (!/[+/]/.test(target.connectionId)) {
      await target.client.close();
      target = await connect();
    }
    const withoutStage = clientFor(`http://127.0.0.1:${gateway.port}`);

    // Act
    await management.send(new PostToConnectionCommand({ ConnectionId: target.connectionId, Data: 'staged' }));
    await withoutStage.send(new PostToConnectionCommand({ ConnectionId: target.connectionId, Data: 'unstaged' }));
    const encodedAt = await fetch(`${gateway.callbackUrl}/%40connections/${encodeURIComponent(target.connectionId)}`, { method: 'POST', body: 'encoded' });
    const frames = [await target.client.nextEvent(), await target.client.nextEvent(), await target.client.nextEvent()];
    await target.client.close();
    withoutStage.destroy();

    // Assess
    expect(target.connectionId).toMatch(/=$/);
    expect(encodedAt.status).toBe(200);
    expect(frames).toEqual(['staged', 'unstaged', 'encoded']);
  });

  it("accepts the fan-out's signed poster (SigV4 headers present, the signature not checked): ids with + / = arrive, 410 for an unknown id", async () => {
    // Prepare: an id with a URL-special character, as above.
    let target = await connect();
    while (!/[+/]/.test(target.connectionId)) {
      await target.client.close();
      target = await connect();
    }
    const poster = createHotPoster(management, gateway.callbackUrl, 4);

    // Act
    await poster.post(target.connectionId, new TextEncoder().encode('{"event":"signed"}'), 5_000);
    const frame = await target.client.nextEvent();
    const gone = await poster.post('AAAAAAAAAAAAAAA=', new TextEncoder().encode('x'), 5_000).catch((err: unknown) => err);
    await target.client.close();

    // Assess
    expect(frame).toEqual({ event: 'signed' });
    expect(gone).toMatchObject({ name: 'GoneException', statusCode: 410 });
  });

  it('raises GoneException (410) for an unknown id', async () => {
    // Prepare
    const post = management.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: 'x' }));

    // Act
    const error = await post.catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(GoneException);
    expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
  });

  it('raises PayloadTooLargeException at 131073 bytes and accepts 131072', async () => {
    // Prepare
    const { client, connectionId } = await connect();

    // Act
    const fits = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(131_072) }));
    const tooLarge = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(131_073) })).catch((err: unknown) => err);
    const frame = await client.nextEvent();
    await client.close();

    // Assess
    expect(fits.$metadata.httpStatusCode).toBe(200);
    expect(tooLarge).toBeInstanceOf(PayloadTooLargeException);
    expect((tooLarge as PayloadTooLargeException).$metadata.httpStatusCode).toBe(413);
    expect(frame).toHaveLength(131_072);
  });

  it('returns Dates from GetConnection and advances LastActiveAt after activity', async () => {
    // Prepare
    const { client, connectionId } = await connect();
    const before = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await new Promise((r) => setTimeout(r, 20));

    // Act
    client.send({ action: 'anything' });
    await waitFor(async () => {
      const now = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      return (now.LastActiveAt?.getTime() ?? 0) > (before.LastActiveAt?.getTime() ?? 0);
    });
    const after = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await client.close();

    // Assess
    expect(before.ConnectedAt).toBeInstanceOf(Date);
    expect(after.LastActiveAt).toBeInstanceOf(Date);
    expect(after.ConnectedAt?.getTime()).toBe(before.ConnectedAt?.getTime());
    expect(after.Identity).toMatchObject({ SourceIp: '127.0.0.1' });
  });

  it('deletes with 204, fires $disconnect, and answers Gone to a second delete', async () => {
    // Prepare
    const { client, connectionId } = await connect();

    // Act
    const deleted = await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    const again = await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId })).catch((err: unknown) => err);
    await client.closed;
    await waitFor(() => disconnects.some((e) => e.requestContext.connectionId === connectionId));

    // Assess
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(again).toBeInstanceOf(GoneException);
  });
});
