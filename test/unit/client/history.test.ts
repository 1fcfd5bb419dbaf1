import { describe, expect, it, vi } from 'vitest';
import { sortableId } from '../../../lambdas/commons/ids';
import type { Message } from '../../../protocol';
import { eventsOfMessage, fetchChanges, ulidFloor } from '../../../client/src/history';

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

  it('uses the creation change id of a message published under an app’s own id, as the live event did', () => {
    // Prepare
    const published = { ...base, messageId: 'zz-app-id', createdChangeId: '01N', changeId: '01N' };

    // Act
    const fresh = eventsOfMessage(published, '01M');
    const known = eventsOfMessage(published, '01N');

    // Assess
    expect(fresh.map((e) => [e.event, e.id])).toEqual([['message:new', '01N']]);
    expect(known).toEqual([]);
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

describe('Function: fetchChanges', () => {
  it('raises the server error code of a failed page', async () => {
    // Prepare
    const fetchFn = vi.fn(async () =>
      new Response(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'token expired' } }), { status: 401 }),
    );

    // Act
    const result = fetchChanges({ httpUrl: 'http://h/', chatId: 'c 1', changedAfter: '01A', token: 't', fetch: fetchFn });

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'token expired' });
    expect(fetchFn).toHaveBeenCalledWith('http://h/chats/c%201/messages?changedAfter=01A', {
      headers: { accept: 'application/json', authorization: 'Bearer t' },
    });
  });

  it('stops when a page says next but brings nothing newer', async () => {
    // Prepare: a server that keeps answering `next` must not loop forever.
    const fetchFn = vi.fn(async () => new Response(JSON.stringify({ items: [], next: 'x' }), { status: 200 }));

    // Act
    const items = await fetchChanges({ httpUrl: 'http://h', chatId: 'c1', changedAfter: '01A', fetch: fetchFn });

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
    const items = await fetchChanges({ httpUrl: 'http://h', chatId: 'c1', changedAfter: '01A', fetch: fetchFn });

    // Assess
    expect(items).toEqual([]);
    expect(receivers).toEqual([undefined]);
  });
});

describe('Function: eventsOfMessage with a change cursor', () => {
  it('gives only message:edited for an edit of a message not newer than the cursor', () => {
    // Act
    const events = eventsOfMessage({ ...base, content: 'fixed', editedAt: '2026-01-01T00:01:00.000Z', changeId: '01Q' }, '01P');

    // Assess
    expect(events.map((e) => [e.event, e.id])).toEqual([['message:edited', 'edit:01M:2026-01-01T00:01:00.000Z']]);
  });

  it('gives message:new for a message newer than the cursor and message:deleted for a deleted one', () => {
    // Act
    const created = eventsOfMessage({ ...base, messageId: '01R', changeId: '01R' }, '01P');
    const deleted = eventsOfMessage({ ...base, content: '', deletedAt: '2026-01-01T00:02:00.000Z', changeId: '01S' }, '01P');

    // Assess
    expect(created.map((e) => [e.event, e.id])).toEqual([['message:new', '01R']]);
    expect(deleted.map((e) => [e.event, e.id])).toEqual([['message:deleted', 'delete:01M']]);
  });
});

describe('Function: fetchChanges, chaining', () => {
  it('asks with changedAfter and chains pages by the last changeId', async () => {
    // Prepare: the second page starts after the first page's last change, not its last message.
    const pages = [
      { items: [{ ...base, messageId: '01A', changeId: '01X' }], next: 'opaque' },
      { items: [{ ...base, messageId: '01Y', changeId: '01Y' }] },
    ];
    const fetchFn = vi.fn(async () => new Response(JSON.stringify(pages.shift()), { status: 200 }));

    // Act
    const items = await fetchChanges({ httpUrl: 'http://h', chatId: 'c1', changedAfter: '01P', fetch: fetchFn });

    // Assess
    expect(items.map((m) => m.changeId)).toEqual(['01X', '01Y']);
    expect(fetchFn.mock.calls.map((call) => (call as unknown[])[0])).toEqual([
      'http://h/chats/c1/messages?changedAfter=01P',
      'http://h/chats/c1/messages?changedAfter=01X',
    ]);
  });

  it('stops after one page when its items carry no change id to chain from', async () => {
    // Prepare
    const fetchFn = vi.fn(async () => new Response(JSON.stringify({ items: [base], next: 'x' }), { status: 200 }));

    // Act
    const items = await fetchChanges({ httpUrl: 'http://h', chatId: 'c1', changedAfter: '01P', fetch: fetchFn });

    // Assess
    expect(items).toEqual([base]);
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });
});
