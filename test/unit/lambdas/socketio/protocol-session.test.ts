import { Decoder } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '../../../../lambdas/commons/errors';
import type { ClientActionName } from '../../../../protocol';
import {
  ackReply,
  connectErrorReply,
  connectReply,
  decideFrame,
  decidePacket,
  errorEvent,
  readFrame,
} from '../../../../lambdas/socketio/protocol-session';

/** What socket.io-client's own parser makes of a frame we send (minus the Engine.IO `4`). */
function clientDecode(frame: string): unknown {
  expect(frame.startsWith('4')).toBe(true);
  let decoded: unknown;
  const decoder = new Decoder();
  decoder.on('decoded', (packet) => {
    decoded = packet;
  });
  decoder.add(frame.slice(1));
  return decoded;
}

const ACTIONS: readonly ClientActionName[] = [
  'user:typing',
  'user:stop-typing',
  'message:send',
  'message:edit',
  'message:delete',
];

describe('Function: readFrame', () => {
  it('decides a pong without the connection state', () => {
    // Act
    const read = readFrame('3');

    // Assess
    expect(read).toEqual({ kind: 'decided', decision: { kind: 'ignore', reason: 'pong' } });
  });

  it('hands a Socket.IO packet on for a state-dependent decision', () => {
    // Act
    const read = readFrame('40{"token":"t"}');

    // Assess
    expect(read).toEqual({ kind: 'packet', packet: { type: 'CONNECT', nsp: '/', data: { token: 't' } } });
  });
});

