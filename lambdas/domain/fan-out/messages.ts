/**
 * Messages stream → the chat event a change means. Pure: the caller
 * broadcasts the result to `chat:{chatId}`.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { messageEventId, type EventEnvelope } from '../../../protocol';
import { roomOf } from '../../system/schema';
import { imageOf, isServiceChange, MalformedRecordError, optionalString, requirePosition, requireString, requireText, type Image } from './records';

/** What to send, and to which room. */
export interface RoomEvent {
  room: string;
  envelope: EventEnvelope;
}

/** Rows of the Messages table that are messages; idempotency markers share the table. */
const MESSAGE_KIND = 'message';

function changeTime(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new MalformedRecordError(`not an ISO time: ${JSON.stringify(iso)}`);
  return ms;
}

/**
 * `message:new` of a message row, at position `seq` (its create's, the
 * row's `createdSeq`, unless told otherwise): the event id is
 * `{chatId}:{seq}`, so a redelivered record is de-duplicated by clients.
 */
export function messageNew(image: Image, seq: number = requirePosition(image, 'createdSeq')): RoomEvent {
  const messageId = requireString(image, 'messageId');
  const chatId = requireString(image, 'chatId');
  // Passed through as stored, so it equals the `timestamp` the sender's ack carried.
  const timestamp = requireString(image, 'createdAt');
  return {
    room: roomOf.chat(chatId),
    envelope: {
      event: 'message:new',
      data: { messageId, chatId, senderId: requireString(image, 'senderId'), content: requireText(image, 'content'), timestamp },
      id: messageEventId(chatId, seq),
      ts: changeTime(timestamp),
      seq,
    },
  };
}

/** `message:deleted` of a deleted message row, at the row's `seq` (its latest write). */
export function messageDeleted(image: Image, deletedAt: string): RoomEvent {
  const chatId = requireString(image, 'chatId');
  const seq = requirePosition(image, 'seq');
  return {
    room: roomOf.chat(chatId),
    envelope: {
      event: 'message:deleted',
      data: {
        messageId: requireString(image, 'messageId'),
        chatId,
        // Only the sender may delete today; fall back to it for rows written before deletedBy existed.
        deletedBy: optionalString(image, 'deletedBy') ?? requireString(image, 'senderId'),
        deletedAt,
      },
      id: messageEventId(chatId, seq),
      ts: changeTime(deletedAt),
      seq,
    },
  };
}

/** `message:edited` of an edited message row, at the row's `seq` (its latest write). */
export function messageEdited(image: Image): RoomEvent {
  const chatId = requireString(image, 'chatId');
  const editedAt = requireString(image, 'editedAt');
  const seq = requirePosition(image, 'seq');
  return {
    room: roomOf.chat(chatId),
    envelope: {
      event: 'message:edited',
      data: {
        messageId: requireString(image, 'messageId'),
        chatId,
        senderId: requireString(image, 'senderId'),
        content: requireText(image, 'content'),
        editedAt,
      },
      id: messageEventId(chatId, seq),
      ts: changeTime(editedAt),
      seq,
    },
  };
}

/**
 * The event a Messages stream record means, or undefined when it means
 * nothing to clients:
 *
 * - INSERT of a message → `message:new`;
 * - MODIFY setting `deletedAt` → `message:deleted`;
 * - MODIFY changing `content` or `editedAt` → `message:edited`;
 * each with `seq` = the write's chat position and id `{chatId}:{seq}`;
 * - idempotency markers, REMOVEs (TTL expiry of markers; messages are soft
 *   deleted), changes to an already deleted message and changes no client
 *   can see → undefined.
 *
 * Throws MalformedRecordError when a message image lacks what its event needs.
 *
 * @example
 * const event = messageEventOf(record);
 * if (event) await broadcaster.toRoom(event.room, event.envelope);
 */
export function messageEventOf(record: DynamoDBRecord): RoomEvent | undefined {
  if (record.eventName === 'REMOVE' || isServiceChange(record)) return undefined;
  const newImage = imageOf(record.dynamodb?.NewImage);
  if (newImage === undefined) throw new MalformedRecordError(`${String(record.eventName)} record without NewImage`);
  if (newImage.kind !== MESSAGE_KIND) return undefined;

  if (record.eventName === 'INSERT') return messageNew(newImage);
  if (record.eventName !== 'MODIFY') throw new MalformedRecordError(`unknown eventName ${String(record.eventName)}`);

  const oldImage = imageOf(record.dynamodb?.OldImage);
  if (oldImage === undefined) throw new MalformedRecordError('MODIFY record without OldImage (stream must be NEW_AND_OLD_IMAGES)');
  if (optionalString(oldImage, 'deletedAt') !== undefined) return undefined;

  const deletedAt = optionalString(newImage, 'deletedAt');
  if (deletedAt !== undefined) return messageDeleted(newImage, deletedAt);
  if (newImage.content !== oldImage.content || newImage.editedAt !== oldImage.editedAt) return messageEdited(newImage);
  return undefined;
}
