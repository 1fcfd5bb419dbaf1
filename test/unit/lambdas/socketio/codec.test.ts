import { decodePacket as engineIoParserDecode } from 'engine.io-parser';
import { Decoder, Encoder, PacketType } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import {
  decodeEngineIoPacket,
  decodeSocketIoPacket,
  encodeAck,
  encodeConnect,
  encodeConnectError,
  encodeDisconnect,
  encodeEngineIoPacket,
  encodeEvent,
  encodeOpenPacket,
  encodeSocketIoPacket,
  PING_FRAME,
  SocketIoProtocolError,
  type SocketIoProtocolErrorCode,
} from '../../../../lambdas/socketio/codec';

// socket.io-parser and engine.io-parser come with the socket.io-client
// devDependency. They are the reference: what they reject, we reject.

/** What the official decoder makes of a string: the packet, 'rejected', or 'incomplete' (awaits attachments). */
function officialDecode(text: string): { type: number; nsp: string; id?: number; data?: unknown } | 'rejected' | 'incomplete' {
  const decoder = new Decoder();
  let decoded: { type: number; nsp: string; id?: number; data?: unknown } | undefined;
  decoder.on('decoded', (packet) => {
    decoded = packet;
  });
  try {
    decoder.add(text);
  } catch {
    return 'rejected';
  }
  return decoded ?? 'incomplete';
}

function codeOf(fn: () => unknown): SocketIoProtocolErrorCode | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof SocketIoProtocolError) return err.code;
    throw err;
  }
}

/**
 * Malformed Socket.IO packets (the text after the Engine.IO `4`). The first
 * block is socket.io-parser's own "throw an error upon parsing error" list.
 */
const MALFORMED: readonly [string, SocketIoProtocolErrorCode][] = [
  ['442["some","data"', 'INVALID_PAYLOAD'],
  ['0/admin,"invalid"', 'INVALID_PAYLOAD'],
  ['0[]', 'INVALID_PAYLOAD'],
  ['1/admin,{}', 'INVALID_PAYLOAD'],
  ['2/admin,"invalid', 'INVALID_PAYLOAD'],
  ['2/admin,{}', 'INVALID_PAYLOAD'],
  ['2[{"toString":"foo"}]', 'INVALID_PAYLOAD'],
  ['2[true,"foo"]', 'INVALID_PAYLOAD'],
  ['2[null,"bar"]', 'INVALID_PAYLOAD'],
  ['2["connect"]', 'INVALID_PAYLOAD'],
  ['2["disconnect","123"]', 'INVALID_PAYLOAD'],
  ['5', 'BINARY_UNSUPPORTED'],
  ['51', 'BINARY_UNSUPPORTED'],
  ['50-', 'BINARY_UNSUPPORTED'],
  ['5a-', 'BINARY_UNSUPPORTED'],
  ['51.23-', 'BINARY_UNSUPPORTED'],
  ['999', 'INVALID_PACKET'],
  // Every other reserved name, and other payloads of the wrong shape.
  ['2["connect_error"]', 'INVALID_PAYLOAD'],
  ['2["disconnecting"]', 'INVALID_PAYLOAD'],
  ['2["newListener",1]', 'INVALID_PAYLOAD'],
  ['2["removeListener"]', 'INVALID_PAYLOAD'],
  ['2[]', 'INVALID_PAYLOAD'],
  ['21[]', 'INVALID_PAYLOAD'],
  ['2{"name":"message:send"}', 'INVALID_PAYLOAD'],
  ['2"message:send"', 'INVALID_PAYLOAD'],
  ['2[["message:send"]]', 'INVALID_PAYLOAD'],
  ['2[{"0":"x"}]', 'INVALID_PAYLOAD'],
  ['0null', 'INVALID_PAYLOAD'],
  ['0"token"', 'INVALID_PAYLOAD'],
  ['0[{"token":"t"}]', 'INVALID_PAYLOAD'],
  ['3{}', 'INVALID_PAYLOAD'],
  ['31"ok"', 'INVALID_PAYLOAD'],
  ['3null', 'INVALID_PAYLOAD'],
  ['4[]', 'INVALID_PAYLOAD'],
  ['4true', 'INVALID_PAYLOAD'],
  ['4null', 'INVALID_PAYLOAD'],
  ['1"bye"', 'INVALID_PAYLOAD'],
  ['1[]', 'INVALID_PAYLOAD'],
  // Not JSON: trailing garbage, truncation, JavaScript-isms.
  ['2["message:send",{}]x', 'INVALID_PAYLOAD'],
  ['2["message:send"]]', 'INVALID_PAYLOAD'],
  ['2["message:send",{"chatId":"c1"}', 'INVALID_PAYLOAD'],
  ["2['message:send']", 'INVALID_PAYLOAD'],
  ['2["a",undefined]', 'INVALID_PAYLOAD'],
  ['2["a",NaN]', 'INVALID_PAYLOAD'],
  ['2["a",{a:1}]', 'INVALID_PAYLOAD'],
  ['2["a",1,]', 'INVALID_PAYLOAD'],
  ['0{"token":"t"}{}', 'INVALID_PAYLOAD'],
  ['2/admin,["a"]garbage', 'INVALID_PAYLOAD'],
  // Framing.
  ['7', 'INVALID_PACKET'],
  ['a', 'INVALID_PACKET'],
  ['-1', 'INVALID_PACKET'],
  ['{"action":"message:send"}', 'INVALID_PACKET'],
];

