/**
 * Users stream → `user:blocked` / `user:unblocked` for the blocker's own
 * connections (room `user:{blocker}`), so every tab of theirs hides (or
 * shows again) the other user at once. The blocked user hears nothing.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomId } from '../../commons/ids';
import type { EventEnvelope } from '../../../protocol';
import { roomOf, userItem } from '../../system/schema';
import { imageOf, MalformedRecordError, requireString, toIsoTime } from './records';
import type { RoomEvent } from './messages';

/**
 * The event a Users record means: a `block#` row inserted (blocked) or
 * removed (unblocked); anything else (counters, the blocked user's
 * `blockedBy#` row) means nothing.
 */
export function blockEventOf(record: DynamoDBRecord): RoomEvent | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'REMOVE') return undefined;
  const keys = imageOf(record.dynamodb?.Keys);
  if (keys === undefined) throw new MalformedRecordError('users record without keys');
  const sk = requireString(keys, 'sk');
  if (!sk.startsWith(userItem.blockPrefix)) return undefined;
  const blockerId = requireString(keys, 'userId');
  const approximate = record.dynamodb?.ApproximateCreationDateTime;
  const at = toIsoTime(approximate === undefined ? Date.now() : approximate * 1000) ?? new Date().toISOString();
  const envelope: EventEnvelope = {
    event: record.eventName === 'INSERT' ? 'user:blocked' : 'user:unblocked',
    data: { userId: sk.slice(userItem.blockPrefix.length), at },
    id: randomId(),
    ts: Date.parse(at),
  };
  return { room: roomOf.user(blockerId), envelope };
}
