/**
 * Messages stream → `message:read`: a reader's read marker (kind 'read',
 * written at most once a second per reader per chat, see domain/reads.ts)
 * becomes the event for the chat's other users.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { randomId } from '../../commons/ids';
import type { EventEnvelope } from '../../../protocol';
import { roomOf } from '../../system/schema';
import { imageOf, isServiceChange, MalformedRecordError, requirePosition, requireString } from './records';

/** The event a read marker's record means, with its reader (who does not hear it). */
export interface ReadEvent {
  room: string;
  readerId: string;
  envelope: EventEnvelope<'message:read'>;
}

/** Rows of the Messages table that are read markers. */
const READ_KIND = 'read';

/**
 * The `message:read` a Messages record means: an INSERT or MODIFY of a
 * read marker; undefined for anything else (messages, idempotency markers,
 * TTL removals). The event id is the stream record's id, so a redelivered
 * record is de-duplicated by clients like any event.
 *
 * @example
 * const read = readEventOf(record);
 * if (read) await toOthersInRoom(deps, read.readerId, read.room, read.envelope);
 */
export function readEventOf(record: DynamoDBRecord): ReadEvent | undefined {
  if (record.eventName === 'REMOVE' || isServiceChange(record)) return undefined;
  const image = imageOf(record.dynamodb?.NewImage);
  if (image?.kind !== READ_KIND) return undefined;
  const chatId = requireString(image, 'chatId');
  const userId = requireString(image, 'userId');
  const readAt = requireString(image, 'readAt');
  const ts = Date.parse(readAt);
  if (Number.isNaN(ts)) throw new MalformedRecordError(`not an ISO time: ${JSON.stringify(readAt)}`);
  return {
    room: roomOf.chat(chatId),
    readerId: userId,
    envelope: {
      event: 'message:read',
      data: { chatId, userId, messageId: requireString(image, 'readMessageId'), seq: requirePosition(image, 'readSeq'), readAt },
      id: record.eventID ?? randomId(),
      ts,
    },
  };
}
