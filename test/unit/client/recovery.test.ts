import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatSocket, ClientError, EventMeta } from '../../../client/src/index';
import { ulidFloor } from '../../../client/src/history';
import { Recovery } from '../../../client/src/recovery';
import type { Message } from '../../../protocol';
import { connected, open, server, useScriptedServer } from './harness';

useScriptedServer();

describe('Method: recovery', () => {
  let http: Server;
  let httpUrl: string;
  let history: Message[];
  const requests: { url: string; authorization?: string }[] = [];
  const PAGE = 2;
  /** A 26-character (ULID-shaped) id that sorts like `prefix`. */
  const U = (prefix: string): string => prefix.padEnd(26, '0');

  const message = (id: string, extra: Partial<Message> = {}): Message => ({
    messageId: id,
    chatId: 'c1',
    senderId: 'u2',
    content: `content ${id}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    ...extra,
  });

  beforeEach(async () => {
    requests.length = 0;
    history = [];
    // A tiny history endpoint: GET /chats/{chatId}/messages?changedAfter=, pages of PAGE with `next`.
    http = createServer((req, res) => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const url = new URL(req.url ?? '/', 'http://x');
      const match = /^\/chats\/([^/]+)\/messages$/.exec(url.pathname);
      if (!match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no"}}');
        return;
      }
      if (match[1] === 'forbidden') {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"FORBIDDEN","message":"not a participant"}}');
        return;
      }
      const changedAfter = url.searchParams.get('changedAfter') ?? '';
      const rest = history
        .filter((m) => m.chatId === match[1])
        .map((m) => ({ ...m, changeId: m.changeId ?? m.messageId }))
        .filter((m) => m.changeId > changedAfter)
        .sort((a, b) => (a.changeId < b.changeId ? -1 : 1));
      const items = rest.slice(0, PAGE);
      const body = rest.length > PAGE ? { items, next: 'opaque-cursor' } : { items };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  /** Records every message event the socket delivers as a line of text, and whether it was recovered. */
  function recordMessageEvents(socket: ChatSocket): { events: string[]; recoveredFlags: boolean[] } {
    const events: string[] = [];
    const recoveredFlags: boolean[] = [];
    const record = (line: string, meta: EventMeta) => {
      events.push(line);
      recoveredFlags.push(meta.recovered ?? false);
    };
    socket.on('message:new', (m, meta) => record(`new ${m.messageId}`, meta));
    socket.on('message:edited', (m, meta) => record(`edited ${m.messageId} ${m.content}`, meta));
    socket.on('message:deleted', (m, meta) => record(`deleted ${m.messageId} by ${m.deletedBy}`, meta));
    return { events, recoveredFlags };
  }

  it('fetches what a chat missed and delivers it in order, once', async () => {
    // Prepare
    const socket = open({ httpUrl, auth: { token: 'jwt-1' } });
    await connected(socket);
    const first = await server.connection(0);
    const { events, recoveredFlags } = recordMessageEvents(socket);
    first.event('message:new', message('01A'), '01A');
    await vi.waitFor(() => expect(events).toHaveLength(1));
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    first.ws.terminate();
    await dropped;
    history = [
      message('01A'),
      message('01B'),
      message('01C', { content: 'fixed', editedAt: '2026-01-01T00:01:00.000Z' }),
      message('01D', { content: '', deletedAt: '2026-01-01T00:02:00.000Z' }),
    ];

    // Act
    const second = await server.connection(1);
    await vi.waitFor(() => expect(events).toHaveLength(5));
    second.event('message:new', message('01B'), '01B'); // the at-least-once repeat
    second.event('message:edited', { ...message('01C', { content: 'fixed' }), editedAt: '2026-01-01T00:01:00.000Z' }, 'change-9');
    second.event('message:new', message('01E'), '01E');
    await vi.waitFor(() => expect(events).toHaveLength(6));

    // Assess
    expect(events).toEqual([
      'new 01A',
      'new 01B',
      'new 01C',
      'edited 01C fixed',
      'deleted 01D by u2',
      'new 01E',
    ]);
    expect(recoveredFlags).toEqual([false, true, true, true, true, false]);
    // From the live message's id on, pages chained by the last item's changeId.
    expect(requests.map((r) => r.url)).toEqual(['/chats/c1/messages?changedAfter=01A', '/chats/c1/messages?changedAfter=01C']);
    expect(requests.every((r) => r.authorization === 'Bearer jwt-1')).toBe(true);
  });

  it('delivers edits and deletes of older messages made while offline, in change order, once', async () => {
    // Prepare: three messages seen live, then offline.
    const socket = open({ httpUrl });
    await connected(socket);
    const first = await server.connection(0);
    const { events, recoveredFlags } = recordMessageEvents(socket);
    for (const id of [U('01A'), U('01B'), U('01C')]) first.event('message:new', message(id), id);
    await vi.waitFor(() => expect(events).toHaveLength(3));
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    first.ws.terminate();
    await dropped;
    // While offline: 01A edited (change 01D), 01E sent, 01B deleted (change 01F).
    const editedAt = '2026-01-01T00:01:00.000Z';
    const deletedAt = '2026-01-01T00:02:00.000Z';
    history = [
      message(U('01A'), { content: 'fixed', editedAt, changeId: U('01D') }),
      message(U('01B'), { content: '', deletedAt, changeId: U('01F') }),
      message(U('01C')),
      message(U('01E')),
    ];

    // Act
    const second = await server.connection(1);
    await vi.waitFor(() => expect(events).toHaveLength(6));
    // The at-least-once repeats of the same edit and delete, then something new.
    second.event('message:edited', { ...message(U('01A'), { content: 'fixed' }), editedAt }, U('01D'));
    second.event('message:deleted', { messageId: U('01B'), chatId: 'c1', deletedBy: 'u2', deletedAt }, U('01F'));
    second.event('message:edited', { ...message(U('01C'), { content: 'later' }), editedAt: '2026-01-01T00:03:00.000Z' }, U('01G'));
    await vi.waitFor(() => expect(events).toHaveLength(7));

    // Assess
    expect(events).toEqual([
      `new ${U('01A')}`,
      `new ${U('01B')}`,
      `new ${U('01C')}`,
      `edited ${U('01A')} fixed`,
      `new ${U('01E')}`,
      `deleted ${U('01B')} by u2`,
      `edited ${U('01C')} later`,
    ]);
    expect(recoveredFlags).toEqual([false, false, false, true, true, true, false]);
    // Pages chained by the last item's changeId.
    expect(requests.map((r) => r.url)).toEqual([`/chats/c1/messages?changedAfter=${U('01C')}`, `/chats/c1/messages?changedAfter=${U('01E')}`]);

    // Act: offline again; the cursor is now the live edit's change id.
    requests.length = 0;
    second.ws.terminate();
    await server.connection(2);
    await vi.waitFor(() => expect(requests).toHaveLength(1));

    // Assess
    expect(requests[0]?.url).toBe(`/chats/c1/messages?changedAfter=${U('01G')}`);
  });

  it('holds live message events until the recovered ones are delivered', async () => {
    // Prepare
    const socket = open({ httpUrl });
    socket.trackChat('c1', '01A');
    await connected(socket);
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    (await server.connection(0)).ws.terminate();
    await dropped;
    history = [message('01B'), message('01C')];
    const ids: string[] = [];
    socket.on('message:new', (m) => ids.push(m.messageId));
    // The live event arrives as soon as the connection opens, before the history answers.
    socket.once('connect', () => void server.connection(1).then((c) => c.event('message:new', message('01D'), '01D')));

    // Act
    await vi.waitFor(() => expect(ids).toHaveLength(3));

    // Assess
    expect(ids).toEqual(['01B', '01C', '01D']);
  });

  it('reports a failed history request as recovery_error and still delivers live events', async () => {
    // Prepare
    const socket = open({ httpUrl, chats: ['forbidden'] });
    await connected(socket);
    const failures: unknown[] = [];
    socket.on('recovery_error', (err, chatId) => failures.push([(err as ClientError).code, chatId]));
    const ids: string[] = [];
    socket.on('message:new', (m) => ids.push(m.messageId));

    // Act
    (await server.connection(0)).ws.terminate();
    const second = await server.connection(1);
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    second.event('message:new', message('01Z'), '01Z');

    // Assess
    await vi.waitFor(() => expect(ids).toEqual(['01Z']));
    expect(failures).toEqual([['FORBIDDEN', 'forbidden']]);
  });
});

describe('Class: Recovery', () => {
  const U = (prefix: string): string => prefix.padEnd(26, '0');
  const lostAt = Date.UTC(2026, 0, 1);

  /** A Recovery over a history API that answers every request with no items, recording the URLs. */
  function recoveryWithRecordedRequests(): { recovery: Recovery; requests: string[] } {
    const requests: string[] = [];
    const fetchFn = async (url: string | URL | Request) => {
      requests.push(String(url));
      return new Response(JSON.stringify({ items: [] }), { status: 200 });
    };
    const recovery = new Recovery(
      { httpUrl: 'http://h', fetch: fetchFn as typeof fetch, recoveryWindow: 0 },
      { lostAt, token: 't', active: true },
      () => {},
      () => {},
    );
    return { recovery, requests };
  }

  it('learns chats from any event of theirs and asks from the newest change id it delivered', async () => {
    // Prepare
    const { recovery, requests } = recoveryWithRecordedRequests();
    recovery.receive({ event: 'user:typing', data: { chatId: 'a', userId: 'u2' }, id: 'typing-1' });
    recovery.receive({ event: 'message:new', data: { chatId: 'b', messageId: U('01A') }, id: U('01A') });
    recovery.receive({ event: 'message:edited', data: { chatId: 'b', messageId: U('01A'), editedAt: 't' }, id: U('01C') });
    recovery.receive({ event: 'message:deleted', data: { chatId: 'b', messageId: U('01A') }, id: 'not-a-change-id' });

    // Act
    await recovery.recover();

    // Assess: chat a from the recovery window's floor, chat b from the edit's change id.
    expect(requests).toEqual([
      `http://h/chats/a/messages?changedAfter=${ulidFloor(lostAt)}`,
      `http://h/chats/b/messages?changedAfter=${U('01C')}`,
    ]);
  });

  it('asks nothing for a chat it was told to forget', async () => {
    // Prepare
    const { recovery, requests } = recoveryWithRecordedRequests();
    recovery.track('a', U('01A'));
    recovery.track('b', U('01B'));

    // Act
    recovery.untrack('a');
    await recovery.recover();

    // Assess
    expect(requests).toEqual([`http://h/chats/b/messages?changedAfter=${U('01B')}`]);
  });
});
