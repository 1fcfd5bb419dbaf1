/**
 * A stream batch that fails for good (issue 9): the local runtime makes the
 * fan-out crash on one message's record; the poller retries, bisects and
 * discards it to the failure log, the local stand-in for the on-failure
 * queue. Nothing of it is lost to a client that applies the gap rule.
 * A runtime of its own: its short stream retries must not reach other specs
 * (an Engine.IO open packet gets only 2 retries).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect as connectClient } from '../../client/src/index';
import { historyAfterSeq, useTestRuntime, waitFor, type LocalRuntime } from '../helpers/local-runtime';

/** Messages whose content starts with this make the fan-out fail on their record, as a crash would. */
const POISON = 'POISON:';
const isPoisonedMessage = (functionName: string, record: DynamoDBRecord): boolean =>
  functionName === 'fanOut' && (record.dynamodb?.NewImage?.content?.S ?? '').startsWith(POISON);

// Short stream retries, so a poisoned record is discarded within a second (5 attempts, 20 ms doubling).
const suite = useTestRuntime('discarded', { schedules: false, failStreamRecord: isPoisonedMessage, retryDelayMs: 20 });
const { user, api, createChat } = suite;
let runtime: LocalRuntime;
const ioSockets: Socket[] = [];
beforeAll(() => {
  runtime = suite.runtime();
});
afterAll(() => {
  for (const socket of ioSockets) socket.disconnect();
});

async function send(from: string, chatId: string, content: string): Promise<void> {
  const res = await api(from, 'POST', `/chats/${chatId}/messages`, { content });
  if (res.status !== 201) throw new Error(`send answered ${res.status}: ${JSON.stringify(res.json)}`);
}

const historyAfter = (userId: string, chatId: string, afterSeq: number) => historyAfterSeq(runtime, userId, chatId, afterSeq);

describe('A stream batch discarded after its retries (the on-failure queue)', () => {
  it('is recovered by the gap rule: the client library shows every message once, in order; a Socket.IO app sees the gap and finds it in the history', async () => {
    // Prepare: bob on the client library, carol on socket.io-client; the second message's record will fail for good.
    const [alice, bob, carol] = [user('alice'), user('bob'), user('carol')];
    const chatId = await createChat(alice, [bob, carol]);
    const client = connectClient(runtime.wsUrl, { WebSocket, auth: async () => ({ token: await runtime.token(bob) }), httpUrl: runtime.httpUrl });
    const shown: Array<{ content: string; recovered: boolean }> = [];
    client.on('message:new', (message, meta) => shown.push({ content: message.content, recovered: meta.recovered === true }));
    const carolIo = io(new URL(runtime.wsUrl).origin, {
      path: new URL(runtime.wsUrl).pathname,
      addTrailingSlash: false,
      transports: ['websocket'],
      auth: { token: await runtime.token(carol) },
    });
    ioSockets.push(carolIo);
    const carolSeqs: number[] = [];
    // socket.io-client's recovery offset (the event's last argument) is `{chatId}:{seq}`.
    carolIo.on('message:new', (_message: unknown, offset: string) => carolSeqs.push(Number(offset.slice(offset.lastIndexOf(':') + 1))));
    await Promise.all([
      new Promise<void>((resolve) => client.once('connect', () => resolve())),
      new Promise<void>((resolve) => carolIo.once('connect', () => resolve())),
    ]);

    try {
      // Act: one, a poisoned two, three.
      await send(alice, chatId, 'one');
      await waitFor(() => shown.length === 1 && carolSeqs.length === 1, 10_000);
      await send(alice, chatId, `${POISON} two`);
      await waitFor(() => runtime.failures().length === 1, 15_000);
      await send(alice, chatId, 'three');
      await waitFor(() => shown.length === 3 && carolSeqs.length === 2, 15_000);

      // Assess: the record went to the failure log; nobody got it live, yet nothing is lost to either client.
      const [discarded] = runtime.failures();
      expect(discarded?.records.map((r) => r.dynamodb?.NewImage?.content?.S)).toEqual([`${POISON} two`]);
      // (three may come from the same history page as two, live three then being a repeat.)
      expect(shown.map((m) => m.content)).toEqual(['one', `${POISON} two`, 'three']);
      expect(shown[1]?.recovered).toBe(true);
      expect(carolSeqs).toEqual([1, 3]);
      expect((await historyAfter(carol, chatId, 1)).map((m) => [m.seq, m.content])).toEqual([
        [2, `${POISON} two`],
        [3, 'three'],
      ]);
    } finally {
      client.disconnect();
    }
  });
});