describe('Function: decideFrame', () => {
  describe('Engine.IO layer', () => {
    it.each(['pending', 'open'] as const)('ignores a pong while %s (it only keeps the connection alive)', (state) => {
      // Act
      const decision = decideFrame(state, '3');

      // Assess
      expect(decision).toEqual({ kind: 'ignore', reason: 'pong' });
    });

    it.each(['2', '2probe'])('closes on a client ping %j, as engine.io v4 does ("invalid heartbeat direction")', (frame) => {
      // Act
      const decision = decideFrame('open', frame);

      // Assess
      expect(decision).toEqual({ kind: 'close', reason: 'invalid heartbeat direction' });
    });

    it.each(['0', '1', '5', '6', '6noop'])('ignores the Engine.IO packet %j, which the server has no case for', (frame) => {
      // Act
      const decision = decideFrame('open', frame);

      // Assess
      expect(decision).toEqual({ kind: 'ignore', reason: 'engine packet' });
    });

    it.each(['', '7', 'x', '{"action":"message:send","data":{}}'])('closes on the undecodable frame %j ("parse error")', (frame) => {
      // Act
      const decision = decideFrame('open', frame);

      // Assess
      expect(decision).toMatchObject({ kind: 'close', reason: 'parse error', error: { code: 'INVALID_PACKET' } });
    });

    it('closes on a base64 binary message', () => {
      // Act
      const decision = decideFrame('open', 'bAQID');

      // Assess
      expect(decision).toMatchObject({
        kind: 'close',
        reason: 'invalid packet format',
        error: { code: 'BINARY_UNSUPPORTED' },
      });
    });
  });

  describe('CONNECT', () => {
    it('asks to authenticate a pending connection, with socket.io\'s default empty auth', () => {
      // Act
      const decision = decideFrame('pending', '40');

      // Assess
      expect(decision).toStrictEqual({ kind: 'connect', auth: {} });
    });

    it('passes the auth payload on', () => {
      // Act
      const decision = decideFrame('pending', '40{"token":"eyJ.a.b","locale":"it"}');

      // Assess
      expect(decision).toStrictEqual({ kind: 'connect', auth: { token: 'eyJ.a.b', locale: 'it' } });
    });

    it('separates the recovery pid and offset from the auth', () => {
      // Act
      const decision = decideFrame('pending', '40{"pid":"p1","offset":"01J","token":"t"}');

      // Assess
      expect(decision).toStrictEqual({ kind: 'connect', auth: { token: 't' }, pid: 'p1', offset: '01J' });
    });

    it('keeps the pid of a client that has no offset yet (it received no event: recovered from the session start)', () => {
      // Act
      const decision = decideFrame('pending', '40{"pid":"p1","token":"t"}');

      // Assess
      expect(decision).toStrictEqual({ kind: 'connect', auth: { token: 't' }, pid: 'p1' });
    });

    it('ignores an offset without a pid', () => {
      // Act
      const decision = decideFrame('pending', '40{"offset":"c1:4","token":"t"}');

      // Assess
      expect(decision).toStrictEqual({ kind: 'connect', auth: { token: 't' } });
    });

    it('closes on a second CONNECT once open ("invalid state")', () => {
      // Act
      const decision = decideFrame('open', '40{"token":"t"}');

      // Assess
      expect(decision).toEqual({ kind: 'close', reason: 'invalid state' });
    });

    it.each(['pending', 'open'] as const)('refuses a CONNECT to another namespace while %s with 44 "Invalid namespace"', (state) => {
      // Act
      const decision = decideFrame(state, '40/admin,{"token":"t"}');

      // Assess
      expect(decision).toEqual({ kind: 'reply', frames: ['44/admin,{"message":"Invalid namespace"}'] });
    });

    it.each(['pending', 'open'] as const)('closes on a CONNECT_ERROR from the client while %s', (state) => {
      // Act
      const decision = decideFrame(state, '44{"message":"x"}');

      // Assess
      expect(decision).toEqual({ kind: 'close', reason: 'invalid state' });
    });
  });

  describe('before CONNECT', () => {
    it.each([
      '42["message:send",{"chatId":"c1","content":"hi"}]',
      '421["user:typing",{"chatId":"c1"}]',
      '431[]',
      '41',
    ])('closes on %j ("invalid state")', (frame) => {
      // Act
      const decision = decideFrame('pending', frame);

      // Assess
      expect(decision).toEqual({ kind: 'close', reason: 'invalid state' });
    });
  });

  describe('events while open', () => {
    it.each(ACTIONS)('maps %s to the domain action of the same name', (name) => {
      // Prepare
      const frame = `42${JSON.stringify([name, { chatId: 'c1' }])}`;

      // Act
      const decision = decideFrame('open', frame);

      // Assess
      expect(decision).toStrictEqual({ kind: 'event', name, data: { chatId: 'c1' } });
    });

    it('carries the ack id of an acked event', () => {
      // Act
      const decision = decideFrame('open', '4217["message:send",{"chatId":"c1","content":"hi"}]');

      // Assess
      expect(decision).toEqual({
        kind: 'event',
        name: 'message:send',
        data: { chatId: 'c1', content: 'hi' },
        ackId: 17,
      });
    });

    it('ignores arguments after the data', () => {
      // Act
      const decision = decideFrame('open', '42["user:typing",{"chatId":"c1"},"extra",1]');

      // Assess
      expect(decision).toStrictEqual({ kind: 'event', name: 'user:typing', data: { chatId: 'c1' } });
    });

    it('hands an event without data to the domain, which validates it', () => {
      // Act
      const decision = decideFrame('open', '423["message:delete"]');

      // Assess
      expect(decision).toStrictEqual({ kind: 'event', name: 'message:delete', data: undefined, ackId: 3 });
    });

    it.each(['42["chat:join",{"chatId":"c1"}]', '42[7,{}]', '42', '42["toString"]', '42["__proto__"]'])(
      'ignores the unknown event %j, like a server with no listener',
      (frame) => {
        // Act
        const decision = decideFrame('open', frame);

        // Assess
        expect(decision).toEqual({ kind: 'ignore', reason: 'unknown event' });
      },
    );

    it('answers an acked unknown event with an UNKNOWN_ACTION error ack instead of leaving it hanging', () => {
      // Act
      const decision = decideFrame('open', '429["chat:join",{"chatId":"c1"}]');

      // Assess
      expect(decision).toEqual({
        kind: 'reply',
        frames: ['439[{"error":{"code":"UNKNOWN_ACTION","message":"Unknown event \\"chat:join\\""}}]'],
      });
    });

    it('closes on an event to another namespace (no socket there)', () => {
      // Act
      const decision = decideFrame('open', '42/admin,["message:send",{}]');

      // Assess
      expect(decision).toEqual({ kind: 'close', reason: 'invalid state' });
    });

    it('keeps __proto__ out of the data handed to the domain', () => {
      // Act
      const decision = decideFrame('open', '42["message:send",{"__proto__":{"isAdmin":true},"chatId":"c1"}]');

      // Assess
      expect(decision).toStrictEqual({ kind: 'event', name: 'message:send', data: { chatId: 'c1' } });
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  });

  describe('other packets while open', () => {
    it('ignores an ACK from the client (this server never asks for one)', () => {
      // Act
      const decision = decideFrame('open', '435[{"ok":true}]');

      // Assess
      expect(decision).toEqual({ kind: 'ignore', reason: 'client ack' });
    });

    it('turns a client DISCONNECT into a disconnect intent, sending nothing back', () => {
      // Act
      const decision = decideFrame('open', '41');

      // Assess
      expect(decision).toEqual({ kind: 'disconnect' });
    });
  });

  describe('protocol violations', () => {
    it.each([
      ['42["connect"]', 'INVALID_PAYLOAD'],
      ['42["disconnect","x"]', 'INVALID_PAYLOAD'],
      ['42[]', 'INVALID_PAYLOAD'],
      ['42{"a":1}', 'INVALID_PAYLOAD'],
      ['42["message:send",{}', 'INVALID_PAYLOAD'],
      ['42["message:send",{}]trailing', 'INVALID_PAYLOAD'],
      ['41{}', 'INVALID_PAYLOAD'],
      ['43{}', 'INVALID_PAYLOAD'],
      ['49', 'INVALID_PACKET'],
      [`42${'9'.repeat(20)}["message:send",{}]`, 'INVALID_PACKET'],
      ['451-["message:send",{"_placeholder":true,"num":0}]', 'BINARY_UNSUPPORTED'],
      ['461-1[{"_placeholder":true,"num":0}]', 'BINARY_UNSUPPORTED'],
      ['4', 'INVALID_PACKET'],
    ])('closes on %j (%s) without sending anything first', (frame, code) => {
      // Act
      const decision = decideFrame('open', frame);

      // Assess
      expect(decision).toMatchObject({ kind: 'close', reason: 'invalid packet format', error: { code } });
      expect(decision).not.toHaveProperty('frames');
    });
  });
});

describe('Function: decidePacket', () => {
  it('needs no frame: decides from a packet decoded earlier', () => {
    // Act
    const decision = decidePacket('pending', { type: 'EVENT', nsp: '/', name: 'message:send', args: [{}] });

    // Assess
    expect(decision).toEqual({ kind: 'close', reason: 'invalid state' });
  });
});

describe('Function: ackReply', () => {
  it('wraps the ack data like the JSON protocol\'s ack frame', () => {
    // Act
    const frame = ackReply(3, { data: { delivered: true } });

    // Assess
    expect(frame).toBe('433[{"data":{"delivered":true}}]');
    expect(clientDecode(frame)).toEqual({ type: 3, nsp: '/', id: 3, data: [{ data: { delivered: true } }] });
  });

  it('carries a domain error as {code, message}', () => {
    // Act
    const frame = ackReply(4, { error: new ForbiddenError('Not a participant') });

    // Assess
    expect(frame).toBe('434[{"error":{"code":"FORBIDDEN","message":"Not a participant"}}]');
  });

  it('never leaks an unexpected error', () => {
    // Act
    const frame = ackReply(5, { error: new Error('DynamoDB says: table arn:aws:... not found') });

    // Assess
    expect(frame).toBe('435[{"error":{"code":"INTERNAL","message":"Internal error"}}]');
  });

  it('resolves emitWithAck with the result object (socket.io-client prepends null to the arguments)', () => {
    // Prepare
    const packet = clientDecode(ackReply(6, { data: { messageId: 'm1' } })) as { data: unknown[] };
    const withError = (arg1: unknown, arg2: unknown) => (arg1 ? { rejected: arg1 } : { resolved: arg2 });

    // Act
    const outcome = withError(null, ...(packet.data as [unknown]));

    // Assess
    expect(outcome).toEqual({ resolved: { data: { messageId: 'm1' } } });
  });
});

describe('Function: connectReply', () => {
  it('answers 40 with sid, and pid when recovery is on', () => {
    // Act
    const frames = [connectReply({ sid: 'c1' }), connectReply({ sid: 'c1', pid: 'p1' })];

    // Assess
    expect(frames).toEqual(['40{"sid":"c1"}', '40{"sid":"c1","pid":"p1"}']);
  });
});

describe('Function: connectErrorReply', () => {
  it('answers 44 with the message and the code in data, which connect_error exposes', () => {
    // Act
    const frame = connectErrorReply(new UnauthorizedError('Invalid token'));

    // Assess
    expect(frame).toBe('44{"message":"Invalid token","data":{"code":"UNAUTHORIZED"}}');
    expect(clientDecode(frame)).toEqual({
      type: 4,
      nsp: '/',
      data: { message: 'Invalid token', data: { code: 'UNAUTHORIZED' } },
    });
  });
});

describe('Function: errorEvent', () => {
  it('sends the JSON protocol\'s error frame as an "error" event', () => {
    // Act
    const frame = errorEvent(new ForbiddenError('Not a participant'));

    // Assess
    expect(frame).toBe('42["error",{"code":"FORBIDDEN","message":"Not a participant"}]');
    expect(clientDecode(frame)).toMatchObject({ type: 2, data: ['error', { code: 'FORBIDDEN' }] });
  });
});
