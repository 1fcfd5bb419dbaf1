/**
 * Volatile events about one user (typing, reads) go to the other users of a
 * chat's room: never back to the user's own connections, and never to a
 * user who blocked them or whom they blocked.
 */
import type { EventEnvelope } from '../../protocol';
import type { BroadcastResult, RoomBroadcaster, RoomStore, UserStore } from './ports';

export interface RoomOthersDeps {
  rooms: Pick<RoomStore, 'members'>;
  users: Pick<UserStore, 'relationsOf'>;
  broadcaster: RoomBroadcaster;
}

/**
 * Sends `envelope` to every connection of `room` except those of `userId`
 * and of the users in a block relation with them. Costs one Query of the
 * user's block rows (usually empty: then the broadcaster reads the room as
 * for any broadcast); with blocks, the room is read here and filtered.
 *
 * @example
 * await toOthersInRoom(deps, 'alice', 'chat:c1', envelope);
 */
export async function toOthersInRoom(deps: RoomOthersDeps, userId: string, room: string, envelope: EventEnvelope): Promise<BroadcastResult> {
  const hidden = await deps.users.relationsOf(userId);
  if (hidden.size === 0) return deps.broadcaster.toRoom(room, envelope, { exceptUserId: userId });
  // Rare (the user blocked someone or was blocked): read the room here and leave those users out.
  const members = await deps.rooms.members(room);
  return deps.broadcaster.toMembers(members.filter((m) => m.userId !== userId && !hidden.has(m.userId)), envelope);
}