/** Where this codec is deliberately stricter than socket.io-parser (documented on decodeSocketIoPacket). */
const STRICTER: readonly [string, SocketIoProtocolErrorCode][] = [
  ['', 'INVALID_PACKET'],
  [' {}', 'INVALID_PACKET'],
  ['\t', 'INVALID_PACKET'],
  ['2 ["message:send",{}]', 'INVALID_PACKET'],
  ['2\n["message:send",{}]', 'INVALID_PACKET'],
  ['2/admin, ["a"]', 'INVALID_PACKET'],
  ['2\u00a0["a"]', 'INVALID_PAYLOAD'],
  [`2${'9'.repeat(20)}["message:send",{}]`, 'INVALID_PACKET'],
  [`3${'9'.repeat(400)}[]`, 'INVALID_PACKET'],
  ['51-["hello",{"_placeholder":true,"num":0}]', 'BINARY_UNSUPPORTED'],
  ['61-0[{"_placeholder":true,"num":0}]', 'BINARY_UNSUPPORTED'],
];

/** Packets both decoders accept. */
const VALID: readonly string[] = [
  '0',
  '0{}',
  '0{"token":"eyJ.a.b"}',
  '0{"token":"t","pid":"p1","offset":"o1"}',
  '0/admin,{"token":"t"}',
  '0/admin',
  '01{}',
  '1',
  '1/admin,',
  '2',
  '2["message:send",{"chatId":"c1","content":"hi"}]',
  '27["message:send",{"chatId":"c1","content":"hi"}]',
  '2/admin,7["a"]',
  '2[1,"a",{}]',
  '2["error"]',
  '2["a"] ',
  '3',
  '31[]',
  '3123["a",1,{}]',
  '4"Unauthorized"',
  '4{"message":"Unauthorized"}',
  `2${Number.MAX_SAFE_INTEGER}["a"]`,
];

