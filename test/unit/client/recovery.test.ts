import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatSocket, ClientError, EventMeta } from '../../../client/src/index';
import { Recovery, type IncomingEvent } from '../../../client/src/recovery';
import type { Message } from '../../../protocol';
import { connected, open, server, useScriptedServer } from './harness';

/**
 * A chat as the server keeps it under the seq contract: every create, edit
 * and delete takes the next position; the history lists each message once,
 * at its latest write, in seq order.
 */
class FakeChat {
  readonly messages = new Map<string, Message>();
  seq = 0;

  constructor(readonly chatId = 'c1') {}

  create(messageId: string, content = `content ${messageId}`): IncomingEvent {
    const m: Message = { messageId, chatId: this.chatId, senderId: 'u2', content, timestamp: '2026-01-01T00:00:00.000Z', seq: ++this.seq };
    this.messages.set(messageId, m);
    const { seq, ...data } = m;
    return { event: 'message:new', data, id: `e${seq}`, seq };
  }

  edit(messageId: string, content: string): IncomingEvent {
    const m = { ...this.messages.get(messageId)!, content, editedAt: `2026-01-01T00:0${this.seq % 10}:00.000Z`, seq: ++this.seq };
    this.messages.set(messageId, m);
    return { event: 'message:edited', data: { messageId, chatId: this.chatId, senderId: 'u2', content, editedAt: m.editedAt }, id: `e${m.seq}`, seq: m.seq };
  }

  delete(messageId: string): IncomingEvent {
    const m = { ...this.messages.get(messageId)!, content: '', deletedAt: '2026-01-01T00:09:00.000Z', seq: ++this.seq };
    this.messages.set(messageId, m);
    return { event: 'message:deleted', data: { messageId, chatId: this.chatId, deletedBy: 'u2', deletedAt: m.deletedAt }, id: `e${m.seq}`, seq: m.seq };
  }

  /** The history API's answer: messages whose latest write is after `afterSeq`, at most `limit`, with `next`. */
  page(afterSeq: number, limit: number): { items: Message[]; next?: string } {
    const rest = [...this.messages.values()].filter((m) => m.seq > afterSeq).sort((a, b) => a.seq - b.seq);
    const items = rest.slice(0, limit);
    return rest.length > limit ? { items, next: String(items.at(-1)!.seq) } : { items };
  }
}

/** What a line of the app's view looks like: `new m1 @1`, `edited m1 fixed @3 (recovered)`. */
function line(event: IncomingEvent, recovered: boolean): string {
  const data = event.data as { messageId: string; content?: string };
  const content = event.event === 'message:edited' ? ` ${data.content}` : '';
  return `${event.event.slice(8)} ${data.messageId}${content} @${event.seq}${recovered ? ' (recovered)' : ''}`;
}

