/**
 * Memberships stream → the chat's room hears of every change:
 * `chat:member-added` (after the new participant's connections joined, so
 * they hear it too; not for the rows a chat is created with),
 * `chat:member-removed` (the participant's own connections hear it too),
 * `chat:role-changed`. And it is the backstop of the room joins the chat
 * service makes before answering (room-joins.ts): the same joins and
 * leaves again, idempotent, which catch a connection opened meanwhile.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomId } from '../../commons/ids';
import type { ChatRole, EventEnvelope } from '../../../protocol';
import { roomOf } from '../../system/schema';
import { roomRowOf } from '../connections';
import type { BroadcastResult, RoomBroadcaster } from '../ports';
import { joinChatRoom, leaveChatRoom, openConnectionsOf, type RoomJoinDeps } from '../room-joins';
import { imageOf, isServiceChange, MalformedRecordError, optionalString, requireString, type Image } from './records';

export interface MembershipFanOutDeps extends RoomJoinDeps {
  broadcaster: RoomBroadcaster;
}

/**
 * What a membership change does: to the user's live connections (join,
 * leave) and what the chat's room hears (`announce`: false for the rows a
 * chat is created with, which every participant learns from the chat itself).
 */
export type MembershipChange =
  | { kind: 'join'; chatId: string; userId: string; role: ChatRole; addedBy: string; announce: boolean }
  | { kind: 'leave'; chatId: string; userId: string }
  | { kind: 'role'; chatId: string; userId: string; role: ChatRole };

/** The role a row carries; rows from before roles existed count as owners (see chats.ts). */
const roleIn = (image: Image): ChatRole => (optionalString(image, 'role') === 'member' ? 'member' : 'owner');

/**
 * The change a Memberships record means: INSERT joins, REMOVE leaves, a
 * MODIFY that changes the role is a role change; other MODIFYs
 * (typing-throttle and flood-limit updates) mean nothing.
 */
export function membershipChangeOf(record: DynamoDBRecord): MembershipChange | undefined {
  if (isServiceChange(record)) return undefined;
  if (record.eventName === 'INSERT' || record.eventName === 'REMOVE') {
    const image = imageOf(record.eventName === 'INSERT' ? record.dynamodb?.NewImage : record.dynamodb?.OldImage) ?? imageOf(record.dynamodb?.Keys);
    if (image === undefined) throw new MalformedRecordError(`${record.eventName} membership record without image or keys`);
    const chatId = requireString(image, 'chatId');
    const userId = requireString(image, 'userId');
    if (record.eventName === 'REMOVE') return { kind: 'leave', chatId, userId };
    return { kind: 'join', chatId, userId, role: roleIn(image), addedBy: optionalString(image, 'addedBy') ?? userId, announce: image.addedWithChat !== true };
  }
  if (record.eventName === 'MODIFY') {
    const before = imageOf(record.dynamodb?.OldImage);
    const after = imageOf(record.dynamodb?.NewImage);
    if (before === undefined || after === undefined || roleIn(before) === roleIn(after)) return undefined;
    return { kind: 'role', chatId: requireString(after, 'chatId'), userId: requireString(after, 'userId'), role: roleIn(after) };
  }
  return undefined;
}

/** The event the chat's room hears for a change, if any. */
function announcementOf(change: MembershipChange, ts: number): EventEnvelope | undefined {
  const base = { id: randomId(), ts };
  switch (change.kind) {
    case 'join':
      if (!change.announce) return undefined;
      return { ...base, event: 'chat:member-added', data: { chatId: change.chatId, userId: change.userId, role: change.role, addedBy: change.addedBy } };
    case 'leave':
      return { ...base, event: 'chat:member-removed', data: { chatId: change.chatId, userId: change.userId } };
    case 'role':
      return { ...base, event: 'chat:role-changed', data: { chatId: change.chatId, userId: change.userId, role: change.role } };
  }
}

/** Adds up the broadcasts of one step (undefined: none was made). */
function sumOf(results: readonly (BroadcastResult | undefined)[]): BroadcastResult | undefined {
  const made = results.filter((result): result is BroadcastResult => result !== undefined);
  if (made.length === 0) return undefined;
  const sum: BroadcastResult = { recipients: 0, delivered: 0, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
  for (const result of made) for (const key of Object.keys(sum) as (keyof BroadcastResult)[]) sum[key] += result[key] ?? 0;
  return sum;
}

/**
 * Applies membership changes of one kind in one chat, in stream order, as
 * one step (consecutive records of a stream batch; see stream-batch.ts),
 * and tells the chat's room:
 * - joins: every open connection of the users joins the room
 *   (room-joins.ts: concurrent lookups, batched writes), then each added
 *   participant is announced (`chat:member-added`), so they hear it too;
 * - leaves: each removal is announced (`chat:member-removed`) to the room,
 *   and to the leaver's own connections directly (the HTTP API has usually
 *   taken them out of the room already), then they leave the room;
 * - role changes are announced (`chat:role-changed`).
 * The room changes are idempotent (the HTTP API has usually made them
 * before answering); a redelivered record announces again (clients apply
 * these events idempotently).
 */
export async function applyMembershipChanges(deps: MembershipFanOutDeps, changes: readonly MembershipChange[], ts = Date.now()): Promise<BroadcastResult | undefined> {
  const first = changes[0];
  if (first === undefined) return undefined;
  if (changes.some((change) => change.kind !== first.kind || change.chatId !== first.chatId)) {
    throw new Error('applyMembershipChanges: one kind of change in one chat at a time');
  }
  const room = roomOf.chat(first.chatId);
  const userIds = changes.map((change) => change.userId);
  const results: (BroadcastResult | undefined)[] = [];

  switch (first.kind) {
    case 'role':
      for (const change of changes) {
        const announcement = announcementOf(change, ts);
        if (announcement !== undefined) results.push(await deps.broadcaster.toRoom(room, announcement));
      }
      return sumOf(results);
    case 'join':
      await joinChatRoom(deps, first.chatId, userIds);
      for (const change of changes) {
        const announcement = announcementOf(change, ts);
        if (announcement !== undefined) results.push(await deps.broadcaster.toRoom(room, announcement));
      }
      return sumOf(results);
    case 'leave': {
      const leaving = await openConnectionsOf(deps, userIds);
      for (const change of changes) {
        const announcement = announcementOf(change, ts);
        if (announcement === undefined) continue;
        // One event (one id) for both: the room without the leaver, and the leaver's own connections.
        results.push(await deps.broadcaster.toRoom(room, announcement, { exceptUserId: change.userId }));
        const own = leaving.filter((row) => row.userId === change.userId).map((row) => roomRowOf(row, room));
        if (own.length > 0) results.push(await deps.broadcaster.toMembers(own, announcement));
      }
      await leaveChatRoom(deps, first.chatId, userIds, leaving);
      return sumOf(results);
    }
  }
}

/** The time a record's change happened (its ApproximateCreationDateTime), else now. */
export function changeTimeOf(record: DynamoDBRecord): number {
  const approximate = record.dynamodb?.ApproximateCreationDateTime;
  return approximate === undefined ? Date.now() : approximate * 1000;
}

/** Applies one Memberships record (see applyMembershipChanges); nothing for a record that changes nothing. */
export async function fanOutMembership(deps: MembershipFanOutDeps, record: DynamoDBRecord): Promise<BroadcastResult | undefined> {
  const change = membershipChangeOf(record);
  return change === undefined ? undefined : applyMembershipChanges(deps, [change], changeTimeOf(record));
}
