/**
 * Issue 10 items 2–4 on the local runtime with the real handlers, real `ws`
 * clients and the HTTP API: chat creation and adds rate-limited per user,
 * chats per user capped, paginated lists, chat roles, blocks (no add, no
 * presence, no typing), and the typing throttle where the last state wins.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../lambdas/system/limits';
import { isEvent, useTestRuntime, type Frame, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

const suite = useTestRuntime('trust');
const { user, connect, api, createChat } = suite;
let runtime: LocalRuntime;
beforeAll(() => {
  runtime = suite.runtime();
});

/** Every membership row of a user, straight from the table (what was written, whatever the API says). */
async function membershipsOf(userId: string): Promise<string[]> {
  const { Items } = await runtime.documentClient.send(
    new QueryCommand({ TableName: runtime.tableNames.MEMBERSHIPS_TABLE, IndexName: 'byUser', KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId } }),
  );
  return (Items ?? []).map((item) => item.chatId as string);
}

async function membershipRow(chatId: string, userId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await runtime.documentClient.send(new GetCommand({ TableName: runtime.tableNames.MEMBERSHIPS_TABLE, Key: { chatId, userId }, ConsistentRead: true }));
  return Item;
}

const typingStates = (socket: TestSocket, userId: string): Frame[] =>
  socket.received.filter((f) => (f?.event === 'user:typing' || f?.event === 'user:stop-typing') && f.data?.userId === userId);

async function ackOf(socket: TestSocket, ackId: number): Promise<Frame> {
  return socket.nextEvent((f) => f?.event === 'ack' && f.ackId === ackId, 10_000);
}

describe('Local runtime: chat abuse bounds', () => {
  it('refuses the chat creation past the rate limit with 429 and retry-after, writing nothing', async () => {
    // Prepare
    const [mallory, victim] = [user('mallory'), user('victim')];
    const limit = DEFAULT_LIMITS.chatChangeRateLimit;
    for (let i = 0; i < limit; i++) await createChat(mallory, [victim]);

    // Act
    const refused = await api(mallory, 'POST', '/chats', { title: 'one more', participants: [victim] });

    // Assess
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await membershipsOf(victim)).toHaveLength(limit);
  });

  it('refuses a create or an add that would put a user over the chat cap with 409, writing nothing', async () => {
    // Prepare: the victim is already in the most chats allowed (their counter says so).
    const [alice, victim] = [user('alice'), user('victim')];
    const chatId = await createChat(alice, []);
    await runtime.documentClient.send(
      new UpdateCommand({
        TableName: runtime.tableNames.USERS_TABLE,
        Key: { userId: victim, sk: 'counters' },
        UpdateExpression: 'SET chatCount = :cap',
        ExpressionAttributeValues: { ':cap': DEFAULT_LIMITS.maxChatsPerUser },
      }),
    );

    // Act
    const created = await api(alice, 'POST', '/chats', { title: 'full', participants: [victim] });
    const added = await api(alice, 'POST', `/chats/${chatId}/participants`, { userId: victim });

    // Assess
    expect([created.status, added.status]).toEqual([409, 409]);
    expect(created.json.error.code).toBe('CONFLICT');
    expect(await membershipsOf(victim)).toEqual([]);
    expect(await membershipsOf(alice)).toEqual([chatId]);
  });

  it('pages GET /chats and GET /chats/{chatId}/participants with limit and cursor', async () => {
    // Prepare
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    const chatIds = [await createChat(alice, [bob, carol]), await createChat(bob, [alice]), await createChat(alice, [])];

    // Act
    const first = await api(alice, 'GET', '/chats?limit=2');
    const second = await api(alice, 'GET', `/chats?limit=2&cursor=${first.json.next}`);
    const people = await api(bob, 'GET', `/chats/${chatIds[0]}/participants?limit=2`);
    const rest = await api(bob, 'GET', `/chats/${chatIds[0]}/participants?limit=2&cursor=${people.json.next}`);
    const outsider = await api(user('mallory'), 'GET', `/chats/${chatIds[0]}/participants`);

    // Assess
    const listed = [...first.json.items, ...second.json.items];
    expect(listed.map((c: { chatId: string }) => c.chatId).sort()).toEqual([...chatIds].sort());
    expect(second.json.next).toBeUndefined();
    // No message yet: nothing unread, no read position.
    expect(listed.find((c: { chatId: string }) => c.chatId === chatIds[1])).toEqual({ chatId: chatIds[1], title: 'trust', role: 'member', unreadCount: 0 });
    expect(listed.find((c: { chatId: string }) => c.chatId === chatIds[0])).toMatchObject({ role: 'owner' });
    expect([...people.json.items, ...rest.json.items].map((p: { userId: string; role: string }) => `${p.userId}:${p.role}`).sort()).toEqual(
      [`${alice}:owner`, `${bob}:member`, `${carol}:member`].sort(),
    );
    expect(outsider.status).toBe(403);
  });
});

