/**
 * Issue 14 item 1 on the local runtime with the real handlers: read
 * receipts over the JSON protocol, Socket.IO and HTTP, the stream-driven
 * `message:read` to the other participants, unread counts and read
 * positions in the HTTP API, the refusals, and no broadcast in a chat above
 * the broadcast size (set to 3 here).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEvent, useTestRuntime, type Frame, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

const BROADCAST_MAX_MEMBERS = 3;
let previousMax: string | undefined;
// Registered before the suite's own beforeAll, so the handlers start with it.
beforeAll(() => {
  previousMax = process.env.PRESENCE_BROADCAST_MAX_MEMBERS;
  process.env.PRESENCE_BROADCAST_MAX_MEMBERS = String(BROADCAST_MAX_MEMBERS);
});
const suite = useTestRuntime('reads');
const { user, connect, api, createChat } = suite;
let runtime: LocalRuntime;
const ioSockets: Socket[] = [];
beforeAll(() => {
  runtime = suite.runtime();
  if (previousMax === undefined) delete process.env.PRESENCE_BROADCAST_MAX_MEMBERS;
  else process.env.PRESENCE_BROADCAST_MAX_MEMBERS = previousMax;
});
afterAll(() => {
  for (const socket of ioSockets) socket.disconnect();
});

let ackIds = 100;
/** Sends a JSON action and resolves with its ack. */
async function act(socket: TestSocket, action: string, data: unknown): Promise<Frame> {
  const ackId = ++ackIds;
  socket.send({ action, data, ackId });
  return socket.nextEvent((f) => f?.event === 'ack' && f.ackId === ackId, 15_000);
}

/** Sends `count` messages as `sender` over HTTP and returns them, oldest first. */
async function sendMessages(sender: string, chatId: string, count: number): Promise<Array<{ messageId: string; seq: number }>> {
  const sent = [];
  for (let i = 1; i <= count; i++) sent.push((await api(sender, 'POST', `/chats/${chatId}/messages`, { content: `m${i}` })).json);
  return sent;
}

async function readMarker(chatId: string, userId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await runtime.documentClient.send(
    new GetCommand({ TableName: runtime.tableNames.MESSAGES_TABLE, Key: { chatId, messageId: `read#${userId}` }, ConsistentRead: true }),
  );
  return Item;
}

const readsOf = (socket: TestSocket, userId: string): Frame[] => socket.received.filter(isEvent('message:read', (d) => d.userId === userId));

