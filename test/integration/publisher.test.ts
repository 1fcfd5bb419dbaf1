/**
 * The publisher end to end: `lettera-realtime/publisher` signs with the
 * development credential, `npm start`'s runtime verifies the signature, the
 * publish function writes through the message store and the Messages stream
 * fans out to real `ws` clients; refused calls broadcast nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, PublishError, type Publisher } from '../../publisher/src/index';
import { callHttpApi, connectWebSocket, isEvent, startTestRuntime, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

let runtime: LocalRuntime;
let publisher: Publisher;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
  publisher = createPublisher({ endpoint: runtime.httpUrl, region: runtime.region, credentials: runtime.publisherCredentials });
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await runtime?.stop();
});

const user = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
/** A Mongo-like ObjectId: the app's own message id. */
const objectId = (): string => randomUUID().replace(/-/g, '').slice(0, 24).replace(/^[^0-9a-f]/, 'a');

async function connect(userId: string): Promise<TestSocket> {
  const socket = await connectWebSocket(runtime.wsUrl, { token: await runtime.token(userId) });
  sockets.push(socket);
  return socket;
}

describe('Publisher: against the local runtime', () => {
  it('syncs participants, then broadcasts the app’s message under its own id, its edit and its deletion, kept in history', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = `chat-${randomUUID().slice(0, 8)}`;
    const synced = await publisher.setChatParticipants(chatId, [alice, bob], { title: 'From the app' });
    const bobWs = await connect(bob);
    const messageId = objectId();

    // Act
    const stored = await publisher.broadcastNewMessage({ messageId, chatId, senderId: alice, content: 'hello from express', timestamp: '2026-01-31T12:00:00.000Z' });
    const received = await bobWs.nextEvent(isEvent('message:new', (d) => d.messageId === messageId));
    const retried = await publisher.broadcastNewMessage({ messageId, chatId, senderId: alice, content: 'hello from express' });
    await publisher.broadcastMessageEdited({ messageId, chatId, content: 'hello from express (edited)' });
    const edited = await bobWs.nextEvent(isEvent('message:edited', (d) => d.messageId === messageId));
    await publisher.broadcastMessageDeleted({ messageId, chatId });
    const deleted = await bobWs.nextEvent(isEvent('message:deleted', (d) => d.messageId === messageId));
    const history = await callHttpApi(runtime, bob, 'GET', `/chats/${chatId}/messages`);

    // Assess
    expect(synced).toEqual({ chatId, added: [alice, bob], removed: [] });
    expect(stored).toMatchObject({ messageId, chatId, senderId: alice, timestamp: '2026-01-31T12:00:00.000Z' });
    expect(received.data).toEqual({ messageId, chatId, senderId: alice, content: 'hello from express', timestamp: '2026-01-31T12:00:00.000Z' });
    // A published message takes the chat's next position like any other; the event id is {chatId}:{seq}.
    expect(stored.seq).toBe(1);
    expect(received.seq).toBe(stored.seq);
    expect(received.id).toBe(`${chatId}:${stored.seq}`);
    expect(retried.messageId).toBe(messageId);
    expect(edited.data.content).toBe('hello from express (edited)');
    expect(deleted.data).toMatchObject({ messageId, chatId, deletedBy: alice });
    expect(history.status).toBe(200);
    expect(history.json.items).toEqual([expect.objectContaining({ messageId, deletedAt: expect.any(String) })]);
    await runtime.settle();
    expect(bobWs.received.filter((f) => f?.event === 'message:new' && f.data.messageId === messageId)).toHaveLength(1);
  });

  it('pages the history of published messages by the app’s ids (load older)', async () => {
    // Prepare
    const alice = user('alice');
    const chatId = `chat-${randomUUID().slice(0, 8)}`;
    await publisher.setChatParticipants(chatId, [alice]);
    // Time-ordered app ids, as ObjectIds are.
    const ids = ['65f1c0ffee0000000000000a', '65f1c0ffee0000000000000b', '65f1c0ffee0000000000000c'];
    for (const messageId of ids) await publisher.broadcastNewMessage({ messageId, chatId, senderId: alice, content: messageId });

    // Act
    const newest = await callHttpApi(runtime, alice, 'GET', `/chats/${chatId}/messages?before=${ids[2]}&limit=1`);
    const older = await callHttpApi(runtime, alice, 'GET', `/chats/${chatId}/messages?before=${newest.json.items[0].messageId}&limit=5`);

    // Assess
    expect(newest.status).toBe(200);
    expect(newest.json.items.map((m: { messageId: string }) => m.messageId)).toEqual([ids[1]]);
    expect(older.json.items.map((m: { messageId: string }) => m.messageId)).toEqual([ids[0]]);
  });

  it('delivers custom events to a user’s room and to a chat except one user', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = `chat-${randomUUID().slice(0, 8)}`;
    await publisher.setChatParticipants(chatId, [alice, bob]);
    const [aliceWs, bobWs] = [await connect(alice), await connect(bob)];

    // Act
    const toUser = await publisher.emitToUser(bob, 'friend:request', { from: alice });
    const gotUser = await bobWs.nextEvent(isEvent('friend:request'));
    await publisher.emitToChat(chatId, 'chat:pinned', { messageId: 'm1' }, { except: bob });
    const gotChat = await aliceWs.nextEvent(isEvent('chat:pinned'));

    // Assess
    expect(toUser).toEqual({ recipients: 1, delivered: 1 });
    expect(gotUser.data).toEqual({ from: alice });
    expect(gotChat.data).toEqual({ messageId: 'm1' });
    expect(bobWs.received.some((f) => f?.event === 'chat:pinned')).toBe(false);
  });

  it('refuses unsigned, wrongly signed, unknown-chat and oversized calls, and broadcasts nothing', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = `chat-${randomUUID().slice(0, 8)}`;
    await publisher.setChatParticipants(chatId, [alice, bob]);
    const bobWs = await connect(bob);
    const body = JSON.stringify({ type: 'emit:chat', data: { chatId, event: 'sneaky', data: {} } });
    const wrongKey = createPublisher({ endpoint: runtime.httpUrl, region: runtime.region, credentials: { ...runtime.publisherCredentials, secretAccessKey: 'not-the-secret' } });

    // Act
    const unsigned = await fetch(`${runtime.httpUrl}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const wrong = await wrongKey.emitToChat(chatId, 'sneaky', {}).catch((err: unknown) => err);
    const unknownChat = await publisher.broadcastNewMessage({ messageId: objectId(), chatId: 'no-such-chat', senderId: alice, content: 'x' }).catch((err: unknown) => err);
    const oversized = await publisher.broadcastNewMessage({ messageId: objectId(), chatId, senderId: alice, content: 'x'.repeat(4001) }).catch((err: unknown) => err);
    await publisher.emitToChat(chatId, 'marker', {});
    await bobWs.nextEvent(isEvent('marker'));

    // Assess
    expect(unsigned.status).toBe(403);
    expect(wrong).toBeInstanceOf(PublishError);
    expect(wrong).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(unknownChat).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(oversized).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    await runtime.settle();
    expect(bobWs.received.filter((f) => f?.event === 'sneaky' || f?.event === 'message:new')).toEqual([]);
  });
});
