import { describe, expect, it, vi } from 'vitest';
import { ForbiddenError } from '../../../../lambdas/commons/errors';
import { MAX_CONTENT_LENGTH } from '../../../../protocol';
import { handleFrame, runAction, type ActionDeps } from '../../../../lambdas/domain/actions';
import type { MessageService } from '../../../../lambdas/domain/messages';
import { METRIC } from '../../../../lambdas/commons/metric-names';
import { captureEmf, importWithMetrics, named } from '../../../helpers/emf';
import { fakeMembershipStore, fakeUserStore } from '../../../helpers/fake-stores';

const MESSAGE_ID = '01JH3Q7Z8W9X0YZABCDEFGHJKM';
const stored = { messageId: MESSAGE_ID, chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2025-11-27T00:40:00.000Z' };

type Fake = ReturnType<typeof vi.fn>;
function fakeDeps(): ActionDeps & { messages: Record<keyof MessageService, Fake>; loadCaller: Fake } {
  const deps = {
    typing: {} as ActionDeps['typing'],
    messages: {
      send: vi.fn().mockResolvedValue(stored),
      edit: vi.fn().mockResolvedValue({ ...stored, content: 'edited' }),
      remove: vi.fn().mockResolvedValue({ messageId: MESSAGE_ID, deletedAt: '2025-11-27T00:41:00.000Z' }),
      list: vi.fn(),
    },
    loadCaller: vi.fn().mockResolvedValue({ userId: 'alice', connectionId: 'conn-1=' }),
  };
  return deps as unknown as ReturnType<typeof fakeDeps>;
}

const send = (data: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ action: 'message:send', data, ackId: 1, ...extra });

