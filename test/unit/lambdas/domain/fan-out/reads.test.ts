import { describe, expect, it } from 'vitest';
import { readEventOf } from '../../../../../lambdas/domain/fan-out/reads';
import { MalformedRecordError } from '../../../../../lambdas/domain/fan-out/records';
import { createStreamRecord } from '../../../../helpers/stream-records';

const keys = { chatId: 'c1', messageId: 'read#bob' };
const marker = {
  ...keys,
  kind: 'read',
  userId: 'bob',
  readMessageId: '01JH3Q7Z8W9X0YZABCDEFGHJKM',
  readSeq: 7,
  readAt: '2026-11-29T10:00:00.000Z',
  shownAt: 1_764_410_400_000,
};

describe('Function: readEventOf', () => {
  it('turns a read marker written into message:read for the chat room, naming its reader, with the record\'s id', () => {
    // Prepare
    const record = { ...createStreamRecord('MODIFY', { keys, newImage: marker, oldImage: { ...marker, readSeq: 5 } }), eventID: 'ev-1' };

    // Act
    const event = readEventOf(record);

    // Assess
    expect(event).toEqual({
      room: 'chat:c1',
      readerId: 'bob',
      envelope: {
        event: 'message:read',
        data: { chatId: 'c1', userId: 'bob', messageId: '01JH3Q7Z8W9X0YZABCDEFGHJKM', seq: 7, readAt: '2026-11-29T10:00:00.000Z' },
        id: 'ev-1',
        ts: Date.parse('2026-11-29T10:00:00.000Z'),
      },
    });
    expect(event?.envelope).not.toHaveProperty('seq'); // Not a message event: no chat position, no recovery offset.
  });

  it('says nothing for messages, idempotency markers and removals (TTL) of read markers', () => {
    // Act + Assess
    expect(readEventOf(createStreamRecord('INSERT', { keys: { chatId: 'c1', messageId: 'm1' }, newImage: { chatId: 'c1', messageId: 'm1', kind: 'message' } }))).toBeUndefined();
    expect(readEventOf(createStreamRecord('INSERT', { keys, newImage: { ...keys, kind: 'idempotency' } }))).toBeUndefined();
    expect(readEventOf(createStreamRecord('REMOVE', { keys, oldImage: marker }))).toBeUndefined();
  });

  it('throws MalformedRecordError for a read marker without its position or time', () => {
    // Prepare
    const { readSeq: _seq, ...noSeq } = marker;

    // Act + Assess
    expect(() => readEventOf(createStreamRecord('INSERT', { keys, newImage: noSeq }))).toThrow(MalformedRecordError);
    expect(() => readEventOf(createStreamRecord('INSERT', { keys, newImage: { ...marker, readAt: 'yesterday' } }))).toThrow(MalformedRecordError);
  });
});