describe('Local runtime: chat roles', () => {
  it('lets owners add, remove and promote; members only leave; and the room hears of every change', async () => {
    // Prepare
    const [alice, bob, carol, dave] = [user('alice'), user('bob'), user('carol'), user('dave')];
    const chatId = await createChat(alice, [bob, carol]);
    const [aliceWs, carolWs] = [await connect(alice), await connect(carol)];

    // Act + Assess: a member may neither add nor remove someone else
    const memberAdds = await api(bob, 'POST', `/chats/${chatId}/participants`, { userId: dave });
    const memberRemoves = await api(bob, 'DELETE', `/chats/${chatId}/participants/${carol}`);
    expect([memberAdds.status, memberRemoves.status]).toEqual([403, 403]);
    expect(memberRemoves.json.error.code).toBe('FORBIDDEN');

    // An owner makes bob an owner; the room hears it
    const promoted = await api(alice, 'PATCH', `/chats/${chatId}/participants/${bob}`, { role: 'owner' });
    expect(promoted.status).toBe(200);
    expect((await carolWs.nextEvent(isEvent('chat:role-changed'))).data).toEqual({ chatId, userId: bob, role: 'owner' });

    // bob, now an owner, adds dave; the room hears it
    expect((await api(bob, 'POST', `/chats/${chatId}/participants`, { userId: dave })).status).toBe(201);
    expect((await carolWs.nextEvent(isEvent('chat:member-added'))).data).toEqual({ chatId, userId: dave, role: 'member', addedBy: bob });

    // carol leaves; alice hears it
    expect((await api(carol, 'DELETE', `/chats/${chatId}/participants/${carol}`)).status).toBe(204);
    expect((await aliceWs.nextEvent(isEvent('chat:member-removed'))).data).toEqual({ chatId, userId: carol });

    // alice leaves (bob stays an owner); then bob, the last owner, may not leave while dave stays
    expect((await api(alice, 'DELETE', `/chats/${chatId}/participants/${alice}`)).status).toBe(204);
    const lastOwner = await api(bob, 'DELETE', `/chats/${chatId}/participants/${bob}`);
    expect(lastOwner.status).toBe(409);
    expect(await membershipsOf(bob)).toEqual([chatId]);
  });
});

describe('Local runtime: blocks', () => {
  it('blocks: the blocker\'s tabs hear user:blocked, and the blocked user can neither create a chat with nor add the blocker', async () => {
    // Prepare
    const [victim, mallory, bob] = [user('victim'), user('mallory'), user('bob')];
    const mallorysChat = await createChat(mallory, [bob]);
    const victimWs = await connect(victim);

    // Act
    const blocked = await api(victim, 'PUT', `/users/me/blocks/${mallory}`);
    const heard = await victimWs.nextEvent(isEvent('user:blocked'));
    const create = await api(mallory, 'POST', '/chats', { title: 'hi', participants: [bob, victim] });
    const add = await api(mallory, 'POST', `/chats/${mallorysChat}/participants`, { userId: victim });
    const list = await api(victim, 'GET', '/users/me/blocks');

    // Assess
    expect(blocked.status).toBe(204);
    expect(heard.data).toMatchObject({ userId: mallory });
    expect([create.status, add.status]).toEqual([403, 403]);
    expect(create.json.error.message).not.toContain(victim);
    expect(await membershipsOf(victim)).toEqual([]);
    expect(list.json.items).toEqual([{ userId: mallory, blockedAt: expect.any(String) }]);

    // Act: lifting it lets mallory in again
    expect((await api(victim, 'DELETE', `/users/me/blocks/${mallory}`)).status).toBe(204);
    expect((await victimWs.nextEvent(isEvent('user:unblocked'))).data).toMatchObject({ userId: mallory });
    expect((await api(mallory, 'POST', `/chats/${mallorysChat}/participants`, { userId: victim })).status).toBe(201);
  });

  it('hides presence and typing between blocked users in a chat they share, both ways, while others still see them', async () => {
    // Prepare: a chat made before the block
    const [victim, mallory, bob] = [user('victim'), user('mallory'), user('bob')];
    const chatId = await createChat(bob, [victim, mallory]);
    expect((await api(victim, 'PUT', `/users/me/blocks/${mallory}`)).status).toBe(204);
    const [victimWs, bobWs] = [await connect(victim), await connect(bob)];

    // Act
    const malloryWs = await connect(mallory);
    await bobWs.nextEvent(isEvent('user:online', (d) => d.userId === mallory));
    malloryWs.send({ action: 'user:typing', data: { chatId }, ackId: 1 });
    await ackOf(malloryWs, 1);
    await bobWs.nextEvent(isEvent('user:typing', (d) => d.userId === mallory));
    victimWs.send({ action: 'user:typing', data: { chatId }, ackId: 2 });
    await ackOf(victimWs, 2);
    await bobWs.nextEvent(isEvent('user:typing', (d) => d.userId === victim));
    await runtime.settle();

    // Assess
    const presenceOrTyping = (f: Frame): boolean => /^user:(online|offline|typing|stop-typing)$/.test(f?.event);
    expect(victimWs.received.filter((f) => presenceOrTyping(f) && f.data?.userId === mallory)).toEqual([]);
    expect(malloryWs.received.filter((f) => presenceOrTyping(f) && f.data?.userId === victim)).toEqual([]);
  });
});

