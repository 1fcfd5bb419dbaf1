/**
 * Two local runtimes in one process (issue 8): each runs its handler modules
 * in a worker of its own, so each has its own tables, callback URL and
 * clients, and this process's environment is never written. The second
 * posts its fan-out over HTTP (LOCAL_POST_TRANSPORT=http), the first over
 * the in-process channel (the default): both transports deliver end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/commons/env';
import { callHttpApi, connectWebSocket, createChat, isEvent, startTestRuntime, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

describe('Function: startLocalRuntime (two in one process)', () => {
  let first: LocalRuntime;
  let second: LocalRuntime;
  const sockets: TestSocket[] = [];
  const envBefore = { ...process.env };

  beforeAll(async () => {
    first = await startTestRuntime();
    second = await startTestRuntime({ postTransport: 'http' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('leaves this process\'s environment untouched', () => {
    // Assess
    expect(process.env).toEqual(envBefore);
    expect(first.env[ENV.callbackUrl]).not.toBe(second.env[ENV.callbackUrl]);
    expect(first.dynamoEndpoint).not.toBe(second.dynamoEndpoint);
  });

  it('serves each runtime from its own tables and delivers each one\'s events through its own gateway', async () => {
    // Prepare: the same users and chat title in both.
    const [chatInFirst, chatInSecond] = [await createChat(first, 'alice', ['bob']), await createChat(second, 'alice', ['bob'])];
    const bobInFirst = await connectWebSocket(first.wsUrl, { token: await first.token('bob') });
    const bobInSecond = await connectWebSocket(second.wsUrl, { token: await second.token('bob') });
    sockets.push(bobInFirst, bobInSecond);

    // Act
    const sentInSecond = await callHttpApi(second, 'alice', 'POST', `/chats/${chatInSecond}/messages`, { content: 'to the second' });
    const sentInFirst = await callHttpApi(first, 'alice', 'POST', `/chats/${chatInFirst}/messages`, { content: 'to the first' });
    const inSecond = await bobInSecond.nextEvent(isEvent('message:new'));
    const inFirst = await bobInFirst.nextEvent(isEvent('message:new'));
    const [chatsOfFirst, chatsOfSecond] = [await callHttpApi(first, 'alice', 'GET', '/chats'), await callHttpApi(second, 'alice', 'GET', '/chats')];
    await Promise.all([first.settle(), second.settle()]);

    // Assess
    expect([sentInFirst.status, sentInSecond.status]).toEqual([201, 201]);
    expect(inSecond.data).toMatchObject({ chatId: chatInSecond, content: 'to the second' });
    expect(inFirst.data).toMatchObject({ chatId: chatInFirst, content: 'to the first' });
    expect(chatsOfFirst.json.items.map((chat: { chatId: string }) => chat.chatId)).toEqual([chatInFirst]);
    expect(chatsOfSecond.json.items.map((chat: { chatId: string }) => chat.chatId)).toEqual([chatInSecond]);
    expect(bobInFirst.received.filter(isEvent('message:new'))).toHaveLength(1);
    expect(bobInSecond.received.filter(isEvent('message:new'))).toHaveLength(1);
    expect(first.gateway.metrics.posts.channel).toBeGreaterThanOrEqual(1);
    expect(second.gateway.metrics.posts).toMatchObject({ channel: 0 });
    expect(second.gateway.metrics.posts.http).toBeGreaterThanOrEqual(1);
  });

  it('keeps serving after the other runtime stops', async () => {
    // Act
    await first.stop();
    const chatId = await createChat(second, 'carol', ['dave']);
    const listed = await callHttpApi(second, 'carol', 'GET', '/chats');

    // Assess
    expect(listed.json.items.map((chat: { chatId: string }) => chat.chatId)).toEqual([chatId]);
  });
});
