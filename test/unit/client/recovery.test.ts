import { describe, expect, it, vi } from 'vitest';
import { sortableId } from '../../../lambdas/commons/ids';
import type { Message } from '../../../lambdas/commons/protocol';
import { eventsOfMessage, fetchMessagesAfter, ulidFloor } from '../../../client/src/recovery';

const base: Message = {
  messageId: '01M',
  chatId: 'c1',
  senderId: 'u1',
  content: 'hello',
  timestamp: '2026-01-01T00:00:00.000Z',
};

describe('Function: ulidFloor', () => {
  it('sorts at or before every message id of the same millisecond and after earlier ones', () => {
    // Prepare
    const t = Date.UTC(2026, 0, 1);

    // sortableId is monotonic per process, so make the earlier id first.
    const earlier = sortableId(t - 1);
    const same = sortableId(t);

    // Act
    const floor = ulidFloor(t);

    // Assess
    expect(floor).toHaveLength(26);
    expect(earlier < floor).toBe(true);
    expect(floor <= same).toBe(true);
    expect(floor.slice(0, 10)).toBe(same.slice(0, 10));
  });
});

describe('Function: eventsOfMessage', () => {
  it('turns a plain message into message:new with the messageId as id', () => {
    // Act
    const events = eventsOfMessage(base);

    // Assess
    expect(events).toEqual([
      { event: 'message:new', id: '01M', ts: Date.parse(base.timestamp), data: base },
    ]);
  });

  it('adds message:edited keyed by messageId and editedAt for an edited message', () => {
    // Act
    const events = eventsOfMessage({ ...base, content: 'fixed', editedAt: '2026-01-01T00:01:00.000Z' });

    // Assess
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['message:new', '01M'],
      ['message:edited', 'edit:01M:2026-01-01T00:01:00.000Z'],
    ]);
    expect(events[1]?.data).toMatchObject({ content: 'fixed', editedAt: '2026-01-01T00:01:00.000Z' });
  });

  it('turns a deleted message into message:deleted only, deleted by its sender', () => {
    // Act
    const events = eventsOfMessage({ ...base, content: '', deletedAt: '2026-01-01T00:02:00.000Z' });

    // Assess
    expect(events).toEqual([
      {
        event: 'message:deleted',
        id: 'delete:01M',
        ts: Date.parse('2026-01-01T00:02:00.000Z'),
        data: { messageId: '01M', chatId: 'c1', deletedBy: 'u1', deletedAt: '2026-01-01T00:02:00.000Z' },
      },
    ]);
  });
});

describe('Function: fetchMessagesAfter', () => {
  it('raises the server error code of a failed page', async () => {
    // Prepare
    const fetchFn = vi.fn(async () =>
      new Response(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'token expired' } }), { status: 401 }),
    );

    // Act
    const result = fetchMessagesAfter({ httpUrl: 'http://h/', chatId: 'c 1', after: '01A', token: 't', fetch: fetchFn });

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'token expired' });
    expect(fetchFn).toHaveBeenCalledWith('http://h/chats/c%201/messages?after=01A', {
      headers: { accept: 'application/json', authorization: 'Bearer t' },
    });
  });

  it('stops when a page says next but brings nothing newer', async () => {
    // Prepare: a server that keeps answering `next` must not loop forever.
    const fetchFn = vi.fn(async () => new Response(JSON.stringify({ items: [], next: 'x' }), { status: 200 }));

    // Act
    const items = await fetchMessagesAfter({ httpUrl: 'http://h', chatId: 'c1', after: '01A', fetch: fetchFn });

    // Assess
    expect(items).toEqual([]);
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });
  it('calls fetch unbound, as a browser requires of window.fetch', async () => {
    // Prepare: like a browser's fetch, refuse to run as a method of another object.
    const receivers: unknown[] = [];
    const fetchFn = function (this: unknown): Promise<Response> {
      receivers.push(this);
      if (this !== undefined && this !== globalThis) return Promise.reject(new TypeError('Illegal invocation'));
      return Promise.resolve(new Response(JSON.stringify({ items: [] }), { status: 200 }));
    };

    // Act
    const items = await fetchMessagesAfter({ httpUrl: 'http://h', chatId: 'c1', after: '01A', fetch: fetchFn });

    // Assess
    expect(items).toEqual([]);
    expect(receivers).toEqual([undefined]);
  });
});