describe('Function: decodeEngineIoPacket', () => {
  it.each([
    ['0{"sid":"x"}', { type: 'open', data: '{"sid":"x"}' }],
    ['1', { type: 'close' }],
    ['2', { type: 'ping' }],
    ['2probe', { type: 'ping', data: 'probe' }],
    ['3', { type: 'pong' }],
    ['4', { type: 'message', data: '' }],
    ['42["a"]', { type: 'message', data: '2["a"]' }],
    ['5', { type: 'upgrade' }],
    ['6', { type: 'noop' }],
  ])('decodes %j', (frame, expected) => {
    // Act
    const packet = decodeEngineIoPacket(frame);

    // Assess
    expect(packet).toEqual(expected);
  });

  it.each(['', '7', '9', 'x', ' 3', '{"action":"x"}'])('refuses %j as INVALID_PACKET', (frame) => {
    // Act
    const code = codeOf(() => decodeEngineIoPacket(frame));

    // Assess
    expect(code).toBe('INVALID_PACKET');
  });

  it('refuses base64 binary messages', () => {
    // Act
    const code = codeOf(() => decodeEngineIoPacket('bAQID'));

    // Assess
    expect(code).toBe('BINARY_UNSUPPORTED');
  });

  it('agrees with engine.io-parser on every text frame it can tell apart', () => {
    // Prepare
    const frames = ['', '0', '1', '2', '2probe', '3', '3probe', '4', '4hello', '5', '6', '7', '8', 'x', ' ', '-'];

    // Act
    const mismatches = frames.filter((frame) => {
      const official = engineIoParserDecode(frame);
      const ours = codeOf(() => decodeEngineIoPacket(frame)) === 'accepted' ? decodeEngineIoPacket(frame) : undefined;
      return official.type === 'error' ? ours !== undefined : ours?.type !== official.type;
    });

    // Assess
    expect(mismatches).toEqual([]);
  });
});

