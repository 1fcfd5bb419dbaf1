import { describe, expect, it, vi } from 'vitest';
import { createPublisher, PublishError } from '../../../publisher/src/index';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'session' };

function fakeFetch(status: number, body: unknown) {
  return vi.fn<typeof fetch>().mockResolvedValue(new Response(body === undefined ? '' : JSON.stringify(body), { status }));
}

const sentBody = (fetchMock: ReturnType<typeof fakeFetch>) => JSON.parse(fetchMock.mock.calls[0]?.[1]?.body as string);
const sentHeaders = (fetchMock: ReturnType<typeof fakeFetch>) => fetchMock.mock.calls[0]?.[1]?.headers as Record<string, string>;

describe('Function: createPublisher', () => {
  it('POSTs broadcastNewMessage as a signed message:new to {endpoint}/publish', async () => {
    // Prepare
    const fetchMock = fakeFetch(200, { messageId: 'm1' });
    const publisher = createPublisher({ endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/', region: 'eu-west-1', credentials, fetch: fetchMock });

    // Act
    const result = await publisher.broadcastNewMessage({ messageId: 'm1', chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: new Date('2026-01-31T12:00:00Z') });

    // Assess
    expect(result).toEqual({ messageId: 'm1' });
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/publish');
    expect(sentBody(fetchMock)).toEqual({ type: 'message:new', data: { messageId: 'm1', chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2026-01-31T12:00:00.000Z' } });
    expect(sentHeaders(fetchMock)).toMatchObject({
      authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/),
      'x-amz-security-token': 'session',
    });
  });

  it('asks a credential provider before each call', async () => {
    // Prepare
    const provider = vi.fn().mockResolvedValue(credentials);
    const publisher = createPublisher({ endpoint: 'http://127.0.0.1:3000', region: 'eu-west-1', credentials: provider, fetch: fakeFetch(200, { recipients: 0, delivered: 0 }) });

    // Act
    await publisher.emitToUser('bob', 'friend:request', { from: 'alice' });

    // Assess
    expect(provider).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['setChatParticipants', (p: ReturnType<typeof createPublisher>) => p.setChatParticipants('c1', ['alice'], { title: 'T' }), { type: 'participants:set', data: { chatId: 'c1', userIds: ['alice'], title: 'T' } }],
    ['emitToChat', (p: ReturnType<typeof createPublisher>) => p.emitToChat('c1', 'chat:pinned', { id: 1 }, { except: 'alice' }), { type: 'emit:chat', data: { chatId: 'c1', event: 'chat:pinned', data: { id: 1 }, except: 'alice' } }],
    ['broadcastMessageEdited', (p: ReturnType<typeof createPublisher>) => p.broadcastMessageEdited({ messageId: 'm1', chatId: 'c1', content: 'x' }), { type: 'message:edited', data: { messageId: 'm1', chatId: 'c1', content: 'x' } }],
    ['broadcastMessageDeleted', (p: ReturnType<typeof createPublisher>) => p.broadcastMessageDeleted({ messageId: 'm1', chatId: 'c1' }), { type: 'message:deleted', data: { messageId: 'm1', chatId: 'c1' } }],
  ])('%s sends its type and data', async (_name, act, expected) => {
    // Prepare
    const fetchMock = fakeFetch(200, {});

    // Act
    await act(createPublisher({ endpoint: 'http://127.0.0.1:3000', region: 'eu-west-1', credentials, fetch: fetchMock }));

    // Assess
    expect(sentBody(fetchMock)).toEqual(expected);
  });

  it.each([
    ['the service’s error', 404, { error: { code: 'NOT_FOUND', message: 'Chat c9 not found' } }, 'NOT_FOUND', 'Chat c9 not found'],
    ['the gateway’s signature refusal', 403, { message: 'Forbidden' }, 'FORBIDDEN', 'Forbidden'],
    ['a gateway error without a body', 502, undefined, 'INTERNAL', 'HTTP 502'],
  ])('throws PublishError with %s', async (_name, status, body, code, message) => {
    // Prepare
    const publisher = createPublisher({ endpoint: 'http://127.0.0.1:3000', region: 'eu-west-1', credentials, fetch: fakeFetch(status, body) });

    // Act
    const error = await publisher.emitToChat('c9', 'x').catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ status, code, message });
  });

  it('throws PublishError NETWORK when no answer comes', async () => {
    // Prepare
    const publisher = createPublisher({ endpoint: 'http://127.0.0.1:3000', region: 'eu-west-1', credentials, fetch: vi.fn<typeof fetch>().mockRejectedValue(new TypeError('fetch failed')) });

    // Act & Assess
    await expect(publisher.emitToUser('bob', 'x')).rejects.toMatchObject({ code: 'NETWORK', status: 0 });
  });
});
