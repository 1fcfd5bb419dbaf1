import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../../protocol';
import { eventsOfMessage, fetchAfter } from '../../../client/src/history';

const base: Message = {
  messageId: '01M',
  chatId: 'c1',
  senderId: 'u1',
  content: 'hello',
  timestamp: '2026-01-01T00:00:00.000Z',
  seq: 7,
};
const editedAt = '2026-01-01T00:01:00.000Z';
const deletedAt = '2026-01-01T00:02:00.000Z';

describe('Function: eventsOfMessage', () => {
  it('turns a message never shown into message:new with the messageId as id and the item seq', () => {
    // Act
    const events = eventsOfMessage(base, false);

    // Assess
    const { seq: _seq, ...data } = base;
    expect(events).toEqual([{ event: 'message:new', id: '01M', seq: 7, ts: Date.parse(base.timestamp), data }]);
  });

  it('gives nothing for a plain message the app was shown', () => {
    // Act
    const events = eventsOfMessage(base, true);

    // Assess
    expect(events).toEqual([]);
  });

  it('gives only message:edited for an edit of a message the app was shown', () => {
    // Act
    const events = eventsOfMessage({ ...base, content: 'fixed', editedAt }, true);

    // Assess
    expect(events).toEqual([
      {
        event: 'message:edited',
        id: 'c1#7',
        seq: 7,
        ts: Date.parse(editedAt),
        data: { messageId: '01M', chatId: 'c1', senderId: 'u1', content: 'fixed', editedAt },
      },
    ]);
  });

  it('gives message:new then message:edited for an edited message never shown', () => {
    // Act
    const events = eventsOfMessage({ ...base, content: 'fixed', editedAt }, false);

    // Assess
    expect(events.map((e) => [e.event, e.id, 'content' in e.data && e.data.content])).toEqual([
      ['message:new', '01M', 'fixed'],
      ['message:edited', 'c1#7', 'fixed'],
    ]);
  });

  it('turns a deleted message into message:deleted only, deleted by its sender, shown or not', () => {
    // Act
    const shown = eventsOfMessage({ ...base, content: '', deletedAt }, true);
    const neverShown = eventsOfMessage({ ...base, content: '', editedAt, deletedAt }, false);

    // Assess
    const deleted = {
      event: 'message:deleted',
      id: 'c1#7',
      seq: 7,
      ts: Date.parse(deletedAt),
      data: { messageId: '01M', chatId: 'c1', deletedBy: 'u1', deletedAt },
    };
    expect(shown).toEqual([deleted]);
    expect(neverShown).toEqual([deleted]);
  });
});

describe('Function: fetchAfter', () => {
  const page = (items: Message[], next?: string) => new Response(JSON.stringify(next ? { items, next } : { items }), { status: 200 });

  it('asks with afterSeq and follows next until the last page', async () => {
    // Prepare
    const pages = [page([{ ...base, seq: 5 }, { ...base, messageId: '01N', seq: 6 }], '6'), page([{ ...base, messageId: '01P', seq: 9 }])];
    const fetchFn = vi.fn(async () => pages.shift()!);

    // Act
    const items = await fetchAfter({ httpUrl: 'http://h/', chatId: 'c 1', afterSeq: 4, token: 't', fetch: fetchFn });

    // Assess
    expect(items.map((m) => m.seq)).toEqual([5, 6, 9]);
    expect(fetchFn.mock.calls.map((call) => (call as unknown[])[0])).toEqual([
      'http://h/chats/c%201/messages?afterSeq=4',
      'http://h/chats/c%201/messages?afterSeq=6',
    ]);
    expect((fetchFn.mock.calls[0] as unknown[])[1]).toEqual({ headers: { accept: 'application/json', authorization: 'Bearer t' } });
  });

  it('raises the server error code of a failed page', async () => {
    // Prepare
    const fetchFn = vi.fn(async () =>
      new Response(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'token expired' } }), { status: 401 }),
    );

    // Act
    const result = fetchAfter({ httpUrl: 'http://h', chatId: 'c1', afterSeq: 0, fetch: fetchFn });

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'token expired' });
  });

  it('raises HTTP_ERROR for a failed page without an error body', async () => {
    // Prepare
    const fetchFn = vi.fn(async () => new Response('{"message":"Internal Server Error"}', { status: 500 }));

    // Act
    const result = fetchAfter({ httpUrl: 'http://h', chatId: 'c1', afterSeq: 0, fetch: fetchFn });

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'HTTP_ERROR', message: 'history request failed: HTTP 500' });
  });

  it('stops when a page says next but brings nothing, or repeats the cursor', async () => {
    // Prepare: servers that keep answering `next` must not make it loop forever.
    const empty = vi.fn(async () => page([], '9'));
    const repeating = vi.fn(async () => page([base], '3'));

    // Act
    const none = await fetchAfter({ httpUrl: 'http://h', chatId: 'c1', afterSeq: 3, fetch: empty });
    const one = await fetchAfter({ httpUrl: 'http://h', chatId: 'c1', afterSeq: 3, fetch: repeating });

    // Assess
    expect(none).toEqual([]);
    expect(empty).toHaveBeenCalledTimes(1);
    expect(one).toEqual([base]);
    expect(repeating).toHaveBeenCalledTimes(1);
  });

  it('calls fetch unbound, as a browser requires of window.fetch', async () => {
    // Prepare: like a browser's fetch, refuse to run as a method of another object.
    const receivers: unknown[] = [];
    const fetchFn = function (this: unknown): Promise<Response> {
      receivers.push(this);
      if (this !== undefined && this !== globalThis) return Promise.reject(new TypeError('Illegal invocation'));
      return Promise.resolve(page([]));
    };

    // Act
    const items = await fetchAfter({ httpUrl: 'http://h', chatId: 'c1', afterSeq: 0, fetch: fetchFn });

    // Assess
    expect(items).toEqual([]);
    expect(receivers).toEqual([undefined]);
  });
});
