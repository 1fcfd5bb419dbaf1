import { describe, expect, expectTypeOf, it } from 'vitest';
import { CALL_ACTIONS, CALL_EVENTS, MAX_SDP_BYTES, type CallActions, type CallServerEvents } from '../../../protocol';

describe('Constant: CALL_ACTIONS', () => {
  it('names every call action once, and CALL_EVENTS every call event', () => {
    // Assess
    expectTypeOf<(typeof CALL_ACTIONS)[number]>().toEqualTypeOf<keyof CallActions>();
    expectTypeOf<(typeof CALL_EVENTS)[number]>().toEqualTypeOf<keyof CallServerEvents>();
    expect(new Set(CALL_ACTIONS).size).toBe(CALL_ACTIONS.length);
    expect(new Set(CALL_EVENTS).size).toBe(CALL_EVENTS.length);
  });
});

describe('Constant: MAX_SDP_BYTES', () => {
  it('leaves a relayed offer of the largest SDP, escapes included, under API Gateway\'s 32 KB frame', () => {
    // Prepare: the worst case of an ASCII SDP is all line ends, "\r\n" written as 4 bytes for 2 characters.
    const sdp = '\r\n'.repeat((MAX_SDP_BYTES - 2) / 4);
    const envelope = {
      event: 'call:offer',
      data: { callId: 'x'.repeat(64), chatId: 'c'.repeat(64), userId: 'u'.repeat(128), sdp },
      id: 'i'.repeat(16),
      ts: Date.now(),
    };

    // Act
    const jsonFrame = Buffer.byteLength(JSON.stringify(envelope));
    const socketIoFrame = Buffer.byteLength(`42${JSON.stringify(['call:offer', envelope.data, 'i'.repeat(16)])}`);

    // Assess
    expect(Buffer.byteLength(JSON.stringify(sdp))).toBeLessThanOrEqual(MAX_SDP_BYTES);
    expect(jsonFrame).toBeLessThan(32 * 1024);
    expect(socketIoFrame).toBeLessThan(32 * 1024);
  });
});
