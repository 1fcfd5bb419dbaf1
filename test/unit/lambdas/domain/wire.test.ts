import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../../../protocol';
import { createFrameCache, encodeEnvelope } from '../../../../lambdas/domain/wire';

const envelope: EventEnvelope<'message:new'> = {
  event: 'message:new',
  data: { messageId: 'm1', chatId: 'c1', senderId: 'alice', content: 'héllo "quoted"', timestamp: '2026-11-27T00:00:00.000Z' },
  id: 'm1',
  ts: 1_764_201_600_000,
};

describe('Function: encodeEnvelope', () => {
  it('sends the JSON envelope itself on lettera.v1', () => {
    // Act
    const frame = encodeEnvelope('lettera.v1', envelope);

    // Assess
    expect(JSON.parse(frame)).toEqual(envelope);
  });

  it('sends a Socket.IO EVENT packet on socket.io, with the envelope id as recovery offset for message events', () => {
    // Act
    const frame = encodeEnvelope('socket.io', envelope);

    // Assess
    expect(frame.startsWith('42[')).toBe(true);
    expect(JSON.parse(frame.slice(2))).toEqual(['message:new', envelope.data, 'm1']);
  });

  it.each(['user:typing', 'user:online'] as const)('adds no offset to the volatile %s event', (event) => {
    // Prepare
    const volatile = { event, data: { userId: 'u1' }, id: 'random', ts: 1 } as unknown as EventEnvelope;

    // Act
    const frame = encodeEnvelope('socket.io', volatile);

    // Assess
    expect(JSON.parse(frame.slice(2))).toEqual([event, { userId: 'u1' }]);
  });
});

describe('Function: createFrameCache', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('encodes once per protocol and hands out the same bytes', () => {
    // Prepare
    const stringify = vi.spyOn(JSON, 'stringify');
    const frames = createFrameCache(envelope);

    // Act
    const first = Array.from({ length: 50 }, () => frames.get('lettera.v1'));
    const second = Array.from({ length: 50 }, () => frames.get('socket.io'));

    // Assess
    expect(stringify).toHaveBeenCalledTimes(2);
    expect(new Set(first).size).toBe(1);
    expect(new Set(second).size).toBe(1);
    expect(Buffer.from(first[0]!).toString('utf8')).toBe(encodeEnvelope('lettera.v1', envelope));
    expect(Buffer.from(second[0]!).toString('utf8')).toBe(encodeEnvelope('socket.io', envelope));
  });
});