describe('Function: handleFrame', () => {
  it('acks message:send with the stored message, the sender taken from the connection', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', send({ chatId: 'c1', content: 'hi', clientMessageId: 'k1' }));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 1, data: stored });
    expect(deps.loadCaller).toHaveBeenCalledWith('conn-1=');
    expect(deps.messages.send).toHaveBeenCalledWith('alice', { chatId: 'c1', content: 'hi', clientMessageId: 'k1' });
  });

  it('returns no body for a success without ackId', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', JSON.stringify({ action: 'message:delete', data: { chatId: 'c1', messageId: MESSAGE_ID } }));

    // Assess
    expect(reply).toBeUndefined();
    expect(deps.messages.remove).toHaveBeenCalledWith('alice', { chatId: 'c1', messageId: MESSAGE_ID });
  });

  it('acks message:edit and message:delete with their results', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const edited = await handleFrame(deps, 'c', JSON.stringify({ action: 'message:edit', data: { chatId: 'c1', messageId: MESSAGE_ID, content: 'edited' }, ackId: 'e1' }));
    const deleted = await handleFrame(deps, 'c', JSON.stringify({ action: 'message:delete', data: { chatId: 'c1', messageId: MESSAGE_ID }, ackId: 2 }));

    // Assess
    expect(edited).toEqual({ event: 'ack', ackId: 'e1', data: expect.objectContaining({ content: 'edited' }) });
    expect(deleted).toEqual({ event: 'ack', ackId: 2, data: { messageId: MESSAGE_ID, deletedAt: '2025-11-27T00:41:00.000Z' } });
  });

  it.each([
    ['non-JSON text', 'hello', 'BAD_REQUEST'],
    ['an empty frame', '', 'BAD_REQUEST'],
    ['a JSON array', '[1,2]', 'BAD_REQUEST'],
    ['JSON null', 'null', 'BAD_REQUEST'],
    ['an unknown action', '{"action":"room:join","data":{}}', 'UNKNOWN_ACTION'],
    ['a prototype action name', '{"action":"constructor","data":{}}', 'UNKNOWN_ACTION'],
    ['__proto__ as the action', '{"action":"__proto__"}', 'UNKNOWN_ACTION'],
    ['a missing action', '{"data":{}}', 'BAD_REQUEST'],
    ['a numeric action', '{"action":7}', 'BAD_REQUEST'],
    ['an unknown top-level field', '{"action":"user:typing","data":{"chatId":"c1"},"extra":1}', 'BAD_REQUEST'],
    ['an invalid ackId', '{"action":"user:typing","data":{"chatId":"c1"},"ackId":{"x":1}}', 'BAD_REQUEST'],
  ])('answers %s with an error frame', async (_name, body, code) => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', body);

    // Assess
    expect(reply).toEqual({ event: 'error', data: { code, message: expect.any(String) } });
    expect(deps.loadCaller).not.toHaveBeenCalled();
  });

  it('answers an unknown action with an error ack when an ackId was given', async () => {
    // Act
    const reply = await handleFrame(fakeDeps(), 'conn-1=', '{"action":"nope","ackId":9}');

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 9, error: { code: 'UNKNOWN_ACTION', message: expect.any(String) } });
  });

  it.each([
    ['missing data', undefined, 'BAD_REQUEST'],
    ['data not an object', 'c1', 'BAD_REQUEST'],
    ['missing chatId', { content: 'hi' }, 'BAD_REQUEST'],
    ['a numeric chatId', { chatId: 1, content: 'hi' }, 'BAD_REQUEST'],
    ['a chatId with a room separator', { chatId: 'user:bob', content: 'hi' }, 'BAD_REQUEST'],
    ['missing content', { chatId: 'c1' }, 'BAD_REQUEST'],
    ['content not a string', { chatId: 'c1', content: ['hi'] }, 'BAD_REQUEST'],
    ['blank content', { chatId: 'c1', content: ' \n\t ' }, 'BAD_REQUEST'],
    ['oversized content', { chatId: 'c1', content: 'x'.repeat(MAX_CONTENT_LENGTH + 1) }, 'PAYLOAD_TOO_LARGE'],
    ['a lone surrogate', { chatId: 'c1', content: 'bad \ud800 text' }, 'BAD_REQUEST'],
    ['a spoofed senderId', { chatId: 'c1', content: 'hi', senderId: 'bob' }, 'BAD_REQUEST'],
    ['a bad clientMessageId', { chatId: 'c1', content: 'hi', clientMessageId: 'a#b' }, 'BAD_REQUEST'],
    ['a __proto__ key', JSON.parse('{"chatId":"c1","content":"hi","__proto__":{"senderId":"bob"}}'), 'BAD_REQUEST'],
  ])('refuses message:send with %s before any I/O', async (_name, data, code) => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', send(data));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 1, error: { code, message: expect.any(String) } });
    expect(deps.messages.send).not.toHaveBeenCalled();
    expect(deps.loadCaller).not.toHaveBeenCalled();
  });

  it('accepts content of exactly the maximum length and well-formed emoji', async () => {
    // Prepare
    const deps = fakeDeps();
    const content = '😀'.repeat(MAX_CONTENT_LENGTH / 2);

    // Act
    const reply = await handleFrame(deps, 'conn-1=', send({ chatId: 'c1', content }));

    // Assess
    expect(reply).toMatchObject({ event: 'ack', data: stored });
  });

  it('refuses message:edit with a messageId that is not a message id (e.g. a marker key)', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'c', JSON.stringify({ action: 'message:edit', data: { chatId: 'c1', messageId: 'idem#alice#k1', content: 'x' }, ackId: 3 }));

    // Assess
    expect(reply).toMatchObject({ event: 'ack', ackId: 3, error: { code: 'BAD_REQUEST' } });
    expect(deps.messages.edit).not.toHaveBeenCalled();
  });

  it('passes domain refusals through as error acks (a chat the user is not in)', async () => {
    // Prepare
    const deps = fakeDeps();
    deps.messages.send.mockRejectedValue(new ForbiddenError('Not a participant of this chat'));

    // Act
    const reply = await handleFrame(deps, 'conn-1=', send({ chatId: 'other', content: 'hi' }));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 1, error: { code: 'FORBIDDEN', message: 'Not a participant of this chat' } });
  });

  it('reports an infrastructure failure as INTERNAL without leaking its message', async () => {
    // Prepare
    const deps = fakeDeps();
    deps.messages.send.mockRejectedValue(Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' }));

    // Act
    const withAck = await handleFrame(deps, 'conn-1=', send({ chatId: 'c1', content: 'hi' }));
    const withoutAck = await handleFrame(deps, 'conn-1=', JSON.stringify({ action: 'message:send', data: { chatId: 'c1', content: 'hi' } }));

    // Assess
    expect(withAck).toEqual({ event: 'ack', ackId: 1, error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(withoutAck).toEqual({ event: 'error', data: { code: 'INTERNAL', message: 'Internal error' } });
  });
});

describe('Function: handleFrame (message:read)', () => {
  const read = (data: unknown): string => JSON.stringify({ action: 'message:read', data, ackId: 3 });
  const position = { chatId: 'c1', userId: 'alice', messageId: MESSAGE_ID, seq: 4, readAt: '2025-11-27T00:40:00.000Z', moved: true };

  it('acks message:read with the reader\'s position, the reader taken from the connection; published (app) message ids are accepted', async () => {
    // Prepare
    const deps = { ...fakeDeps(), markRead: vi.fn().mockResolvedValue(position) };

    // Act
    const reply = await handleFrame(deps, 'conn-1=', read({ chatId: 'c1', messageId: MESSAGE_ID }));
    await handleFrame(deps, 'conn-1=', read({ chatId: 'c1', messageId: '65a1f0c2e4b0a1b2c3d4e5f6' }));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 3, data: position });
    expect(deps.markRead).toHaveBeenNthCalledWith(1, 'alice', { chatId: 'c1', messageId: MESSAGE_ID });
    expect(deps.markRead).toHaveBeenNthCalledWith(2, 'alice', { chatId: 'c1', messageId: '65a1f0c2e4b0a1b2c3d4e5f6' });
  });

  it.each([
    ['no messageId', { chatId: 'c1' }, 'data.messageId is required'],
    ['a spoofed userId', { chatId: 'c1', messageId: MESSAGE_ID, userId: 'bob' }, 'data has unknown field(s): userId'],
    ['a marker key as messageId', { chatId: 'c1', messageId: 'read#bob' }, 'messageId must be'],
    ['a number as chatId', { chatId: 7, messageId: MESSAGE_ID }, 'chatId must be a string'],
  ])('refuses %s with BAD_REQUEST before anything is read', async (_name, data, message) => {
    // Prepare
    const deps = { ...fakeDeps(), markRead: vi.fn() };

    // Act
    const reply = await handleFrame(deps, 'conn-1=', read(data));

    // Assess
    expect(reply).toMatchObject({ event: 'ack', ackId: 3, error: { code: 'BAD_REQUEST', message: expect.stringContaining(message) } });
    expect(deps.markRead).not.toHaveBeenCalled();
    expect(deps.loadCaller).not.toHaveBeenCalled();
  });
});

