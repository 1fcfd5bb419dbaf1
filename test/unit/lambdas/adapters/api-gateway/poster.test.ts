import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManagementApiBroadcaster, type ManagementApiBroadcasterDeps } from '../../../../../lambdas/adapters/api-gateway/broadcaster';
import {
  createHotPoster,
  createHttpPoster,
  createSignedPoster,
  encodePathLabel,
  PostStatusError,
  PostTimeoutError,
} from '../../../../../lambdas/adapters/api-gateway/poster';
import type { ConnectionRemover, RoomMember } from '../../../../../lambdas/domain/ports';
import type { EventEnvelope } from '../../../../../protocol';
import { startConnectionsSink, type ConnectionsSink, type SinkRequest } from '../../../../helpers/connections-sink';
import { signatureVerifies } from '../../../../helpers/sigv4';

let sink: ConnectionsSink;

beforeAll(async () => {
  sink = await startConnectionsSink();
});

afterAll(() => sink.close());

beforeEach(() => {
  sink.reset();
});

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'session-token' };
const TIMEOUT_MS = 5_000;

function poster() {
  return createSignedPoster({ endpoint: sink.endpoint, credentials, region: 'eu-west-1', maxSockets: 8 });
}

/** Whether the request's signature verifies, recomputed from what arrived (test/helpers/sigv4.ts). */
const verifies = (request: SinkRequest, secretAccessKey: string): Promise<boolean> => signatureVerifies(request, secretAccessKey);

const envelope: EventEnvelope<'message:new'> = {
  event: 'message:new',
  data: { messageId: 'm1', chatId: 'c1', senderId: 'sender', content: 'hi', timestamp: '2026-11-27T00:00:00.000Z' },
  id: 'c1:1',
  ts: 1_764_201_600_000,
  seq: 1,
};

function member(connectionId: string, extra: Partial<RoomMember> = {}): RoomMember {
  return { connectionId, userId: `user-${connectionId}`, protocol: 'lettera.v1', ...extra };
}

