/**
 * Big rooms posted by parallel slice workers (issue 11), against the local
 * runtime with real `ws` clients: a chat of 35 members with a slice size of
 * 10 is posted as four slices, each by a slice poster invoked through the
 * local Invoke API and run in a pool of worker threads, the code path of
 * AWS. Every member receives every message, in order, also when a slice's
 * worker crashes once (that slice is posted again) or for good (the record
 * is retried; clients drop the duplicates by id).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLICE_RETRY } from '../../lambdas/domain/fan-out/slices';
import { sliceWorkers } from '../../lambdas/system/topology';
import { isEvent, useTestRuntime, waitFor, type Frame, type TestSocket } from '../helpers/local-runtime';

const SLICE_SIZE = 10;
const MEMBERS = 35;
const suite = useTestRuntime('slices', { limits: { fanOutSliceSize: SLICE_SIZE }, schedules: false });

interface Room {
  chatId: string;
  owner: string;
  sockets: TestSocket[];
}

/**
 * A chat of MEMBERS users, each with one open connection. They connect
 * first, while they share no chat (so no presence burst), and the chat's
 * Memberships records then join them to its room.
 */
async function bigRoom(): Promise<Room> {
  const users = Array.from({ length: MEMBERS }, (_, i) => suite.user(`member${i}`));
  const [owner, ...others] = users as [string, ...string[]];
  const sockets = await Promise.all(users.map((userId) => suite.connect(userId)));
  const chatId = await suite.createChat(owner, others);
  await suite.runtime().settle(60_000);
  return { chatId, owner, sockets };
}

async function send(room: Room, content: string): Promise<number> {
  const res = await suite.api(room.owner, 'POST', `/chats/${room.chatId}/messages`, { content });
  if (res.status !== 201) throw new Error(`send answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.seq as number;
}

/** Generous: each test posts a few messages to 35 sockets on a shared 2-core machine. */
const TEST_TIMEOUT_MS = 90_000;

/** The message:new frames of a chat a socket received so far, in arrival order. */
function messagesOf(socket: TestSocket, chatId: string): Frame[] {
  return socket.received.filter(isEvent('message:new', (data) => data.chatId === chatId));
}

/** Positions (from `from` on) as a client keeps them: duplicates (same event id) dropped, order of arrival kept. */
function positionsSeen(socket: TestSocket, chatId: string, from = 0): number[] {
  const ids = new Set<string>();
  const positions: number[] = [];
  for (const frame of messagesOf(socket, chatId).filter((f) => (f.seq as number) >= from)) {
    if (ids.has(frame.id as string)) continue;
    ids.add(frame.id as string);
    positions.push(frame.seq as number);
  }
  return positions;
}

async function everyoneHas(room: Room, positions: readonly number[]): Promise<void> {
  try {
    await waitFor(() => room.sockets.every((socket) => positionsSeen(socket, room.chatId, positions[0]).length >= positions.length), 60_000);
  } catch (err) {
    const seen = room.sockets.map((socket) => positionsSeen(socket, room.chatId, positions[0]).length);
    throw new Error(`not every member received positions ${positions.join(', ')}: counts ${seen.join(',')}; slice invocations ${invocations()}; stream failures ${suite.runtime().failures().length}`, { cause: err });
  }
}

const invocations = (): number => suite.runtime().lambdaApi.invocations[sliceWorkers.function] ?? 0;

describe('Local runtime: big rooms in slices', () => {
  // One room for the file: connecting 35 users is the slow part.
  let room: Room;
  beforeAll(async () => {
    room = await bigRoom();
  });

  it('posts a 35-member chat in slices of 10: every member receives every message, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    const before = invocations();

    // Act
    const positions: number[] = [];
    for (let i = 0; i < 5; i++) positions.push(await send(room, `hello ${i}`));
    await everyoneHas(room, positions);

    // Assess
    for (const socket of room.sockets) expect(positionsSeen(socket, room.chatId, positions[0])).toEqual(positions);
    // Four slices per message went through the Invoke API to the worker pool.
    expect(invocations() - before).toBeGreaterThanOrEqual(5 * Math.ceil(MEMBERS / SLICE_SIZE));
    expect(suite.runtime().failures()).toEqual([]);
  });

  it('posts a slice whose worker crashed again: nobody misses the message or receives it twice', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare
    suite.runtime().lambdaApi.failNext(sliceWorkers.function, 1, (event) => JSON.stringify(event).includes('"content":"after a crash"'));

    // Act
    const position = await send(room, 'after a crash');
    await everyoneHas(room, [position]);

    // Assess
    for (const socket of room.sockets) {
      expect(positionsSeen(socket, room.chatId, position)).toEqual([position]);
      // The crashed slice never ran, so its retry was its only post.
      expect(messagesOf(socket, room.chatId).filter((frame) => frame.seq === position)).toHaveLength(1);
    }
    expect(suite.runtime().failures()).toEqual([]);
  });

  it('retries the whole record when a slice fails for good: everyone still receives it once as a client counts, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Prepare: the slice holding the owner's connection crashes on each of its attempts: it fails for good.
    suite.runtime().lambdaApi.failNext(sliceWorkers.function, DEFAULT_SLICE_RETRY.maxAttempts, (event) => {
      const text = JSON.stringify(event);
      return text.includes('"content":"after failing for good"') && text.includes(`"userId":"${room.owner}"`);
    });

    // Act
    const positions = [await send(room, 'after failing for good'), await send(room, 'and one more')];
    await everyoneHas(room, positions);

    // Assess
    for (const socket of room.sockets) expect(positionsSeen(socket, room.chatId, positions[0])).toEqual(positions);
    // The record was retried: the members of the slices that had posted got the event a second time (and dropped it).
    const copies = room.sockets.map((socket) => messagesOf(socket, room.chatId).filter((frame) => frame.seq === positions[0]).length);
    expect(Math.max(...copies)).toBe(2);
    expect(suite.runtime().failures()).toEqual([]);
  });
});
