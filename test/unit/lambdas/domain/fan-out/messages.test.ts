/**
 * The end-to-end Messages stream cases (new, edited, deleted, markers, TTL
 * deletes, poison records in a batch) are in domain/fan-out.test.ts; this
 * file pins what messageEventOf itself decides on edge cases.
 */
import { describe, expect, it } from 'vitest';
import { messageEventOf } from '../../../../../lambdas/domain/fan-out/messages';
import { MalformedRecordError } from '../../../../../lambdas/domain/fan-out/records';
import { createStreamRecord } from '../../../../helpers/stream-records';

const keys = { chatId: 'c1', messageId: '01JH0000000000000000000001' };
const stored = {
  ...keys,
  kind: 'message',
  senderId: 'alice',
  content: 'hello',
  createdAt: '2026-11-27T00:00:00.000Z',
  changeId: keys.messageId,
};

describe('Function: messageEventOf', () => {
  it('turns an INSERT into message:new for chat:{chatId}, with the message id as event id', () => {
    // Prepare
    const record = createStreamRecord('INSERT', { keys, newImage: stored });

    // Act
    const event = messageEventOf(record);

    // Assess
    expect(event).toEqual({
      room: 'chat:c1',
      envelope: {
        event: 'message:new',
        data: { messageId: keys.messageId, chatId: 'c1', senderId: 'alice', content: 'hello', timestamp: '2026-11-27T00:00:00.000Z' },
        id: keys.messageId,
        ts: Date.parse('2026-11-27T00:00:00.000Z'),
      },
    });
  });

  it('uses the creation change id as event id (the recovery offset) for a message published under the app’s own id', () => {
    // Prepare
    const published = { ...stored, messageId: '65f1c0ffee0123456789abcd', changeId: '01JH0000000000000000000009', createdChangeId: '01JH0000000000000000000009' };
    const record = createStreamRecord('INSERT', { keys: { chatId: 'c1', messageId: published.messageId }, newImage: published });

    // Act
    const event = messageEventOf(record);

    // Assess
    expect(event?.envelope).toMatchObject({ event: 'message:new', id: '01JH0000000000000000000009', data: { messageId: '65f1c0ffee0123456789abcd' } });
  });

  it('passes createdAt through as stored, so it equals the timestamp of the sender\'s ack', () => {
    // Prepare
    const record = createStreamRecord('INSERT', { keys, newImage: { ...stored, createdAt: '2026-11-27T01:00:00+01:00' } });

    // Act
    const event = messageEventOf(record);

    // Assess
    expect(event?.envelope.data).toMatchObject({ timestamp: '2026-11-27T01:00:00+01:00' });
    expect(event?.envelope.ts).toBe(Date.parse('2026-11-27T00:00:00.000Z'));
  });

  it('names the sender as deleter for rows written before deletedBy existed', () => {
    // Prepare
    const deleted = { ...stored, content: '', deletedAt: '2026-11-27T00:05:00.000Z', changeId: 'ch-2' };
    const record = createStreamRecord('MODIFY', { keys, oldImage: stored, newImage: deleted });

    // Act
    const event = messageEventOf(record);

    // Assess
    expect(event?.envelope).toMatchObject({ event: 'message:deleted', data: { deletedBy: 'alice' }, id: 'ch-2' });
  });

  it('sends message:edited when only editedAt changes', () => {
    // Prepare
    const record = createStreamRecord('MODIFY', {
      keys,
      oldImage: stored,
      newImage: { ...stored, editedAt: '2026-11-27T00:01:00.000Z', changeId: 'ch-1' },
    });

    // Act
    const event = messageEventOf(record);

    // Assess
    expect(event?.envelope).toMatchObject({ event: 'message:edited', id: 'ch-1', data: { content: 'hello' } });
  });

  it('ignores the REMOVE of a message row (messages are soft deleted)', () => {
    // Prepare
    const record = createStreamRecord('REMOVE', { keys, oldImage: stored });

    // Act + Assess
    expect(messageEventOf(record)).toBeUndefined();
  });

  it('ignores a row of another kind even when it changes', () => {
    // Prepare
    const marker = { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency', target: keys.messageId };
    const record = createStreamRecord('MODIFY', { oldImage: marker, newImage: { ...marker, target: 'other' } });

    // Act + Assess
    expect(messageEventOf(record)).toBeUndefined();
  });

  it.each([
    ['an INSERT without NewImage', createStreamRecord('INSERT', { keys }), 'INSERT record without NewImage'],
    ['a MODIFY without OldImage', createStreamRecord('MODIFY', { keys, newImage: stored }), 'MODIFY record without OldImage'],
    ['a message without senderId', createStreamRecord('INSERT', { keys, newImage: { ...stored, senderId: undefined } }), 'attribute senderId'],
    ['a message whose createdAt is not a time', createStreamRecord('INSERT', { keys, newImage: { ...stored, createdAt: 'soon' } }), 'not an ISO time: "soon"'],
    ['a message whose content is not a string', createStreamRecord('INSERT', { keys, newImage: { ...stored, content: 1 } }), 'attribute content'],
    [
      'an edit whose editedAt is missing',
      createStreamRecord('MODIFY', { keys, oldImage: stored, newImage: { ...stored, content: 'v2', changeId: 'ch-3' } }),
      'attribute editedAt',
    ],
    [
      'a delete without changeId',
      createStreamRecord('MODIFY', { keys, oldImage: stored, newImage: { ...stored, deletedAt: '2026-11-27T00:05:00.000Z', changeId: undefined } }),
      'attribute changeId',
    ],
  ])('throws MalformedRecordError for %s', (_label, record, message) => {
    // Act + Assess
    expect(() => messageEventOf(record)).toThrow(MalformedRecordError);
    expect(() => messageEventOf(record)).toThrow(message);
  });

  it('throws MalformedRecordError for an unknown eventName', () => {
    // Prepare
    const record = { ...createStreamRecord('INSERT', { keys, newImage: stored }), eventName: 'UPSERT' as 'INSERT' };

    // Act + Assess
    expect(() => messageEventOf(record)).toThrow(new MalformedRecordError('unknown eventName UPSERT'));
  });
});