/** The broadcaster as the fan-out wires it: the SDK client for DeleteConnection, the signed poster for posts, both on the sink. */
function broadcasterOver(overrides: Partial<ManagementApiBroadcasterDeps> = {}) {
  const removeConnection = vi.fn<ConnectionRemover>().mockResolvedValue(undefined);
  const managementClient = new ApiGatewayManagementApiClient({ endpoint: sink.endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
  const broadcaster = new ManagementApiBroadcaster({
    managementClient,
    poster: createHotPoster(managementClient, sink.endpoint, 8),
    rooms: { members: async () => [] },
    removeConnection,
    retry: { maxAttempts: 3, baseDelayMs: 1 },
    ...overrides,
  });
  return { broadcaster, removeConnection };
}

describe('Function: createSignedPoster', () => {
  it('POSTs the frame to /{stage}/@connections/{id}, signed with SigV4 for execute-api with the session token', async () => {
    // Prepare
    const frame = new TextEncoder().encode('{"event":"x"}');

    // Act
    await poster().post('abc=', frame, TIMEOUT_MS);

    // Assess
    expect(sink.requests).toHaveLength(1);
    const [request] = sink.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/stage/@connections/abc%3D');
    expect(request?.body.equals(Buffer.from(frame))).toBe(true);
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe('session-token');
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('sends requests whose signature verifies from what arrived on the wire, as the SDK client\'s does; a changed body does not', async () => {
    // Prepare
    const id = "a=b!'()*c";
    const frame = new TextEncoder().encode('{"event":"message:new"}');
    const sdk = new ApiGatewayManagementApiClient({ endpoint: sink.endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });

    const signed = poster();

    // Act: the poster posts the same frame twice (its payload hash is reused), then another one
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: frame }));
    await signed.post(id, frame, TIMEOUT_MS);
    await signed.post('other', frame, TIMEOUT_MS);
    await signed.post(id, new TextEncoder().encode('{"event":"typing"}'), TIMEOUT_MS);

    // Assess
    const [fromSdk, fromPoster, again, otherFrame] = sink.requests as [SinkRequest, SinkRequest, SinkRequest, SinkRequest];
    expect(fromPoster.path).toBe(fromSdk.path);
    expect(fromPoster.connectionId).toBe(id);
    expect(await verifies(fromSdk, credentials.secretAccessKey)).toBe(true);
    expect(await verifies(fromPoster, credentials.secretAccessKey)).toBe(true);
    expect(await verifies(again, credentials.secretAccessKey)).toBe(true);
    expect(await verifies(otherFrame, credentials.secretAccessKey)).toBe(true);
    expect(await verifies({ ...fromPoster, body: Buffer.from('{"event":"other"}') }, credentials.secretAccessKey)).toBe(false);
    expect(await verifies(fromPoster, 'another-secret')).toBe(false);
  });

  it('keeps connections alive: 50 posts, one after another, use one socket', async () => {
    // Prepare
    const signed = poster();
    const frame = new Uint8Array([1, 2, 3]);

    // Act
    for (let i = 0; i < 50; i++) await signed.post(`c${i}`, frame, TIMEOUT_MS);

    // Assess
    expect(sink.requests).toHaveLength(50);
    expect(sink.sockets()).toBe(1);
  });

  it.each([
    [410, 'GoneException', 'client', undefined],
    [429, 'LimitExceededException', 'client', true],
    [413, 'PayloadTooLargeException', 'client', undefined],
    [403, 'ForbiddenException', 'client', undefined],
    [500, 'InternalServerError', 'server', undefined],
    [503, 'InternalServerError', 'server', undefined],
  ])('rejects a %i with the SDK error name %s (fault %s, throttling %s)', async (status, name, fault, throttling) => {
    // Prepare
    sink.script('c1', status);

    // Act
    const attempt = poster().post('c1', new Uint8Array([1]), TIMEOUT_MS);

    // Assess
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PostStatusError);
    expect(err).toMatchObject({ name, $fault: fault, statusCode: status });
    expect((err as PostStatusError).$retryable?.throttling).toBe(throttling);
  });

  it('rejects with a PostTimeoutError when no answer comes in time, and abandons that request', async () => {
    // Prepare
    sink.script('slow', 'hang');
    const signed = poster();

    // Act
    const attempt = signed.post('slow', new Uint8Array([1]), 50);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PostTimeoutError);
    await expect(signed.post('next', new Uint8Array([1]), TIMEOUT_MS)).resolves.toBeUndefined();
    expect(sink.sockets()).toBe(2);
  });

  it('keeps the status of an error answer cut short, and times out one whose body stalls, without an unhandled error', async () => {
    // Prepare
    sink.script('cut', 'cut');
    sink.script('stalled', 'stall');
    const signed = poster();

    // Act
    const cut = signed.post('cut', new Uint8Array([1]), TIMEOUT_MS).catch((err: unknown) => err);
    const stalled = signed.post('stalled', new Uint8Array([1]), 50).catch((err: unknown) => err);

    // Assess
    expect(await cut).toMatchObject({ name: 'InternalServerError', $fault: 'server', statusCode: 500 });
    expect(await stalled).toBeInstanceOf(PostTimeoutError);
    await expect(signed.post('next', new Uint8Array([1]), TIMEOUT_MS)).resolves.toBeUndefined();
  });

  it('rejects with the socket error code when the connection is reset', async () => {
    // Prepare
    sink.script('c1', 'reset');

    // Act
    const attempt = poster().post('c1', new Uint8Array([1]), TIMEOUT_MS);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('Function: createHttpPoster', () => {
  it('posts unsigned when given no headers (the bench floor): host, content-type and content-length only', async () => {
    // Act
    await createHttpPoster({ endpoint: sink.endpoint, maxSockets: 1 }).post('c1', new Uint8Array([1, 2]), TIMEOUT_MS);

    // Assess
    const [request] = sink.requests;
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers['content-length']).toBe('2');
    expect(request?.path).toBe('/stage/@connections/c1');
  });

  it('names an unlisted error status by its x-amzn-ErrorType, as the SDK does', async () => {
    // Prepare
    sink.script('c1', 400);

    // Act
    const attempt = createHttpPoster({ endpoint: sink.endpoint, maxSockets: 1 }).post('c1', new Uint8Array([1]), TIMEOUT_MS);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'BadRequestException', $fault: 'client', statusCode: 400 });
  });
});

describe('Function: encodePathLabel', () => {
  it("encodes as encodeURIComponent plus !'()*", () => {
    // Act
    const encoded = encodePathLabel("a=b!'()*c/d");

    // Assess
    expect(encoded).toBe('a%3Db%21%27%28%29%2Ac%2Fd');
  });
});