describe('Local runtime: read receipts (JSON protocol and HTTP)', () => {
  it('moves the reader\'s position, tells the others message:read (not the reader), and counts unread from the position', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs] = await Promise.all([connect(alice), connect(bob)]);
    const [, m2, m3] = await sendMessages(alice, chatId, 3);

    // Act
    const seen = aliceWs.nextEvent(isEvent('message:read', (d) => d.userId === bob), 15_000);
    const ack = await act(bobWs, 'message:read', { chatId, messageId: m2!.messageId });
    const event = await seen;
    const [bobChats, aliceChats, positions] = await Promise.all([
      api(bob, 'GET', '/chats'),
      api(alice, 'GET', '/chats'),
      api(alice, 'GET', `/chats/${chatId}/reads`),
    ]);

    // Assess
    expect(ack.data).toEqual({ chatId, userId: bob, messageId: m2!.messageId, seq: m2!.seq, readAt: expect.any(String), moved: true });
    expect(event.data).toEqual({ chatId, userId: bob, messageId: m2!.messageId, seq: m2!.seq, readAt: ack.data.readAt });
    expect(event).not.toHaveProperty('seq');
    expect(readsOf(bobWs, bob)).toEqual([]);
    expect(bobChats.json.items).toEqual([
      expect.objectContaining({ chatId, unreadCount: 1, read: { messageId: m2!.messageId, seq: m2!.seq, readAt: ack.data.readAt } }),
    ]);
    // Alice sent every message: sending reads the chat up to one's own message.
    expect(aliceChats.json.items).toEqual([expect.objectContaining({ chatId, unreadCount: 0, read: expect.objectContaining({ messageId: m3!.messageId }) })]);
    expect(positions.json.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: alice, messageId: m3!.messageId, seq: m3!.seq }),
        expect.objectContaining({ userId: bob, messageId: m2!.messageId, seq: m2!.seq }),
      ]),
    );
  });

  it('counts neither edits nor the reader\'s own messages as unread, and counts deleted ones until read', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [m1, m2] = await sendMessages(alice, chatId, 2);
    await api(bob, 'POST', `/chats/${chatId}/read`, { messageId: m2!.messageId });

    // Act: an edit and a delete of old messages, then bob's own message, then one of alice's.
    await api(alice, 'PATCH', `/chats/${chatId}/messages/${m1!.messageId}`, { content: 'edited' });
    const [b1] = await sendMessages(bob, chatId, 1);
    const [m3] = await sendMessages(alice, chatId, 1);
    await api(alice, 'DELETE', `/chats/${chatId}/messages/${m3!.messageId}`);
    const chats = await api(bob, 'GET', '/chats');

    // Assess: only m3 is unread for bob (his own b1 moved his position; the edit takes no ordinal).
    expect(chats.json.items).toEqual([expect.objectContaining({ chatId, unreadCount: 1, read: expect.objectContaining({ messageId: b1!.messageId }) })]);
  });

  it('refuses a chat the reader is not in, an unknown message and a message of another chat with a code, writing nothing', async () => {
    // Prepare
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    const chatId = await createChat(alice, [bob]);
    const otherChat = await createChat(bob, [carol]);
    const [m1] = await sendMessages(alice, chatId, 1);
    const [other] = await sendMessages(carol, otherChat, 1);
    const [bobWs, carolWs] = await Promise.all([connect(bob), connect(carol)]);

    // Act
    const outsider = await act(carolWs, 'message:read', { chatId, messageId: m1!.messageId });
    const unknown = await act(bobWs, 'message:read', { chatId, messageId: '01JH3Q7Z8W9X0YZABCDEFGHJZZ' });
    const elsewhere = await act(bobWs, 'message:read', { chatId, messageId: other!.messageId });
    const invalid = await act(bobWs, 'message:read', { chatId });
    const overHttp = await api(carol, 'POST', `/chats/${chatId}/read`, { messageId: m1!.messageId });

    // Assess
    expect(outsider.error.code).toBe('FORBIDDEN');
    expect(unknown.error.code).toBe('NOT_FOUND');
    expect(elsewhere.error.code).toBe('NOT_FOUND');
    expect(invalid.error.code).toBe('BAD_REQUEST');
    expect([overHttp.status, overHttp.json.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(await readMarker(chatId, carol)).toBeUndefined();
    expect(await readMarker(chatId, bob)).toBeUndefined();
    const positions = await api(alice, 'GET', `/chats/${chatId}/reads`);
    expect(positions.json.items).toEqual(expect.arrayContaining([{ userId: bob, seq: 0 }]));
  });

  it('takes a position that goes backwards as a no-op (nothing written or sent), and sends the last position of a burst, in order', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs] = await Promise.all([connect(alice), connect(bob)]);
    const [m1, m2, m3, m4] = await sendMessages(alice, chatId, 4);
    await act(bobWs, 'message:read', { chatId, messageId: m2!.messageId });

    // Act: backwards, then a burst without waiting for the acks.
    const back = await act(bobWs, 'message:read', { chatId, messageId: m1!.messageId });
    const last = aliceWs.nextEvent(isEvent('message:read', (d) => d.userId === bob && d.messageId === m4!.messageId), 15_000);
    const burst = await Promise.all([m3, m4].map((m) => act(bobWs, 'message:read', { chatId, messageId: m!.messageId })));
    await last;

    // Assess
    expect(back.data).toMatchObject({ messageId: m2!.messageId, seq: m2!.seq, moved: false });
    expect(burst.every((ack) => ack.data !== undefined)).toBe(true);
    const sent = readsOf(aliceWs, bob).map((frame) => frame.data.seq as number);
    expect(sent[0]).toBe(m2!.seq);
    expect(sent).not.toContain(m1!.seq);
    expect(sent).toEqual([...new Set(sent)].sort((a, b) => a - b)); // increasing, each once
    expect(sent[sent.length - 1]).toBe(m4!.seq);
    expect(await readMarker(chatId, bob)).toMatchObject({ readMessageId: m4!.messageId });
  });

  it('sends no message:read in a chat above the broadcast size, writing no marker; positions are fetched on demand', async () => {
    // Prepare: 4 participants > 3.
    const [alice, bob, carol, dave] = [user('alice'), user('bob'), user('carol'), user('dave')];
    const chatId = await createChat(alice, [bob, carol, dave]);
    const [m1] = await sendMessages(alice, chatId, 1);

    // Act
    const read = await api(bob, 'POST', `/chats/${chatId}/read`, { messageId: m1!.messageId });
    const positions = await api(carol, 'GET', `/chats/${chatId}/reads?limit=2`);
    const rest = await api(carol, 'GET', `/chats/${chatId}/reads?limit=2&cursor=${positions.json.next as string}`);

    // Assess
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ messageId: m1!.messageId, moved: true });
    expect(await readMarker(chatId, bob)).toBeUndefined();
    expect([...positions.json.items, ...rest.json.items].find((item: { userId: string }) => item.userId === bob)).toMatchObject({ messageId: m1!.messageId });
  });
});

describe('Local runtime: read receipts (socket.io-client)', () => {
  function connectIo(token: string): Promise<Socket> {
    const url = new URL(runtime.wsUrl);
    const socket = io(url.origin, { path: url.pathname, addTrailingSlash: false, transports: ['websocket'], auth: { token }, reconnection: false });
    ioSockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  it('marks read with socket.emit and an ack, and a Socket.IO peer receives message:read', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [m1] = await sendMessages(alice, chatId, 1);
    const [aliceIo, bobIo] = await Promise.all([connectIo(await runtime.token(alice)), connectIo(await runtime.token(bob))]);

    // Act
    const seen = new Promise<unknown[]>((resolve) => aliceIo.on('message:read', (...args: unknown[]) => resolve(args)));
    const ack = await bobIo.timeout(15_000).emitWithAck('message:read', { chatId, messageId: m1!.messageId });
    const refused = await bobIo.timeout(15_000).emitWithAck('message:read', { chatId: 'not-my-chat', messageId: m1!.messageId });
    const args = await seen;

    // Assess
    expect(ack).toEqual({ data: { chatId, userId: bob, messageId: m1!.messageId, seq: m1!.seq, readAt: expect.any(String), moved: true } });
    expect(refused).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(args).toEqual([{ chatId, userId: bob, messageId: m1!.messageId, seq: m1!.seq, readAt: ack.data.readAt }]); // volatile: no offset
  });
});
