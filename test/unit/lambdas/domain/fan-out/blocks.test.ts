import { describe, expect, it } from 'vitest';
import { blockEventOf } from '../../../../../lambdas/domain/fan-out/blocks';
import { MalformedRecordError } from '../../../../../lambdas/domain/fan-out/records';
import { createStreamRecord } from '../../../../helpers/stream-records';

describe('Function: blockEventOf', () => {
  it('turns a block row inserted into user:blocked for the blocker\'s own room', () => {
    // Prepare
    const keys = { userId: 'alice', sk: 'block#mallory' };

    // Act
    const event = blockEventOf(createStreamRecord('INSERT', { keys, newImage: { ...keys, blockedAt: '2026-11-29T10:00:00.000Z' } }));

    // Assess
    expect(event).toEqual({
      room: 'user:alice',
      envelope: { event: 'user:blocked', data: { userId: 'mallory', at: expect.any(String) }, id: expect.any(String), ts: expect.any(Number) },
    });
  });

  it('turns a block row removed into user:unblocked', () => {
    // Act
    const event = blockEventOf(createStreamRecord('REMOVE', { keys: { userId: 'alice', sk: 'block#mallory' } }));

    // Assess
    expect(event?.room).toBe('user:alice');
    expect(event?.envelope).toMatchObject({ event: 'user:unblocked', data: { userId: 'mallory' } });
  });

  it('says nothing for the blocked user\'s row, counters, or a MODIFY', () => {
    // Act + Assess
    expect(blockEventOf(createStreamRecord('INSERT', { keys: { userId: 'mallory', sk: 'blockedBy#alice' } }))).toBeUndefined();
    expect(blockEventOf(createStreamRecord('INSERT', { keys: { userId: 'alice', sk: 'counters' } }))).toBeUndefined();
    expect(blockEventOf(createStreamRecord('MODIFY', { keys: { userId: 'alice', sk: 'block#mallory' } }))).toBeUndefined();
  });

  it('throws MalformedRecordError for a record without keys', () => {
    // Act + Assess
    expect(() => blockEventOf(createStreamRecord('INSERT'))).toThrow(MalformedRecordError);
  });
});
