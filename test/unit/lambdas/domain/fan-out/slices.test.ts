import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../../../../protocol';
import { DEFAULT_SLICE_RETRY, SlicedBroadcaster, sliceMembers } from '../../../../../lambdas/domain/fan-out/slices';
import { processStreamBatch, type FanOutDeps } from '../../../../../lambdas/domain/fan-out/stream-batch';
import type { BroadcastResult, BroadcastSlice, RoomBroadcaster, RoomMember, SliceWorker } from '../../../../../lambdas/domain/ports';
import { createDynamoStores } from '../../../../helpers/dynamo-stores';
import { createStreamRecord } from '../../../../helpers/stream-records';

function member(n: number, extra: Partial<RoomMember> = {}): RoomMember {
  return { connectionId: `conn-${n}`, userId: `user-${n}`, protocol: 'lettera.v1', ...extra };
}

function members(count: number): RoomMember[] {
  return Array.from({ length: count }, (_, i) => member(i));
}

function envelope(seq: number): EventEnvelope {
  return { event: 'message:new', data: { messageId: `m${seq}`, chatId: 'c1' }, id: `c1:${seq}`, ts: 1, seq } as EventEnvelope;
}

function delivered(count: number): BroadcastResult {
  return { recipients: count, delivered: count, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
}

/** A local broadcaster that must not be used (big rooms go to the workers). */
function unusedLocal(): RoomBroadcaster {
  return {
    toRoom: vi.fn(async () => {
      throw new Error('toRoom of the local broadcaster called');
    }),
    toMembers: vi.fn(async () => {
      throw new Error('toMembers of the local broadcaster called');
    }),
  };
}

/** A worker that records, per connection, the event ids it posted, in posting order. */
function recordingWorker(): { worker: SliceWorker; slices: BroadcastSlice[]; received: Map<string, string[]> } {
  const slices: BroadcastSlice[] = [];
  const received = new Map<string, string[]>();
  const worker: SliceWorker = async (slice) => {
    slices.push(slice);
    for (const { connectionId } of slice.members) received.set(connectionId, [...(received.get(connectionId) ?? []), slice.envelope.id]);
    return delivered(slice.members.length);
  };
  return { worker, slices, received };
}

const noDelay = { baseDelayMs: 0 };

/** A broadcaster over a room of 35 members, slices of 10, retries without delay. */
function roomOf35(postSlice: SliceWorker): SlicedBroadcaster {
  return new SlicedBroadcaster({ local: unusedLocal(), rooms: { members: async () => members(35) }, postSlice, sliceSize: 10, retry: noDelay });
}

describe('Function: sliceMembers', () => {
  it('splits into the fewest slices of at most the size, as even as possible', () => {
    // Act
    const slices = sliceMembers(members(1001), 250);

    // Assess
    expect(slices.map((slice) => slice.length)).toEqual([200, 200, 200, 200, 201]);
  });

  it('puts every connection in exactly one slice, even when it is listed twice', () => {
    // Prepare
    const listed = [...members(35), member(3), member(17)];

    // Act
    const slices = sliceMembers(listed, 10);

    // Assess
    const ids = slices.flat().map((m) => m.connectionId);
    expect(ids).toHaveLength(35);
    expect(new Set(ids).size).toBe(35);
    expect(slices.every((slice) => slice.length <= 10)).toBe(true);
    expect(slices).toHaveLength(4);
  });

  it('refuses a slice size that is not a positive integer', () => {
    // Act / Assess
    expect(() => sliceMembers(members(3), 0)).toThrow(/sliceSize must be a positive integer, got 0/);
  });
});

describe('Class: SlicedBroadcaster', () => {
  it('posts a room of up to the slice size itself, without a worker', async () => {
    // Prepare
    const local: RoomBroadcaster = { toRoom: vi.fn(), toMembers: vi.fn(async (list: readonly RoomMember[]) => delivered(list.length)) };
    const postSlice = vi.fn<SliceWorker>();
    const room = members(10);
    const broadcaster = new SlicedBroadcaster({ local, rooms: { members: async () => room }, postSlice, sliceSize: 10 });

    // Act
    const result = await broadcaster.toRoom('chat:c1', envelope(1));

    // Assess
    expect(result).toEqual(delivered(10));
    expect(local.toMembers).toHaveBeenCalledWith(room, envelope(1));
    expect(postSlice).not.toHaveBeenCalled();
  });

  it('slices a bigger room across workers and sums what they did', async () => {
    // Prepare
    const { worker, slices } = recordingWorker();
    const broadcaster = new SlicedBroadcaster({ local: unusedLocal(), rooms: { members: async () => members(35) }, postSlice: worker, sliceSize: 10 });

    // Act
    const result = await broadcaster.toRoom('chat:c1', envelope(1));

    // Assess
    expect(slices.map((slice) => slice.members.length)).toEqual([8, 9, 9, 9]);
    expect(slices.every((slice) => slice.envelope.id === 'c1:1')).toBe(true);
    expect(result).toEqual(delivered(35));
  });

  it('leaves out the sender of a typing event and the connections already replayed past the event, as the posting broadcaster does', async () => {
    // Prepare
    const { worker, received } = recordingWorker();
    const room = [...members(30), member(100, { userId: 'alice' }), member(101, { afterSeq: 7 }), member(102, { afterSeq: 6 })];
    const broadcaster = new SlicedBroadcaster({ local: unusedLocal(), rooms: { members: async () => room }, postSlice: worker, sliceSize: 10 });

    // Act
    const result = await broadcaster.toRoom('chat:c1', envelope(7), { exceptUserId: 'alice' });

    // Assess
    expect(result.recipients).toBe(31);
    expect(received.has('conn-100')).toBe(false);
    expect(received.has('conn-101')).toBe(false);
    expect(received.get('conn-102')).toEqual(['c1:7']);
  });

  it('resolves only when every slice is done, so each connection receives a chat\'s events in order', async () => {
    // Prepare: each slice resolves when the test says so, the last slice first.
    const pending: { slice: BroadcastSlice; resolve: (result: BroadcastResult) => void }[] = [];
    const received = new Map<string, string[]>();
    const postSlice: SliceWorker = (slice) =>
      new Promise((resolve) => {
        pending.push({
          slice,
          resolve: (result) => {
            for (const { connectionId } of slice.members) received.set(connectionId, [...(received.get(connectionId) ?? []), slice.envelope.id]);
            resolve(result);
          },
        });
      });
    const broadcaster = new SlicedBroadcaster({ local: unusedLocal(), rooms: { members: async () => members(35) }, postSlice, sliceSize: 10 });
    // The fan-out processes a chat's records one after the other, each awaited.
    const record = async (seq: number): Promise<void> => {
      await broadcaster.toRoom('chat:c1', envelope(seq));
    };

    // Act
    const first = record(1);
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await vi.waitFor(() => expect(pending).toHaveLength(4));
    for (const entry of pending.slice(1).reverse()) entry.resolve(delivered(entry.slice.members.length));
    await new Promise((resolve) => setImmediate(resolve));
    const doneBeforeLastSlice = firstDone;
    pending[0]!.resolve(delivered(pending[0]!.slice.members.length));
    await first;
    const second = record(2);
    await vi.waitFor(() => expect(pending).toHaveLength(8));
    for (const entry of pending.slice(4)) entry.resolve(delivered(entry.slice.members.length));
    await second;

    // Assess
    expect(doneBeforeLastSlice).toBe(false);
    expect(received.size).toBe(35);
    for (const events of received.values()) expect(events).toEqual(['c1:1', 'c1:2']);
  });

  it('posts a slice whose worker failed again, that slice only, and loses nobody', async () => {
    // Prepare
    const calls: string[][] = [];
    let failedOnce = false;
    const postSlice: SliceWorker = async (slice) => {
      const ids = slice.members.map((m) => m.connectionId);
      calls.push(ids);
      if (ids.includes('conn-20') && !failedOnce) {
        failedOnce = true;
        throw Object.assign(new Error('Task timed out after 20.00 seconds'), { name: 'SliceFunctionError' });
      }
      return delivered(ids.length);
    };
    const broadcaster = roomOf35(postSlice);

    // Act
    const result = await broadcaster.toRoom('chat:c1', envelope(1));

    // Assess
    expect(result).toEqual(delivered(35));
    expect(calls).toHaveLength(5);
    const failedSlice = calls.find((ids) => ids.includes('conn-20'));
    expect(calls.filter((ids) => ids.includes('conn-20'))).toEqual([failedSlice, failedSlice]);
    for (const id of members(35).map((m) => m.connectionId).filter((id) => !failedSlice!.includes(id))) {
      expect(calls.filter((ids) => ids.includes(id))).toHaveLength(1);
    }
  });

  it('counts the recipients of a slice that keeps failing as failed, after the configured attempts', async () => {
    // Prepare
    const attempts = new Map<string, number>();
    const postSlice: SliceWorker = async (slice) => {
      const first = slice.members[0]!.connectionId;
      attempts.set(first, (attempts.get(first) ?? 0) + 1);
      if (slice.members.some((m) => m.connectionId === 'conn-0')) throw new Error('worker crashed');
      return delivered(slice.members.length);
    };
    const broadcaster = roomOf35(postSlice);

    // Act
    const result = await broadcaster.toRoom('chat:c1', envelope(1));

    // Assess
    expect(result).toEqual({ recipients: 35, delivered: 27, gone: 0, disconnected: 0, undeliverable: 0, failed: 8 });
    expect(attempts.get('conn-0')).toBe(DEFAULT_SLICE_RETRY.maxAttempts);
    expect([...attempts.values()].filter((n) => n === 1)).toHaveLength(3);
  });

  it('refuses a slice size that is not a positive integer', () => {
    // Act / Assess
    expect(() => new SlicedBroadcaster({ local: unusedLocal(), rooms: { members: async () => [] }, postSlice: vi.fn(), sliceSize: 2.5 })).toThrow(
      /sliceSize must be a positive integer, got 2.5/,
    );
  });
});

describe('Function: processStreamBatch with sliced broadcasts', () => {
  const ddbMock = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddbMock.reset());

  function depsWith(postSlice: SliceWorker): FanOutDeps {
    const tables = { connectionsTable: 'Connections', roomsTable: 'Rooms', membershipsTable: 'Memberships', messagesTable: 'Messages', presenceTable: 'Presence', usersTable: 'Users' };
    const stores = createDynamoStores(DynamoDBDocumentClient.from(new DynamoDBClient({})), tables);
    return {
      ...stores,
      broadcaster: new SlicedBroadcaster({ local: unusedLocal(), rooms: stores.rooms, postSlice, sliceSize: 10, retry: noDelay }),
      ...tables,
    };
  }

  function messageRecord(seq: number) {
    return createStreamRecord('INSERT', {
      table: 'Messages',
      keys: { chatId: 'c1', messageId: `m${seq}` },
      newImage: {
        chatId: 'c1',
        messageId: `m${seq}`,
        kind: 'message',
        senderId: 'alice',
        content: 'hello',
        createdAt: '2026-11-27T00:00:00.000Z',
        seq,
        createdSeq: seq,
      },
    });
  }

  it('fails the record (and skips the chat\'s later one) when a slice fails for good', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({ Items: members(35).map((m) => ({ ...m, room: 'chat:c1' })) });
    const postSlice: SliceWorker = async (slice) => {
      if (slice.members.some((m) => m.connectionId === 'conn-34')) throw new Error('worker crashed');
      return delivered(slice.members.length);
    };
    const first = messageRecord(1);
    const second = messageRecord(2);

    // Act
    const response = await processStreamBatch(depsWith(postSlice), { Records: [first, second] });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: first.dynamodb!.SequenceNumber },
      { itemIdentifier: second.dynamodb!.SequenceNumber },
    ]);
  });

  it('reports nothing when a slice failed once and its retry delivered', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({ Items: members(35).map((m) => ({ ...m, room: 'chat:c1' })) });
    let failed = false;
    const postSlice: SliceWorker = async (slice) => {
      if (!failed && slice.members.some((m) => m.connectionId === 'conn-34')) {
        failed = true;
        throw new Error('worker crashed');
      }
      return delivered(slice.members.length);
    };

    // Act
    const response = await processStreamBatch(depsWith(postSlice), { Records: [messageRecord(1), messageRecord(2)] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(failed).toBe(true);
  });
});