describe('Function: decodeSocketIoPacket', () => {
  it('decodes a CONNECT with its auth payload', () => {
    // Act
    const packet = decodeSocketIoPacket('0{"token":"t"}');

    // Assess
    expect(packet).toEqual({ type: 'CONNECT', nsp: '/', data: { token: 't' } });
  });

  it('decodes a CONNECT without payload and without data key', () => {
    // Act
    const packet = decodeSocketIoPacket('0');

    // Assess
    expect(packet).toStrictEqual({ type: 'CONNECT', nsp: '/' });
  });

  it('decodes an EVENT with namespace, ack id, name and arguments', () => {
    // Act
    const packet = decodeSocketIoPacket('2/admin,12["message:send",{"chatId":"c1"},2]');

    // Assess
    expect(packet).toEqual({
      type: 'EVENT',
      nsp: '/admin',
      id: 12,
      name: 'message:send',
      args: [{ chatId: 'c1' }, 2],
    });
  });

  it('leaves id out of an EVENT that asks for no ack', () => {
    // Act
    const packet = decodeSocketIoPacket('2["user:typing",{"chatId":"c1"}]');

    // Assess
    expect(packet).toStrictEqual({ type: 'EVENT', nsp: '/', name: 'user:typing', args: [{ chatId: 'c1' }] });
  });

  it('accepts a numeric event name, as socket.io-parser does', () => {
    // Act
    const packet = decodeSocketIoPacket('2[1,"a"]');

    // Assess
    expect(packet).toEqual({ type: 'EVENT', nsp: '/', name: 1, args: ['a'] });
  });

  it('decodes an ACK, a DISCONNECT and both CONNECT_ERROR forms', () => {
    // Act
    const packets = ['35[{"data":1}]', '1', '4"nope"', '4{"message":"nope"}'].map(decodeSocketIoPacket);

    // Assess
    expect(packets).toEqual([
      { type: 'ACK', nsp: '/', id: 5, args: [{ data: 1 }] },
      { type: 'DISCONNECT', nsp: '/' },
      { type: 'CONNECT_ERROR', nsp: '/', data: 'nope' },
      { type: 'CONNECT_ERROR', nsp: '/', data: { message: 'nope' } },
    ]);
  });

  it('reads a namespace without a comma to the end of the packet', () => {
    // Act
    const packet = decodeSocketIoPacket('0/admin');

    // Assess
    expect(packet).toEqual({ type: 'CONNECT', nsp: '/admin' });
  });

  it.each(MALFORMED)('refuses %j with %s', (text, expected) => {
    // Act
    const code = codeOf(() => decodeSocketIoPacket(text));

    // Assess
    expect(code).toBe(expected);
  });

  it.each(STRICTER)('refuses %j with %s, stricter than socket.io-parser', (text, expected) => {
    // Act
    const code = codeOf(() => decodeSocketIoPacket(text));

    // Assess
    expect(code).toBe(expected);
  });

  it('rejects every malformed packet that socket.io-parser rejects, and no valid one', () => {
    // Prepare
    const all = [...MALFORMED.map(([text]) => text), ...VALID];

    // Act
    const disagreements = all.filter((text) => {
      const officialAccepts = officialDecode(text) !== 'rejected';
      const weAccept = codeOf(() => decodeSocketIoPacket(text)) === 'accepted';
      const binary = text.startsWith('5') || text.startsWith('6');
      return binary ? weAccept : weAccept !== officialAccepts;
    });

    // Assess
    expect(disagreements).toEqual([]);
    expect(MALFORMED.length).toBeGreaterThanOrEqual(20);
  });

  it('decodes the valid packets exactly as socket.io-parser does', () => {
    // Act
    const differences = VALID.flatMap<unknown>((text) => {
      const official = officialDecode(text);
      if (typeof official === 'string') return [{ text, official }];
      const ours = decodeSocketIoPacket(text);
      const payload =
        ours.type === 'EVENT'
          ? ours.name === undefined
            ? undefined
            : [ours.name, ...ours.args]
          : ours.type === 'ACK'
            ? official.data === undefined
              ? undefined
              : ours.args
            : 'data' in ours
              ? ours.data
              : undefined;
      const same =
        PacketType[official.type] === ours.type &&
        official.nsp === ours.nsp &&
        // Ack ids only mean something on EVENT and ACK; the server ignores them elsewhere.
        (ours.type === 'EVENT' || ours.type === 'ACK' ? official.id === ours.id : true) &&
        JSON.stringify(official.data) === JSON.stringify(payload);
      return same ? [] : [{ text, official, ours }];
    });

    // Assess
    expect(differences).toEqual([]);
  });

  it('documents where socket.io-parser is laxer: it accepts these', () => {
    // Act
    const officialResults = STRICTER.map(([text]) => officialDecode(text));

    // Assess
    expect(officialResults.every((result) => result !== 'rejected')).toBe(true);
  });

  it('keeps __proto__ and constructor keys out of decoded data, leaving prototypes untouched', () => {
    // Prepare
    const text =
      '2["message:send",{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"chatId":"c1"}]';

    // Act
    const packet = decodeSocketIoPacket(text);
    const data = packet.type === 'EVENT' ? (packet.args[0] as Record<string, unknown>) : {};
    const merged: Record<string, unknown> = Object.assign({}, data);

    // Assess
    expect(Object.keys(data)).toEqual(['chatId']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(merged.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws errors named SocketIoProtocolError with a code', () => {
    // Act
    const error = (() => {
      try {
        decodeSocketIoPacket('2["connect"]');
      } catch (err) {
        return err;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(SocketIoProtocolError);
    expect(error).toMatchObject({ name: 'SocketIoProtocolError', code: 'INVALID_PAYLOAD' });
  });
});

describe('Function: encodeOpenPacket', () => {
  it('writes the handshake the client waits for, with no upgrades', () => {
    // Act
    const frame = encodeOpenPacket({ sid: 'abc=', pingInterval: 300_000, pingTimeout: 60_000, maxPayload: 32_000 });

    // Assess
    expect(frame).toBe('0{"sid":"abc=","upgrades":[],"pingInterval":300000,"pingTimeout":60000,"maxPayload":32000}');
    expect(engineIoParserDecode(frame).type).toBe('open');
  });
});

describe('Function: encodeSocketIoPacket', () => {
  it.each([
    ['CONNECT', encodeConnect({ sid: 'c1' }), '40{"sid":"c1"}'],
    ['CONNECT with pid', encodeConnect({ sid: 'c1', pid: 'p1' }), '40{"sid":"c1","pid":"p1"}'],
    ['CONNECT_ERROR', encodeConnectError({ message: 'Unauthorized' }), '44{"message":"Unauthorized"}'],
    [
      'CONNECT_ERROR with data',
      encodeConnectError({ message: 'Unauthorized', data: { code: 'UNAUTHORIZED' } }),
      '44{"message":"Unauthorized","data":{"code":"UNAUTHORIZED"}}',
    ],
    ['EVENT', encodeEvent('user:online', { userId: 'u1' }), '42["user:online",{"userId":"u1"}]'],
    ['EVENT with offset', encodeEvent('message:new', { m: 1 }, { offset: '01J' }), '42["message:new",{"m":1},"01J"]'],
    ['EVENT on a namespace', encodeEvent('a', 1, { nsp: '/admin' }), '42/admin,["a",1]'],
    ['ACK', encodeAck(7, [{ data: true }]), '437[{"data":true}]'],
    ['DISCONNECT', encodeDisconnect(), '41'],
    ['ping', PING_FRAME, '2'],
    ['noop', encodeEngineIoPacket('noop'), '6'],
  ])('encodes %s', (_label, frame, expected) => {
    // Assess
    expect(frame).toBe(expected);
  });

  it('refuses a namespace with a comma, which could not be decoded back', () => {
    // Act
    const act = () => encodeEvent('a', 1, { nsp: '/a,b' });

    // Assess
    expect(act).toThrow(/must not contain a comma, got "\/a,b"/);
  });

  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1])('refuses ack id %s', (id) => {
    // Act
    const act = () => encodeAck(id, []);

    // Assess
    expect(act).toThrow(/invalid ack id/);
  });

  it('round-trips every packet it encodes through its own decoder', () => {
    // Prepare
    const frames = [
      encodeConnect({ sid: 's', pid: 'p' }),
      encodeConnectError({ message: 'm', data: { code: 'C' } }),
      encodeEvent('message:new', { content: 'héllo "quoted" \u2028 😀' }, { offset: 'o' }),
      encodeAck(42, [{ error: { code: 'FORBIDDEN', message: 'no' } }]),
      encodeDisconnect('/admin'),
      encodeSocketIoPacket({ type: 'EVENT', nsp: '/x', id: 3, data: ['e', null] }),
    ];

    // Act
    const decoded = frames.map((frame) => {
      const engine = decodeEngineIoPacket(frame);
      return engine.type === 'message' ? decodeSocketIoPacket(engine.data) : engine;
    });

    // Assess
    expect(decoded).toEqual([
      { type: 'CONNECT', nsp: '/', data: { sid: 's', pid: 'p' } },
      { type: 'CONNECT_ERROR', nsp: '/', data: { message: 'm', data: { code: 'C' } } },
      { type: 'EVENT', nsp: '/', name: 'message:new', args: [{ content: 'héllo "quoted" \u2028 😀' }, 'o'] },
      { type: 'ACK', nsp: '/', id: 42, args: [{ error: { code: 'FORBIDDEN', message: 'no' } }] },
      { type: 'DISCONNECT', nsp: '/admin' },
      { type: 'EVENT', nsp: '/x', id: 3, name: 'e', args: [null] },
    ]);
  });

  it('writes exactly what socket.io-parser writes, and reads what it writes', () => {
    // Prepare
    const encoder = new Encoder();
    const packets = [
      { type: PacketType.EVENT, nsp: '/', data: ['message:new', { a: 1 }, 'offset'] },
      { type: PacketType.ACK, nsp: '/', id: 9, data: [{ data: { ok: 1 } }] },
      { type: PacketType.CONNECT, nsp: '/', data: { sid: 's', pid: 'p' } },
      { type: PacketType.CONNECT_ERROR, nsp: '/admin', data: { message: 'Invalid namespace' } },
      { type: PacketType.DISCONNECT, nsp: '/' },
    ];

    // Act
    const official = packets.map((packet) => `4${encoder.encode(packet)[0] as string}`);
    const ours = [
      encodeEvent('message:new', { a: 1 }, { offset: 'offset' }),
      encodeAck(9, [{ data: { ok: 1 } }]),
      encodeConnect({ sid: 's', pid: 'p' }),
      encodeConnectError({ message: 'Invalid namespace' }, '/admin'),
      encodeDisconnect(),
    ];
    const readBack = official.map((frame) => decodeSocketIoPacket(frame.slice(1)).type);

    // Assess
    expect(ours).toEqual(official);
    expect(readBack).toEqual(['EVENT', 'ACK', 'CONNECT', 'CONNECT_ERROR', 'DISCONNECT']);
  });
});