describe('Local runtime: typing throttle', () => {
  it('delivers a stop sent right after a typing when the window ends, so the indicator stops', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs] = [await connect(alice), await connect(bob)];

    // Act: one after the other (API Gateway does not keep the order of frames invoked at once)
    aliceWs.send({ action: 'user:typing', data: { chatId }, ackId: 1 });
    const acks = [await ackOf(aliceWs, 1)];
    aliceWs.send({ action: 'user:stop-typing', data: { chatId }, ackId: 2 });
    acks.push(await ackOf(aliceWs, 2));
    await bobWs.nextEvent(isEvent('user:stop-typing'), 10_000);
    await runtime.settle();

    // Assess
    const seen = typingStates(bobWs, alice);
    expect(seen.map((f) => f.event)).toEqual(['user:typing', 'user:stop-typing']);
    expect(seen[1].ts - seen[0].ts).toBeGreaterThanOrEqual(1000);
    expect(acks.map((a) => a.data?.delivered)).toEqual([true, true]);
  });

  it('sends at most one state a second under alternating typing / stop-typing, and ends on the last state the server recorded', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs] = [await connect(alice), await connect(bob)];

    // Act: 20 frames back to back (they may reach the handler in any order)
    for (let i = 1; i <= 20; i++) aliceWs.send({ action: i % 2 === 0 ? 'user:typing' : 'user:stop-typing', data: { chatId }, ackId: i });
    for (let i = 1; i <= 20; i++) await ackOf(aliceWs, i);
    await runtime.settle();

    // Assess
    const seen = typingStates(bobWs, alice);
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i].ts - seen[i - 1].ts).toBeGreaterThanOrEqual(1000);
    const row = await membershipRow(chatId, alice);
    expect(seen.at(-1).data.isTyping).toBe(row?.typingWant);
  });

  it('typing → stop → typing: the second typing is what the others end up seeing', async () => {
    // Prepare
    const [alice, bob] = [user('alice'), user('bob')];
    const chatId = await createChat(alice, [bob]);
    const [aliceWs, bobWs] = [await connect(alice), await connect(bob)];

    // Act: the typing goes once the stop is recorded (and waits for the window's end)
    aliceWs.send({ action: 'user:typing', data: { chatId }, ackId: 1 });
    await ackOf(aliceWs, 1);
    aliceWs.send({ action: 'user:stop-typing', data: { chatId }, ackId: 2 });
    for (let row = await membershipRow(chatId, alice); row?.typingWant !== false; row = await membershipRow(chatId, alice)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    aliceWs.send({ action: 'user:typing', data: { chatId }, ackId: 3 });
    const stopAck = await ackOf(aliceWs, 2);
    await ackOf(aliceWs, 3);
    await runtime.settle();

    // Assess: bob ends on typing; on a loaded machine the stop may have come after the window and been shown first
    const seen = typingStates(bobWs, alice);
    expect(seen.at(-1).event).toBe('user:typing');
    if (stopAck.data?.delivered === false) expect(seen.map((f) => f.event)).toEqual(['user:typing']);
    for (let i = 1; i < seen.length; i++) expect(seen[i].ts - seen[i - 1].ts).toBeGreaterThanOrEqual(1000);
  });
});