describe('Class: Recovery', () => {
  let chat: FakeChat;
  let shown: string[];
  let errors: string[];
  let requests: string[];
  /** Answers of the history API to come, in order; when empty, the chat's current page. */
  let answers: (() => Response | Promise<Response>)[];
  let context: { token: string | undefined; active: boolean };
  const PAGE = 2;

  function recoveryOf(options: { httpUrl?: string; chats?: string[] } = { httpUrl: 'http://h' }): Recovery {
    const fetchFn = async (url: string | URL | Request): Promise<Response> => {
      const u = new URL(String(url));
      requests.push(`${u.pathname.split('/')[2]}>${u.searchParams.get('afterSeq')}`);
      const answer = answers.shift();
      if (answer) return answer();
      return new Response(JSON.stringify(chat.page(Number(u.searchParams.get('afterSeq')), PAGE)), { status: 200 });
    };
    return new Recovery(
      { ...options, fetch: fetchFn as typeof fetch, reconnectionDelay: 1, reconnectionDelayMax: 4 },
      context,
      (event, recovered) => shown.push(line(event, recovered)),
      (err, chatId) => errors.push(`${chatId}: ${(err as ClientError).code ?? err.message}`),
    );
  }

  /** Queues an answer holding the chat's history as it is now, sent only once the returned function is called. */
  function answerLater(afterSeq: number): () => void {
    let release!: () => void;
    const body = JSON.stringify(chat.page(afterSeq, 100));
    answers.push(() => new Promise<Response>((resolve) => (release = () => resolve(new Response(body)))));
    return () => release();
  }

  const failing = (status: number, code: string) => () =>
    new Response(JSON.stringify({ error: { code, message: code.toLowerCase() } }), { status });

  beforeEach(() => {
    chat = new FakeChat();
    shown = [];
    errors = [];
    requests = [];
    answers = [];
    context = { token: 't', active: true };
  });

  it('applies the next event of a chat and drops repeats at or below its position', () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.track('c1', 0);
    const first = chat.create('m1');
    const second = chat.create('m2');

    // Act
    recovery.receive(first);
    recovery.receive(second);
    recovery.receive(first);
    recovery.receive(second);

    // Assess
    expect(shown).toEqual(['new m1 @1', 'new m2 @2']);
    expect(recovery.position('c1')).toBe(2);
    expect(requests).toEqual([]);
  });

  it('fills a gap from the history, then drops the live event the history already brought', async () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));
    chat.create('m2'); // lost on the way
    const third = chat.create('m3');

    // Act
    recovery.receive(third);
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(3));

    // Assess
    expect(shown).toEqual(['new m1 @1', 'new m2 @2 (recovered)', 'new m3 @3 (recovered)']);
    expect(requests).toEqual(['c1>1']);
  });

  it('holds live events that arrive while the history is fetched and releases them in seq order', async () => {
    // Prepare: the history answers only when the test says so, with what it had when asked.
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));
    chat.create('m2');
    const third = chat.create('m3');
    const answer = answerLater(1);
    recovery.receive(third);
    await vi.waitFor(() => expect(requests).toEqual(['c1>1']));

    // Act: later events (m5 at 4, m4 at 5) arrive out of order, repeats among them, before the history answers.
    const fifth = chat.create('m5');
    const fourth = chat.create('m4');
    recovery.receive(fourth);
    recovery.receive(fifth);
    recovery.receive(third);
    recovery.receive(fourth);
    answer();
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(5));

    // Assess
    expect(shown).toEqual(['new m1 @1', 'new m2 @2 (recovered)', 'new m3 @3 (recovered)', 'new m5 @4', 'new m4 @5']);
    expect(requests).toEqual(['c1>1']);
  });

  it('fetches again while the history has not reached a held event yet', async () => {
    // Prepare: the first answer lags behind the live event (writes 3 and 4 not visible yet).
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));
    chat.create('m2');
    const lagging = chat.page(1, 100);
    chat.create('m3');
    const fourth = chat.create('m4');
    answers.push(() => new Response(JSON.stringify(lagging)));

    // Act
    recovery.receive(fourth);
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(4));

    // Assess
    expect(shown).toEqual(['new m1 @1', 'new m2 @2 (recovered)', 'new m3 @3 (recovered)', 'new m4 @4 (recovered)']);
    expect(requests).toEqual(['c1>1', 'c1>2']);
  });

  it('follows next through every page', async () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));
    for (const id of ['m2', 'm3', 'm4', 'm5', 'm6']) chat.create(id);
    const last = chat.create('m7');

    // Act
    recovery.receive(last);
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(7));

    // Assess
    expect(shown.map((s) => s.split(' ')[1])).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(requests).toEqual(['c1>1', 'c1>3', 'c1>5']);
  });

  it('turns edits and deletes that superseded positions into the events the app needs, once', async () => {
    // Prepare: m1 shown; in the gap m1 is edited, m2 created and edited, m3 created and deleted, m4 created.
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1')); // 1
    chat.edit('m1', 'm1 fixed'); // 2
    chat.create('m2'); // 3
    chat.create('m3'); // 4
    chat.edit('m2', 'm2 fixed'); // 5
    chat.delete('m3'); // 6
    const last = chat.create('m4'); // 7

    // Act
    recovery.receive(last);
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(7));

    // Assess: positions 3 and 4 were superseded by 5 and 6; m3 is only deleted (the app never showed it).
    expect(shown).toEqual([
      'new m1 @1',
      'edited m1 m1 fixed @2 (recovered)',
      'new m2 @5 (recovered)',
      'edited m2 m2 fixed @5 (recovered)',
      'deleted m3 @6 (recovered)',
      'new m4 @7 (recovered)',
    ]);
  });

  it('applies a live edit at the next position without fetching anything', () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));

    // Act
    recovery.receive(chat.edit('m1', 'better'));
    recovery.receive(chat.delete('m1'));

    // Assess
    expect(shown).toEqual(['new m1 @1', 'edited m1 better @2', 'deleted m1 @3']);
    expect(requests).toEqual([]);
  });

  it('retries a failed fetch with backoff, reporting each failure, and keeps holding live events meanwhile', async () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));
    chat.create('m2');
    const third = chat.create('m3');
    answers.push(failing(500, 'INTERNAL'), () => Promise.reject(new TypeError('fetch failed')));

    // Act
    recovery.receive(third);
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(3));

    // Assess
    expect(errors).toEqual(['c1: INTERNAL', 'c1: fetch failed']);
    expect(requests).toEqual(['c1>1', 'c1>1', 'c1>1']);
    expect(shown).toEqual(['new m1 @1', 'new m2 @2 (recovered)', 'new m3 @3 (recovered)']);
  });

  it('stops following a chat the history refuses for good (FORBIDDEN, NOT_FOUND)', async () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.receive(chat.create('m1'));
    chat.create('m2');
    answers.push(failing(403, 'FORBIDDEN'));

    // Act
    recovery.receive(chat.create('m3'));
    await vi.waitFor(() => expect(errors).toEqual(['c1: FORBIDDEN']));

    // Assess
    expect(recovery.position('c1')).toBeUndefined();
    expect(shown).toEqual(['new m1 @1']);
    expect(requests).toEqual(['c1>1']);
  });

  it('starts a chat first heard of mid-session at that event, without fetching what came before', async () => {
    // Prepare
    const recovery = recoveryOf();
    for (let i = 1; i <= 40; i++) chat.create(`old${i}`);

    // Act
    recovery.receive(chat.create('m41'));
    chat.create('m42');
    recovery.receive(chat.create('m43'));
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(43));

    // Assess
    expect(shown).toEqual(['new m41 @41', 'new m42 @42 (recovered)', 'new m43 @43 (recovered)']);
    expect(requests).toEqual(['c1>41']);
  });

  it('catches up every chat with a position on recover(), from that position', async () => {
    // Prepare
    const other = new FakeChat('c2');
    const recovery = recoveryOf();
    recovery.track('c1', 1);
    recovery.track('c2', 0);
    chat.create('m1');
    chat.create('m2');
    other.create('x1');
    answers.push(
      () => new Response(JSON.stringify(chat.page(1, 100))),
      () => new Response(JSON.stringify(other.page(0, 100))),
    );

    // Act
    recovery.recover();
    await vi.waitFor(() => expect(shown).toHaveLength(2));

    // Assess
    expect(requests).toEqual(['c1>1', 'c2>0']);
    expect(shown.sort()).toEqual(['new m2 @2 (recovered)', 'new x1 @1 (recovered)']);
    expect([recovery.position('c1'), recovery.position('c2')]).toEqual([2, 1]);
  });

  it('starts a chat tracked without a position (or given as an option) at its first message event, and keeps a known one', async () => {
    // Prepare
    const recovery = recoveryOf({ httpUrl: 'http://h', chats: ['c1'] });
    recovery.track('c2');
    recovery.track('c3', 7);
    recovery.track('c3');
    for (let i = 1; i <= 9; i++) chat.create(`old${i}`);
    let answered!: () => void;
    const c3Answered = new Promise<void>((resolve) => (answered = resolve));
    answers.push(() => {
      answered();
      return new Response(JSON.stringify({ items: [] }));
    });

    // Act
    recovery.recover();
    recovery.receive(chat.create('m10'));
    await c3Answered;

    // Assess: only c3 has a position to catch up from; c1 starts at its first event.
    expect(requests).toEqual(['c3>7']);
    expect(shown).toEqual(['new m10 @10']);
    expect([recovery.position('c1'), recovery.position('c2'), recovery.position('c3')]).toEqual([10, undefined, 7]);
  });

  it('runs one more pass when recover() is called while a catch-up runs', async () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.track('c1', 0);
    chat.create('m1');
    const answer = answerLater(0);
    recovery.recover();
    await vi.waitFor(() => expect(requests).toHaveLength(1));

    // Act: a reconnect while the first fetch runs; m2 was written meanwhile.
    chat.create('m2');
    recovery.recover();
    answer();
    await vi.waitFor(() => expect(recovery.position('c1')).toBe(2));

    // Assess
    expect(requests).toEqual(['c1>0', 'c1>1']);
    expect(shown).toEqual(['new m1 @1 (recovered)', 'new m2 @2 (recovered)']);
  });

  it('asks nothing for a chat it was told to forget, and stops when the socket closed for good', async () => {
    // Prepare
    const recovery = recoveryOf();
    recovery.track('a', 3);
    recovery.track('b', 5);

    // Act
    recovery.untrack('a');
    recovery.recover();
    context.active = false;
    recovery.track('c', 0);
    recovery.recover();
    await vi.waitFor(() => expect(requests).toEqual(['b>5']));

    // Assess
    expect(recovery.position('a')).toBeUndefined();
  });

  it('without a history API, drops repeats and applies events across a gap', () => {
    // Prepare
    const recovery = recoveryOf({});
    recovery.receive(chat.create('m1'));
    chat.create('m2');
    const third = chat.create('m3');

    // Act
    recovery.receive(third);
    recovery.receive(third);

    // Assess
    expect(shown).toEqual(['new m1 @1', 'new m3 @3']);
    expect(requests).toEqual([]);
  });

  it('passes events without a chat position through untouched', () => {
    // Prepare
    const recovery = recoveryOf();

    // Act
    recovery.receive({ event: 'user:typing', data: { chatId: 'c1', userId: 'u2' }, id: 't1' });
    recovery.receive({ event: 'user:online', data: { userId: 'u2' }, id: 'o1' });

    // Assess
    expect(shown).toHaveLength(2);
    expect(recovery.position('c1')).toBeUndefined();
  });
});

