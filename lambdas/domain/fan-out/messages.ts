/**
 * Messages stream → the chat event a change means. Pure: the caller
 * broadcasts the result to `chat:{chatId}`.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { EventEnvelope } from '../../../protocol';
import { roomOf } from '../../system/schema';
import { imageOf, isServiceChange, MalformedRecordError, optionalString, requireString, requireText, type Image } from './records';

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

export function messageNew(image: Image): RoomEvent {
  const messageId = requireString(image, 'messageId');
  const chatId = requireString(image, 'chatId');
  // Passed through as stored, so it equals the `timestamp` the sender's ack carried.
  const timestamp = requireString(image, 'createdAt');
  return {
    room: roomOf.chat(chatId),
    envelope: {
      event: 'message:new',
      data: { messageId, chatId, senderId: requireString(image, 'senderId'), content: requireText(image, 'content'), timestamp },
      // The message id doubles as the event id, so a redelivered record is deduplicated by clients.
      // A message published under the app's own id keeps its creation's change id apart: the
      // event id is the recovery offset, which must be a change id.
      id: optionalString(image, 'createdChangeId') ?? messageId,
      ts: changeTime(timestamp),
    },
  };
}

export function messageDeleted(image: Image, deletedAt: string): RoomEvent {
  const chatId = requireString(image, 'chatId');
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
      id: requireString(image, 'changeId'),
      ts: changeTime(deletedAt),
    },
  };
}

export function messageEdited(image: Image): RoomEvent {
  const chatId = requireString(image, 'chatId');
  const editedAt = requireString(image, 'editedAt');
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
      id: requireString(image, 'changeId'),
      ts: changeTime(editedAt),
    },
  };
}

/**
 * The event a Messages stream record means, or undefined when it means
 * nothing to clients:
 *
 * - INSERT of a message → `message:new` (event id = messageId);
 * - MODIFY setting `deletedAt` → `message:deleted` (event id = changeId);
 * - MODIFY changing `content` or `editedAt` → `message:edited` (event id = changeId);
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
