import { describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../../../protocol';
import type { BroadcastResult, RoomMember } from '../../../../lambdas/domain/ports';
import { recipientsOf, toRoomAsListed } from '../../../../lambdas/domain/recipients';

const room: RoomMember[] = [
  { connectionId: 'a1', userId: 'alice', protocol: 'lettera.v1' },
  { connectionId: 'b1', userId: 'bob', protocol: 'lettera.v1' },
  { connectionId: 'b2', userId: 'bob', protocol: 'socket.io', afterSeq: 5 },
  { connectionId: 'c1', userId: 'carol', protocol: 'socket.io', afterSeq: 4 },
];

function event(seq?: number): EventEnvelope {
  return { event: 'message:new', data: {}, id: 'e', ts: 1, ...(seq !== undefined && { seq }) } as EventEnvelope;
}

describe('Function: recipientsOf', () => {
  it('leaves out every connection of the excepted user', () => {
    // Act
    const recipients = recipientsOf(room, event(), { exceptUserId: 'bob' });

    // Assess
    expect(recipients.map((m) => m.connectionId)).toEqual(['a1', 'c1']);
  });

  it('leaves out connections replayed up to or past the event\'s position', () => {
    // Act
    const recipients = recipientsOf(room, event(5));

    // Assess
    expect(recipients.map((m) => m.connectionId)).toEqual(['a1', 'b1', 'c1']);
  });

  it('keeps everyone for an event without a position', () => {
    // Act / Assess
    expect(recipientsOf(room, event())).toEqual(room);
  });
});

describe('Function: toRoomAsListed', () => {
  it('lists the room through the given store and posts the event to its recipients only', async () => {
    // Prepare
    const rooms = { members: vi.fn(async () => room) };
    const result: BroadcastResult = { recipients: 2, delivered: 2, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
    const broadcaster = { toMembers: vi.fn(async () => result) };

    // Act
    const answered = await toRoomAsListed(broadcaster, rooms, 'chat:c1', event(5), { exceptUserId: 'alice' });

    // Assess
    expect(rooms.members).toHaveBeenCalledWith('chat:c1');
    expect(broadcaster.toMembers).toHaveBeenCalledWith([room[1], room[3]], event(5));
    expect(answered).toBe(result);
  });
});