describe('Function: createHotPoster', () => {
  it("signs with the management client's credential provider, resolved once while the credentials are fresh", async () => {
    // Prepare
    const provider = vi.fn(async () => ({ ...credentials, expiration: new Date(Date.now() + 3_600_000) }));
    const client = new ApiGatewayManagementApiClient({ endpoint: sink.endpoint, region: 'eu-central-1', credentials: provider });
    const hot = createHotPoster(client, sink.endpoint, 4);

    // Act
    for (const id of ['a', 'b', 'c']) await hot.post(id, new Uint8Array([1]), TIMEOUT_MS);

    // Assess
    expect(provider).toHaveBeenCalledTimes(1);
    expect(sink.requests.map((r) => r.headers.authorization)).toEqual(
      Array(3).fill(expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-central-1\/execute-api\//)),
    );
  });

  it('refreshes credentials that are about to expire, as the SDK does, and signs with the new ones', async () => {
    // Prepare: the first credentials expire within the SDK's 5-minute refresh window
    const provider = vi
      .fn()
      .mockResolvedValueOnce({ ...credentials, expiration: new Date(Date.now() + 60_000) })
      .mockResolvedValue({ accessKeyId: 'AKIDFRESH', secretAccessKey: 'fresh', sessionToken: 'fresh-token', expiration: new Date(Date.now() + 3_600_000) });
    const client = new ApiGatewayManagementApiClient({ endpoint: sink.endpoint, region: 'eu-west-1', credentials: provider });
    const hot = createHotPoster(client, sink.endpoint, 4);

    // Act
    await hot.post('a', new Uint8Array([1]), TIMEOUT_MS);

    // Assess
    expect(provider).toHaveBeenCalledTimes(2);
    expect(sink.requests[0]?.headers.authorization).toContain('Credential=AKIDFRESH/');
    expect(sink.requests[0]?.headers['x-amz-security-token']).toBe('fresh-token');
  });
});

describe('Class: ManagementApiBroadcaster over the signed poster', () => {
  it('keeps the outcomes: 410 gone (removed), 429, 5xx and a reset socket retried then delivered, 413 undeliverable, 403 failed', async () => {
    // Prepare
    sink.script('gone', 410);
    sink.script('throttled', 429);
    sink.script('flaky', 500, 503);
    sink.script('reset', 'reset');
    sink.script('too-big', 413);
    sink.script('forbidden', 403);
    const { broadcaster, removeConnection } = broadcasterOver();
    const members = ['ok', 'gone', 'throttled', 'flaky', 'reset', 'too-big', 'forbidden'].map((id) => member(id));

    // Act
    const result = await broadcaster.toMembers(members, envelope);

    // Assess
    expect(result).toEqual({ recipients: 7, delivered: 4, gone: 1, disconnected: 0, undeliverable: 1, failed: 1 });
    expect(removeConnection).toHaveBeenCalledExactlyOnceWith('gone', { userId: 'user-gone', reason: 'gone' });
    expect(sink.requestsTo('ok', 'POST')).toHaveLength(1);
    expect(sink.requestsTo('gone', 'POST')).toHaveLength(1);
    expect(sink.requestsTo('throttled', 'POST')).toHaveLength(2);
    expect(sink.requestsTo('flaky', 'POST')).toHaveLength(3);
    expect(sink.requestsTo('reset', 'POST')).toHaveLength(2);
    expect(sink.requestsTo('too-big', 'POST')).toHaveLength(1);
    expect(sink.requestsTo('forbidden', 'POST')).toHaveLength(1);
    expect(sink.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('disconnects a recipient still throttled after the last attempt: DeleteConnection through the SDK client, rows removed', async () => {
    // Prepare
    sink.script('busy', 429, 429, 429);
    const { broadcaster, removeConnection } = broadcasterOver();

    // Act
    const result = await broadcaster.toMembers([member('busy'), member('ok')], envelope);

    // Assess
    expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, disconnected: 1, undeliverable: 0, failed: 0 });
    expect(sink.requestsTo('busy', 'POST')).toHaveLength(3);
    expect(sink.requestsTo('busy', 'DELETE')).toHaveLength(1);
    expect(removeConnection).toHaveBeenCalledExactlyOnceWith('busy', { userId: 'user-busy' });
  });

  it('disconnects a recipient whose post hangs past its timeout, without a second attempt, and delivers to the others', async () => {
    // Prepare
    sink.script('slow', 'hang');
    const { broadcaster } = broadcasterOver({ postTimeoutMs: 50 });

    // Act
    const result = await broadcaster.toMembers([member('slow'), member('r2')], envelope);

    // Assess
    expect(result).toEqual({ recipients: 2, delivered: 1, gone: 0, disconnected: 1, undeliverable: 0, failed: 0 });
    expect(sink.requestsTo('slow', 'POST')).toHaveLength(1);
    expect(sink.requestsTo('slow', 'DELETE')).toHaveLength(1);
  });

  it('posts nothing to an expired member and hands it to closeExpired', async () => {
    // Prepare
    const closeExpired = vi.fn(async () => undefined);
    const { broadcaster } = broadcasterOver({ closeExpired });
    const expired = member('expired', { tokenExpiresAt: Math.floor(Date.now() / 1000) - 1 });

    // Act
    const result = await broadcaster.toMembers([expired, member('live')], envelope);

    // Assess
    expect(result.delivered).toBe(1);
    expect(sink.requestsTo('expired')).toEqual([]);
    expect(closeExpired).toHaveBeenCalledExactlyOnceWith([expired]);
  });
});
