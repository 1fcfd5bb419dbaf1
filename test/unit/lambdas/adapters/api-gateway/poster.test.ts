import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManagementApiBroadcaster } from '../../../../../lambdas/adapters/api-gateway/broadcaster';
import { createSignedPoster, PostStatusError } from '../../../../../lambdas/adapters/api-gateway/poster';
import type { ConnectionRemover, RoomMember } from '../../../../../lambdas/domain/ports';
import type { EventEnvelope } from '../../../../../protocol';

/** A local @connections sink: answers each connection id with the next status of its script (then 200). */
interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server;
let endpoint: string;
let received: Received[];
let scripts: Map<string, number[]>;
let sockets: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks) });
      const id = decodeURIComponent(path.split('/@connections/')[1] ?? '');
      const status = scripts.get(id)?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '' : JSON.stringify({ message: `status ${status}` }));
    });
  });
  server.on('connection', () => {
    sockets += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stage`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  scripts = new Map();
  sockets = 0;
});

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'session-token' };

function poster() {
  return createSignedPoster({ endpoint, credentials, region: 'eu-west-1', maxSockets: 8 });
}

const envelope: EventEnvelope<'message:new'> = {
  event: 'message:new',
  data: { messageId: 'm1', chatId: 'c1', senderId: 'sender', content: 'hi', timestamp: '2026-11-27T00:00:00.000Z' },
  id: 'm1',
  ts: 1_764_201_600_000,
};

function member(connectionId: string): RoomMember {
  return { connectionId, userId: `user-${connectionId}`, protocol: 'lettera.v1' };
}

function broadcasterOver() {
  const removeConnection = vi.fn<ConnectionRemover>().mockResolvedValue(undefined);
  const broadcaster = new ManagementApiBroadcaster({
    managementClient: new ApiGatewayManagementApiClient({ endpoint, region: 'eu-west-1', credentials }),
    poster: poster(),
    rooms: { members: async () => [] },
    removeConnection,
    retry: { maxAttempts: 3, baseDelayMs: 1 },
  });
  return { broadcaster, removeConnection };
}

function postsTo(connectionId: string): number {
  return received.filter((request) => request.path.endsWith(`/@connections/${encodeURIComponent(connectionId)}`)).length;
}

describe('Function: createSignedPoster', () => {
  it('POSTs the frame to /{stage}/@connections/{id} with the id encoded, signed with SigV4 for execute-api', async () => {
    // Prepare
    const frame = new TextEncoder().encode('{"event":"x"}');

    // Act
    await poster().post('abc=', frame, new AbortController().signal);

    // Assess
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/stage/@connections/abc%3D');
    expect(request?.body.equals(Buffer.from(frame))).toBe(true);
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe('session-token');
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('keeps connections alive: 50 posts, one after another, use one socket', async () => {
    // Prepare
    const signed = poster();
    const frame = new Uint8Array([1, 2, 3]);

    // Act
    for (let i = 0; i < 50; i++) await signed.post(`c${i}`, frame, new AbortController().signal);

    // Assess
    expect(received).toHaveLength(50);
    expect(sockets).toBe(1);
  });

  it.each([
    [410, 'GoneException', 'client'],
    [429, 'LimitExceededException', 'client'],
    [413, 'PayloadTooLargeException', 'client'],
    [403, 'ForbiddenException', 'client'],
    [500, 'InternalServerError', 'server'],
  ])('rejects a %i with the SDK error name %s (fault %s)', async (status, name, fault) => {
    // Prepare
    scripts.set('c1', [status]);

    // Act
    const attempt = poster().post('c1', new Uint8Array([1]), new AbortController().signal);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PostStatusError);
    await attempt.catch((err: PostStatusError) => {
      expect(err.name).toBe(name);
      expect(err.$fault).toBe(fault);
      expect(err.statusCode).toBe(status);
    });
  });

  it('rejects when the signal aborts', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new Error('timed out'));

    // Act
    const attempt = poster().post('c1', new Uint8Array([1]), controller.signal);

    // Assess
    await expect(attempt).rejects.toThrow();
  });
});

describe('Class: ManagementApiBroadcaster over the signed poster', () => {
  it('keeps the outcomes: 410 gone (removed), 429 and 5xx retried then delivered, 413 and 403 failed at once', async () => {
    // Prepare
    scripts.set('gone', [410]);
    scripts.set('throttled', [429]);
    scripts.set('flaky', [500, 503]);
    scripts.set('too-big', [413]);
    scripts.set('forbidden', [403]);
    const { broadcaster, removeConnection } = broadcasterOver();
    const members = ['ok', 'gone', 'throttled', 'flaky', 'too-big', 'forbidden'].map(member);

    // Act
    const result = await broadcaster.toMembers(members, envelope);

    // Assess
    expect(result).toEqual({ recipients: 6, delivered: 3, gone: 1, failed: 2 });
    expect(removeConnection).toHaveBeenCalledExactlyOnceWith('gone', { userId: 'user-gone', reason: 'gone' });
    expect(postsTo('ok')).toBe(1);
    expect(postsTo('gone')).toBe(1);
    expect(postsTo('throttled')).toBe(2);
    expect(postsTo('flaky')).toBe(3);
    expect(postsTo('too-big')).toBe(1);
    expect(postsTo('forbidden')).toBe(1);
  });

  it('counts a connection still throttled after the last attempt as failed', async () => {
    // Prepare
    scripts.set('busy', [429, 429, 429]);
    const { broadcaster } = broadcasterOver();

    // Act
    const result = await broadcaster.toMembers([member('busy'), member('ok')], envelope);

    // Assess
    expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, failed: 1 });
    expect(postsTo('busy')).toBe(3);
  });
});