describe('Function: handleFrame (ping keepalive)', () => {
  it('answers ping with an empty ack and reads nothing', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', '{"action":"ping","ackId":"ping:3"}');

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 'ping:3', data: {} });
    expect(deps.loadCaller).not.toHaveBeenCalled();
  });

  it('answers a ping without ackId with nothing', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', '{"action":"ping"}');

    // Assess
    expect(reply).toBeUndefined();
    expect(deps.loadCaller).not.toHaveBeenCalled();
  });
});

describe('Function: runAction', () => {
  it('validates the data of the action and runs it for the given caller', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act
    const result = await runAction(deps, { userId: 'bob', connectionId: 'c' }, 'message:send', { chatId: 'c1', content: 'hi' });

    // Assess
    expect(result).toEqual(stored);
    expect(deps.messages.send).toHaveBeenCalledWith('bob', { chatId: 'c1', content: 'hi' });
  });

  it('throws the validation error without running the action', async () => {
    // Prepare
    const deps = fakeDeps();

    // Act + Assess
    await expect(runAction(deps, { userId: 'bob', connectionId: 'c' }, 'message:send', { chatId: 'c1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(deps.messages.send).not.toHaveBeenCalled();
  });
});

describe('Function: handleFrame (presence:query)', () => {
  function presenceDeps() {
    const deps = fakeDeps();
    const memberships = fakeMembershipStore([
      { chatId: 'c1', userId: 'alice', title: '', addedAt: '2026-11-29T00:00:00.000Z', addedBy: 'alice' },
      { chatId: 'c1', userId: 'bob', title: '', addedAt: '2026-11-29T00:00:00.000Z', addedBy: 'alice' },
    ]);
    const statusOf = vi.fn().mockResolvedValue([{ userId: 'bob', connections: 1 }]);
    return { ...deps, presence: { memberships, users: fakeUserStore(), presence: { statusOf } } };
  }
  const query = (data: unknown): string => JSON.stringify({ action: 'presence:query', data, ackId: 9 });

  it('acks with the presence of users who share a chat with the caller', async () => {
    // Prepare
    const deps = presenceDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', query({ userIds: ['bob'] }));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 9, data: { users: [{ userId: 'bob', online: true, state: 'online' }] } });
  });

  it('acks FORBIDDEN, naming nobody, for a user without a shared chat', async () => {
    // Prepare
    const deps = presenceDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', query({ userIds: ['bob', 'mallory'] }));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 9, error: { code: 'FORBIDDEN', message: expect.not.stringMatching(/mallory|bob/) } });
    expect(deps.presence.presence.statusOf).not.toHaveBeenCalled();
  });

  it.each([
    ['a string instead of an array', { userIds: 'bob' }],
    ['an empty array', { userIds: [] }],
    ['101 users', { userIds: Array.from({ length: 101 }, (_, i) => `u${i}`) }],
    ['an invalid id', { userIds: ['bob', 'a#b'] }],
    ['an unknown field', { userIds: ['bob'], chatId: 'c1' }],
    ['no data', undefined],
  ])('acks BAD_REQUEST for %s before loading the caller', async (_label, data) => {
    // Prepare
    const deps = presenceDeps();

    // Act
    const reply = await handleFrame(deps, 'conn-1=', query(data));

    // Assess
    expect(reply).toMatchObject({ event: 'ack', ackId: 9, error: { code: 'BAD_REQUEST' } });
    expect(deps.loadCaller).not.toHaveBeenCalled();
  });
});

describe('Function: handleFrame (user:status)', () => {
  const frame = (data: unknown): string => JSON.stringify({ action: 'user:status', data, ackId: 's' });

  it('acks with the status the caller set, identity from the connection', async () => {
    // Prepare
    const setStatus = vi.fn().mockResolvedValue({ outcome: 'written' });
    const deps = { ...fakeDeps(), status: { presence: { setStatus }, now: () => 0 } };

    // Act
    const reply = await handleFrame(deps, 'conn-1=', frame({ state: 'busy', text: 'Focus' }));

    // Assess
    expect(reply).toEqual({ event: 'ack', ackId: 's', data: { userId: 'alice', state: 'busy', text: 'Focus', at: '1970-01-01T00:00:00.000Z' } });
    expect(setStatus).toHaveBeenCalledWith('alice', { state: 'busy', text: 'Focus' }, 0, expect.any(Number));
  });

  it.each([
    ['an unknown state', { state: 'invisible' }, 'BAD_REQUEST'],
    ['a text that is not a string', { state: 'busy', text: 42 }, 'BAD_REQUEST'],
    ['a text over the cap', { state: 'busy', text: 'x'.repeat(101) }, 'PAYLOAD_TOO_LARGE'],
    ['someone else\'s user id', { state: 'busy', userId: 'bob' }, 'BAD_REQUEST'],
  ])('acks %s with its code, writing nothing', async (_label, data, code) => {
    // Prepare
    const setStatus = vi.fn();
    const deps = { ...fakeDeps(), status: { presence: { setStatus } } };

    // Act
    const reply = await handleFrame(deps, 'conn-1=', frame(data));

    // Assess
    expect(reply).toMatchObject({ event: 'ack', ackId: 's', error: { code } });
    expect(setStatus).not.toHaveBeenCalled();
  });
});

describe('Function: handleFrame (metrics)', () => {
  it('counts a message payload refused at validation as MessagesRefused with its error code', async () => {
    // Prepare
    const fresh = await importWithMetrics<typeof import('../../../../lambdas/domain/actions')>('../../../../lambdas/domain/actions');
    const { publishMetrics } = (await import('../../../../lambdas/commons/metrics')) as typeof import('../../../../lambdas/commons/metrics');
    const deps = fakeDeps();

    // Act
    const emitted = await captureEmf(async () => {
      await fresh.handleFrame(deps, 'conn-1=', send({ chatId: 'c1', content: 'x'.repeat(MAX_CONTENT_LENGTH + 1) }));
      await fresh.handleFrame(deps, 'conn-1=', JSON.stringify({ action: 'user:typing', data: { chatId: 42 } }));
      publishMetrics();
    });
    vi.unstubAllEnvs();

    // Assess: only the message action counts; typing is not a message.
    expect(named(emitted, METRIC.messagesRefused).map((metric) => metric.dimensions.reason)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(deps.messages.send).not.toHaveBeenCalled();
  });
});
