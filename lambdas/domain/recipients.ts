/**
 * Who of a room's members a broadcast goes to. Shared by every broadcaster
 * that lists a room itself (the posting one, the slicing one), so they can
 * never disagree about who hears an event.
 */
import type { EventEnvelope } from '../../protocol';
import type { BroadcastOptions, BroadcastResult, RoomBroadcaster, RoomMember, RoomStore } from './ports';

/**
 * The members an event goes to: every connection of the room except those
 * of `exceptUserId` (typing is never echoed to the sender's tabs), and,
 * for a chat event with a position, except connections already replayed up
 * to it (`afterSeq` at or past the event's `seq`).
 *
 * @example
 * const recipients = recipientsOf(await rooms.members(room), envelope, { exceptUserId: 'alice' });
 */
export function recipientsOf(members: readonly RoomMember[], envelope: EventEnvelope, options: BroadcastOptions = {}): RoomMember[] {
  const { exceptUserId } = options;
  const { seq } = envelope;
  return members.filter(
    (member) => member.userId !== exceptUserId && !(seq !== undefined && member.afterSeq !== undefined && seq <= member.afterSeq),
  );
}

/**
 * A room broadcast: the room as `rooms` lists it, its recipients, then one
 * post each through `broadcaster`. Every broadcaster's toRoom is this with
 * its own room store; the fan-out calls it with its batch's reads, so a
 * chat's messages in one stream batch list the room once.
 *
 * @example
 * await toRoomAsListed(broadcaster, batchReads.rooms, roomOf.chat('c1'), envelope);
 */
export async function toRoomAsListed(
  broadcaster: Pick<RoomBroadcaster, 'toMembers'>,
  rooms: Pick<RoomStore, 'members'>,
  room: string,
  envelope: EventEnvelope,
  options: BroadcastOptions = {},
): Promise<BroadcastResult> {
  return broadcaster.toMembers(recipientsOf(await rooms.members(room), envelope, options), envelope);
}
