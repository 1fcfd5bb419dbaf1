/**
 * Big rooms posted by parallel slice workers (issue 11), against the local
 * runtime with real `ws` clients: a chat of 35 members with a slice size of
 * 10 is posted as four slices, each by a slice poster invoked through the
 * local Invoke API and run in a pool of worker threads, the code path of
 * AWS. Every member receives every message, in order, also when a slice's
 * worker crashes once (that slice is posted again) or for good (the record
 * is retried; clients drop the duplicates by id).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLICE_RETRY } from '../../lambdas/domain/fan-out/slices';
import { sliceWorkers } from '../../lambdas/system/topology';
import { isEvent, useTestRuntime, waitFor, type Frame, type TestSocket } from '../helpers/local-runtime';

const SLICE_SIZE = 10;
const MEMBERS = 35;
// No presence broadcasts in chats this size: the tests measure messages, not a login burst.
const suite = useTestRuntime('slices', { limits: { fanOutSliceSize: SLICE_SIZE, presenceBroadcastMaxMembers: 10 }, schedules: false });

interface Room {
  chatId: string;
  owner: string;
  sockets: TestSocket[];
}

/** A chat of MEMBERS users, each with one open connection (connected after the create, so in the room at once). */
async function bigRoom(): Promise<Room> {
  const users = Array.from({ length: MEMBERS }, (_, i) => suite.user(`member${i}`));
  const [owner, ...others] = users as [string, ...string[]];
  const chatId = await suite.createChat(owner, others);
  const sockets = await Promise.all(users.map((userId) => suite.connect(userId)));
  await suite.runtime().settle(30_000);
  return { chatId, owner, sockets };
}

async function send(room: Room, content: string): Promise<number> {
  const res = await suite.api(room.owner, 'POST', `/chats/${room.chatId}/messages`, { content });
  if (res.status !== 201) throw new Error(`send answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.seq as number;
}

/** The message:new frames of a chat a socket received so far, in arrival order. */
function messagesOf(socket: TestSocket, chatId: string): Frame[] {
  return socket.received.filter(isEvent('message:new', (data) => data.chatId === chatId));
}

/** Positions as a client keeps them: duplicates (same event id) dropped, order of arrival kept. */
function positionsSeen(socket: TestSocket, chatId: string): number[] {
  const ids = new Set<string>();
  const positions: number[] = [];
  for (const frame of messagesOf(socket, chatId)) {
    if (ids.has(frame.id as string)) continue;
    ids.add(frame.id as string);
    positions.push(frame.seq as number);
  }
  return positions;
}

async function everyoneHas(room: Room, count: number): Promise<void> {
  await waitFor(() => room.sockets.every((socket) => positionsSeen(socket, room.chatId).length >= count), 30_000);
}

const invocations = (): number => suite.runtime().lambdaApi.invocations[sliceWorkers.function] ?? 0;

describe('Local runtime: big rooms in slices', () => {
  it('posts a 35-member chat in slices of 10: every member receives every message, in order', async () => {
    // Prepare
    const room = await bigRoom();
    const before = invocations();

    // Act
    const positions: number[] = [];
    for (let i = 0; i < 5; i++) positions.push(await send(room, `hello ${i}`));
    await everyoneHas(room, 5);

    // Assess
    for (const socket of room.sockets) expect(positionsSeen(socket, room.chatId)).toEqual(positions);
    // Four slices per message went through the Invoke API to the worker pool.
    expect(invocations() - before).toBeGreaterThanOrEqual(5 * Math.ceil(MEMBERS / SLICE_SIZE));
    expect(suite.runtime().failures()).toEqual([]);
  });

  it('posts a slice whose worker crashed again: nobody misses the message or receives it twice', async () => {
    // Prepare
    const room = await bigRoom();
    const first = await send(room, 'before');
    await everyoneHas(room, 1);
    suite.runtime().lambdaApi.failNext(sliceWorkers.function, 1, (event) => JSON.stringify(event).includes('"content":"after a crash"'));

    // Act
    const second = await send(room, 'after a crash');
    await everyoneHas(room, 2);

    // Assess
    for (const socket of room.sockets) {
      expect(positionsSeen(socket, room.chatId)).toEqual([first, second]);
      // The crashed slice never ran, so its retry was its only post.
      expect(messagesOf(socket, room.chatId)).toHaveLength(2);
    }
    expect(suite.runtime().failures()).toEqual([]);
  });

  it('retries the whole record when a slice fails for good: everyone still receives it once as a client counts, in order', async () => {
    // Prepare
    const room = await bigRoom();
    const first = await send(room, 'before');
    await everyoneHas(room, 1);
    // The slice holding the owner's connection crashes on each of its attempts: it fails for good.
    suite.runtime().lambdaApi.failNext(sliceWorkers.function, DEFAULT_SLICE_RETRY.maxAttempts, (event) => {
      const text = JSON.stringify(event);
      return text.includes('"content":"after failing for good"') && text.includes(`"userId":"${room.owner}"`);
    });

    // Act
    const second = await send(room, 'after failing for good');
    const third = await send(room, 'and one more');
    await everyoneHas(room, 3);

    // Assess
    for (const socket of room.sockets) expect(positionsSeen(socket, room.chatId)).toEqual([first, second, third]);
    expect(suite.runtime().failures()).toEqual([]);
  });
});