describe('Method: recovery', () => {
  let http: Server;
  let httpUrl: string;
  let chat: FakeChat;
  const requests: { url: string; authorization?: string }[] = [];

  useScriptedServer();

  beforeEach(async () => {
    requests.length = 0;
    chat = new FakeChat();
    // The history endpoint: GET /chats/{chatId}/messages?afterSeq=, pages of 2 with `next`.
    http = createServer((req, res) => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chat.page(Number(url.searchParams.get('afterSeq')), 2)));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  /** Records every message event the socket delivers as a line, with its meta. */
  function recordMessageEvents(socket: ChatSocket): string[] {
    const lines: string[] = [];
    const record = (name: string, messageId: string, meta: EventMeta) =>
      lines.push(`${name} ${messageId} @${meta.seq}${meta.recovered ? ' (recovered)' : ''}`);
    socket.on('message:new', (m, meta) => record('new', m.messageId, meta));
    socket.on('message:edited', (m, meta) => record('edited', m.messageId, meta));
    socket.on('message:deleted', (m, meta) => record('deleted', m.messageId, meta));
    return lines;
  }

  const push = (conn: { send(v: unknown): void }, event: IncomingEvent) => conn.send({ ...event, ts: 1 });

  it('fills a gap seen on a live connection from the history API, with the connection token', async () => {
    // Prepare
    const socket = open({ httpUrl, auth: { token: 'jwt-1' } });
    const lines = recordMessageEvents(socket);
    await connected(socket);
    const conn = await server.connection(0);
    push(conn, chat.create('m1'));
    await vi.waitFor(() => expect(lines).toHaveLength(1));

    // Act: m2 and m3 never arrive live; m4 does, twice.
    chat.create('m2');
    chat.create('m3');
    const fourth = chat.create('m4');
    push(conn, fourth);
    push(conn, fourth);
    await vi.waitFor(() => expect(socket.position('c1')).toBe(4));

    // Assess
    expect(lines).toEqual(['new m1 @1', 'new m2 @2 (recovered)', 'new m3 @3 (recovered)', 'new m4 @4 (recovered)']);
    expect(requests.map((r) => r.url)).toEqual(['/chats/c1/messages?afterSeq=1', '/chats/c1/messages?afterSeq=3']);
    expect(requests.every((r) => r.authorization === 'Bearer jwt-1')).toBe(true);
  });

  it('catches up after a reconnect before the live events that arrive meanwhile', async () => {
    // Prepare
    const socket = open({ httpUrl });
    socket.trackChat('c1', 0);
    const lines = recordMessageEvents(socket);
    await connected(socket);
    const first = await server.connection(0);
    await vi.waitFor(() => expect(requests).toHaveLength(1)); // the first connection's catch-up: nothing yet
    push(first, chat.create('m1'));
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    first.ws.terminate();
    await dropped;
    chat.create('m2');
    chat.edit('m1', 'fixed');
    // The next live event arrives as soon as the connection opens, before the history answers.
    const live = chat.create('m3');
    socket.once('connect', () => void server.connection(1).then((c) => push(c, live)));

    // Act
    await vi.waitFor(() => expect(socket.position('c1')).toBe(4));

    // Assess
    expect(lines).toEqual(['new m1 @1', 'new m2 @2 (recovered)', 'edited m1 @3 (recovered)', 'new m3 @4 (recovered)']);
  });

  it('catches up a tracked chat on the first connection too', async () => {
    // Prepare
    chat.create('m1');
    chat.create('m2');
    chat.create('m3');

    // Act
    const socket = open({ httpUrl, autoConnect: false });
    socket.trackChat('c1', 2);
    const lines = recordMessageEvents(socket);
    socket.connect();
    await vi.waitFor(() => expect(lines).toHaveLength(1));

    // Assess
    expect(lines).toEqual(['new m3 @3 (recovered)']);
    expect(requests.map((r) => r.url)).toEqual(['/chats/c1/messages?afterSeq=2']);
  });
});
