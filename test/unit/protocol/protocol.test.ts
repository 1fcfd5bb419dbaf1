import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  JSON_SUBPROTOCOL,
  MAX_CONTENT_LENGTH,
  TYPING_EXPIRES_IN_MS,
  TYPING_THROTTLE_MS,
  messageEventId,
  positionOfEventId,
  type ClientActionName,
  type EventEnvelope,
  type ServerEventName,
} from '../../../protocol';
import { API_GATEWAY_FRAME_LIMIT_BYTES } from '../../../lambdas/system/heartbeat';

describe('Constant: MAX_CONTENT_LENGTH', () => {
  it('keeps the largest message:new frame under the 32 KB frame limit even when every character is JSON-escaped', () => {
    // Prepare: \u0001 is escaped as six bytes, the worst case for one UTF-16 unit.
    const envelope: EventEnvelope<'message:new'> = {
      event: 'message:new',
      data: {
        messageId: '01JH0000000000000000000001',
        chatId: 'c'.repeat(64),
        senderId: 's'.repeat(128),
        content: '\u0001'.repeat(MAX_CONTENT_LENGTH),
        timestamp: '2026-11-27T00:00:00.000Z',
      },
      id: `${'c'.repeat(64)}:999999999999999`,
      ts: 1_764_201_600_000,
      seq: 999_999_999_999_999,
    };

    // Act
    const bytes = Buffer.byteLength(JSON.stringify(envelope), 'utf8');

    // Assess
    expect(bytes).toBeLessThan(API_GATEWAY_FRAME_LIMIT_BYTES);
  });
});

describe('Constant: typing timings', () => {
  it('throttles typing broadcasts more often than a receiver lets an indicator expire', () => {
    // Assess
    expect(TYPING_THROTTLE_MS).toBeLessThan(TYPING_EXPIRES_IN_MS);
  });
});

describe('Constant: JSON_SUBPROTOCOL', () => {
  it('is a versioned token (valid as a Sec-WebSocket-Protocol value)', () => {
    // Assess
    expect(JSON_SUBPROTOCOL).toBe('lettera.v1');
    expect(JSON_SUBPROTOCOL).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
  });
});

describe('Type: EventEnvelope', () => {
  it('ties each event name to its data shape', () => {
    // Assess
    expectTypeOf<EventEnvelope<'user:online'>['data']>().toEqualTypeOf<{ userId: string; at: string; state: 'online' | 'away' | 'busy'; text?: string }>();
    expectTypeOf<EventEnvelope<'user:offline'>['data']>().toEqualTypeOf<{ userId: string; at: string; lastSeenAt: string }>();
    expectTypeOf<EventEnvelope<'message:deleted'>['data']>().toHaveProperty('deletedBy');
    expectTypeOf<'message:send'>().toExtend<ClientActionName>();
    expectTypeOf<'message:send'>().not.toExtend<ServerEventName>();
    const envelope: EventEnvelope<'user:typing'> = {
      event: 'user:typing',
      data: { chatId: 'c1', userId: 'alice', isTyping: true, expiresInMs: TYPING_EXPIRES_IN_MS },
      id: 'x',
      ts: 0,
    };
    expect(envelope.data.expiresInMs).toBe(TYPING_EXPIRES_IN_MS);
  });
});

describe('Function: messageEventId', () => {
  it('names a message event by its chat and position, and reads it back', () => {
    // Act
    const id = messageEventId('team-1', 42);

    // Assess
    expect(id).toBe('team-1:42');
    expect(positionOfEventId(id)).toEqual({ chatId: 'team-1', seq: 42 });
  });

  it.each([
    ['a ULID (the former change id)', '01JH0000000000000000000001'],
    ['no chat', ':4'],
    ['no position', 'c1:'],
    ['a position that is not an integer', 'c1:4.5'],
    ['a negative position', 'c1:-4'],
  ])('reads no position from %s', (_name, id) => {
    // Act + Assess
    expect(positionOfEventId(id)).toBeUndefined();
  });
});
