import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ForbiddenError } from '../../../../lambdas/commons/errors';
import type { RoomBroadcaster, RoomMember } from '../../../../lambdas/domain/ports';
import { setTyping, type TypingDeps } from '../../../../lambdas/domain/typing';
import { createDynamoStores } from '../../../helpers/dynamo-stores';
import { fakeMembershipStore, fakeUserStore } from '../../../helpers/fake-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = 1_764_204_000_000;
const caller = { userId: 'alice', connectionId: 'conn-1=' };
const aliceRow = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'alice' };

function fakeBroadcaster(): RoomBroadcaster & { toRoom: ReturnType<typeof vi.fn>; toMembers: ReturnType<typeof vi.fn> } {
  const result = { recipients: 1, delivered: 1, gone: 0, failed: 0 };
  return { toRoom: vi.fn().mockResolvedValue(result), toMembers: vi.fn().mockResolvedValue(result) };
}

/**
 * setTyping over the fake stores with a clock the test moves: `sleep`
 * advances it, so a call that waits for the window's end returns at once
 * with the clock at that end. Broadcast states are read from the broadcaster.
 */
function world(options: { blocks?: ReadonlyArray<[string, string]>; members?: RoomMember[] } = {}) {
  let clock = NOW;
  const memberships = fakeMembershipStore([aliceRow]);
  const broadcaster = fakeBroadcaster();
  const sleeps: number[] = [];
  const deps: TypingDeps = {
    rooms: { has: async () => true, members: async () => options.members ?? [] },
    memberships,
    users: fakeUserStore({ blocks: options.blocks ?? [] }),
    broadcaster,
    throttleMs: 1000,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return {
    deps,
    memberships,
    broadcaster,
    sleeps,
    at: (ms: number) => {
      clock = NOW + ms;
    },
    /** The events broadcast so far, in order. */
    sent: (): string[] => [...broadcaster.toRoom.mock.calls, ...broadcaster.toMembers.mock.calls].map((call) => (call[1] as { event: string }).event),
  };
}

/** setTyping over the DynamoDB stores and a mocked SDK, to pin the requests. */
function dynamoDeps(broadcaster: RoomBroadcaster): TypingDeps {
  return {
    ...createDynamoStores(DynamoDBDocumentClient.from(new DynamoDBClient({})), { roomsTable: 'Rooms', membershipsTable: 'Memberships', usersTable: 'Users' }),
    broadcaster,
    throttleMs: 1000,
    now: () => NOW,
  };
}

describe('Function: setTyping', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('broadcasts user:typing to the chat room except the sender’s own connections', async () => {
    // Prepare
    const w = world();

    // Act
    const result = await setTyping(w.deps, caller, 'c1', true);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(w.broadcaster.toRoom).toHaveBeenCalledWith(
      'chat:c1',
      { event: 'user:typing', data: { chatId: 'c1', userId: 'alice', isTyping: true, expiresInMs: 3000 }, id: expect.any(String), ts: NOW },
      { exceptUserId: 'alice' },
    );
  });

  it('drops a repeated typing inside the window: receivers already show it', async () => {
    // Prepare
    const w = world();
    await setTyping(w.deps, caller, 'c1', true);
    w.at(400);

    // Act
    const result = await setTyping(w.deps, caller, 'c1', true);

    // Assess
    expect(result).toEqual({ delivered: false });
    expect(w.sent()).toEqual(['user:typing']);
    expect(w.sleeps).toEqual([]);
  });

  it('delivers a stop after a typing inside the window, when the window ends (the last state wins)', async () => {
    // Prepare
    const w = world();
    await setTyping(w.deps, caller, 'c1', true);
    w.at(300);

    // Act
    const result = await setTyping(w.deps, caller, 'c1', false);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(w.sleeps).toEqual([700]);
    expect(w.sent()).toEqual(['user:typing', 'user:stop-typing']);
    expect(w.broadcaster.toRoom.mock.calls[1]?.[1]).toMatchObject({ ts: NOW + 1000, data: { isTyping: false } });
  });

  it('sends at most one broadcast per window whatever the mix, and ends on the last state asked', async () => {
    // Prepare: alternate typing / stop every 50 ms for 2 s; a waiting call is modelled by running its flush when its turn comes.
    const w = world();
    const pending: Array<Promise<{ delivered: boolean }>> = [];
    let clock = 0;
    // A sleep that only resolves when the test moves the clock past its end.
    const waiting: Array<{ until: number; resolve: () => void }> = [];
    w.deps.sleep = (ms) => new Promise((resolve) => waiting.push({ until: clock + ms, resolve }));
    w.deps.now = () => NOW + clock;

    // Act
    for (let i = 0; i < 40; i++) {
      clock = i * 50;
      for (const waiter of waiting.splice(0).filter((x) => x.until > clock ? (waiting.push(x), false) : true)) waiter.resolve();
      pending.push(setTyping(w.deps, caller, 'c1', i % 2 === 0));
      await new Promise((resolve) => setImmediate(resolve));
    }
    clock = 5000;
    for (const waiter of waiting.splice(0)) waiter.resolve();
    await Promise.all(pending);

    // Assess
    const times = [...w.broadcaster.toRoom.mock.calls].map((call) => (call[1] as { ts: number }).ts - NOW);
    expect(times.length).toBeGreaterThan(0);
    expect(times.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    // The last call asked for stop (i = 39 is odd): the receivers end on stop.
    expect(w.sent().at(-1)).toBe('user:stop-typing');
  });

  it('typing → stop → typing inside the window: the second typing wins and the stop is never sent', async () => {
    // Prepare
    const w = world();
    await setTyping(w.deps, caller, 'c1', true);
    let releaseStop: () => void = () => undefined;
    w.deps.sleep = () => new Promise((resolve) => (releaseStop = resolve));
    w.at(200);
    const stop = setTyping(w.deps, caller, 'c1', false); // waits for the window's end
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    w.at(400);
    const typingAgain = await setTyping(w.deps, caller, 'c1', true);
    w.at(1000);
    releaseStop();

    // Assess
    expect(typingAgain).toEqual({ delivered: false });
    expect(await stop).toEqual({ delivered: false });
    expect(w.sent()).toEqual(['user:typing']);
    expect(w.memberships.rows.get('c1\u0000alice')).toMatchObject({ typingShown: true, typingWant: true });
  });

  it('lets the later state win when the writes of typing → stop land in the other order', async () => {
    // Prepare: the stop asked at +400 is recorded first, the typing asked at +200 arrives after it.
    const w = world();
    await setTyping(w.deps, caller, 'c1', true);
    w.at(1200);
    await setTyping(w.deps, caller, 'c1', true); // a broadcast at +1200 closes the window again
    w.at(1600);
    const stop = setTyping(w.deps, caller, 'c1', false);

    // Act
    w.at(1400);
    const late = await setTyping(w.deps, caller, 'c1', true);

    // Assess
    expect(late).toEqual({ delivered: false });
    expect(await stop).toEqual({ delivered: true });
    expect(w.sent()).toEqual(['user:typing', 'user:typing', 'user:stop-typing']);
  });

  it('lets the call recorded last win when two land in the same millisecond', async () => {
    // Prepare
    const w = world();
    await setTyping(w.deps, caller, 'c1', true);
    w.at(500);
    let releaseStop: () => void = () => undefined;
    w.deps.sleep = () => new Promise((resolve) => (releaseStop = resolve));
    const stop = setTyping(w.deps, caller, 'c1', false);
    await new Promise((resolve) => setImmediate(resolve));

    // Act: a typing asked in that same millisecond, recorded after the stop
    const typing = await setTyping(w.deps, caller, 'c1', true);
    w.at(1000);
    releaseStop();

    // Assess
    expect(typing).toEqual({ delivered: false });
    expect(await stop).toEqual({ delivered: false });
    expect(w.sent()).toEqual(['user:typing']);
  });

  it('waits again when another broadcast moved the window while it slept', async () => {
    // Prepare
    const w = world();
    await setTyping(w.deps, caller, 'c1', true);
    w.at(300);
    let first = true;
    const plainSleep = w.deps.sleep!;
    w.deps.sleep = async (ms) => {
      if (first) {
        first = false;
        // Meanwhile a broadcast happened (another Lambda, clock skew): it stamped typingAt at +1000 without a later want.
        w.memberships.rows.get('c1\u0000alice')!.typingAt = NOW + 1000;
      }
      await plainSleep(ms);
    };

    // Act
    const result = await setTyping(w.deps, caller, 'c1', false);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(w.sleeps).toEqual([700, 1000]);
    expect(w.broadcaster.toRoom.mock.calls.at(-1)?.[1]).toMatchObject({ event: 'user:stop-typing', ts: NOW + 2000 });
  });

  it('hides typing from users the sender blocked or who blocked the sender', async () => {
    // Prepare
    const members: RoomMember[] = [
      { connectionId: 'a', userId: 'alice', protocol: 'lettera.v1' },
      { connectionId: 'b', userId: 'bob', protocol: 'lettera.v1' },
      { connectionId: 'm', userId: 'mallory', protocol: 'lettera.v1' },
      { connectionId: 'c', userId: 'carol', protocol: 'lettera.v1' },
    ];
    const w = world({ blocks: [['alice', 'mallory'], ['carol', 'alice']], members });

    // Act
    await setTyping(w.deps, caller, 'c1', true);

    // Assess
    expect(w.broadcaster.toRoom).not.toHaveBeenCalled();
    expect(w.broadcaster.toMembers).toHaveBeenCalledWith([members[1]], expect.objectContaining({ event: 'user:typing' }));
  });

  it('refuses a chat the connection is not in (no room row), writing nothing', async () => {
    // Prepare
    const w = world();
    w.deps.rooms.has = async () => false;

    // Act + Assess
    await expect(setTyping(w.deps, caller, 'other', true)).rejects.toBeInstanceOf(ForbiddenError);
    expect(w.memberships.calls).toEqual([]);
    expect(w.sent()).toEqual([]);
  });

  it('refuses a participant removed meanwhile (membership row gone), for typing and stop alike', async () => {
    // Prepare
    const w = world();
    w.memberships.rows.clear();

    // Act + Assess
    await expect(setTyping(w.deps, caller, 'c1', true)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(setTyping(w.deps, caller, 'c1', false)).rejects.toBeInstanceOf(ForbiddenError);
    expect(w.memberships.rows.size).toBe(0);
  });

  it('over the DynamoDB stores: one conditional UpdateItem and the block Query for a delivered typing', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb.on(UpdateCommand).resolves({ Attributes: { ...aliceRow, typingAt: NOW } });
    ddb.on(QueryCommand).resolves({ Items: [] });
    const deps = dynamoDeps(broadcaster);

    // Act
    const result = await setTyping(deps, caller, 'c1', true);

    // Assess
    expect(result).toEqual({ delivered: true });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'alice' },
      ExpressionAttributeValues: { ':now': NOW, ':state': true, ':threshold': NOW - 1000, ':wantId': expect.any(String) },
    });
    expect(ddb).toReceiveCommandWith(QueryCommand, { TableName: 'Users', ExpressionAttributeValues: { ':userId': 'alice', ':prefix': 'block' } });
  });

  it('over the DynamoDB stores: a throttled repeat costs two UpdateItems and no broadcast', async () => {
    // Prepare
    const broadcaster = fakeBroadcaster();
    ddb.on(GetCommand).resolves({ Item: { room: 'chat:c1', connectionId: 'conn-1=' } });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall({ ...aliceRow, typingAt: NOW - 10, typingShown: true }) }))
      .resolves({ Attributes: { ...aliceRow, typingAt: NOW - 10, typingShown: true, typingWant: true, typingWantAt: NOW } });
    const deps = dynamoDeps(broadcaster);

    // Act
    const result = await setTyping(deps, caller, 'c1', true);

    // Assess
    expect(result).toEqual({ delivered: false });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
    expect(broadcaster.toRoom).not.toHaveBeenCalled();
  });
});
