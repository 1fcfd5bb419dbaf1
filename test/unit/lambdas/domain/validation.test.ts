import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError } from '../../../../lambdas/commons/errors';
import { sortableId } from '../../../../lambdas/commons/ids';
import { MAX_CONTENT_LENGTH } from '../../../../protocol';
import {
  chatIdOf,
  clientMessageIdOf,
  contentOf,
  expectFields,
  isPlainObject,
  MAX_TITLE_LENGTH,
  messageIdOf,
  titleOf,
  userIdOf,
} from '../../../../lambdas/domain/validation';

describe('Function: isPlainObject', () => {
  it('accepts objects and refuses arrays, null and primitives', () => {
    // Prepare
    const candidates: unknown[] = [{}, { a: 1 }, [], null, undefined, 'x', 1, true];

    // Act
    const verdicts = candidates.map(isPlainObject);

    // Assess
    expect(verdicts).toEqual([true, true, false, false, false, false, false, false]);
  });
});

describe('Function: expectFields', () => {
  it('returns the object itself when it has the required keys and no others', () => {
    // Prepare
    const data = { chatId: 'c1', content: 'hi' };

    // Act
    const result = expectFields(data, ['chatId', 'content', 'clientMessageId'], ['chatId', 'content']);

    // Assess
    expect(result).toBe(data);
  });

  it.each([
    ['null', null],
    ['an array', [{ chatId: 'c1' }]],
    ['a string', '{"chatId":"c1"}'],
    ['a number', 42],
    ['undefined', undefined],
  ])('refuses %s with "<what> must be an object"', (_label, value) => {
    // Act + Assess
    expect(() => expectFields(value, ['chatId'], ['chatId'], 'frame.data')).toThrow(
      new BadRequestError('frame.data must be an object'),
    );
  });

  it('refuses unknown fields such as a spoofed senderId', () => {
    // Prepare
    const data = { chatId: 'c1', content: 'hi', senderId: 'mallory' };

    // Act + Assess
    expect(() => expectFields(data, ['chatId', 'content'], ['chatId'])).toThrow(
      new BadRequestError('data has unknown field(s): senderId'),
    );
  });

  it('names at most five unknown fields in the message', () => {
    // Prepare
    const data = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, i]));

    // Act + Assess
    expect(() => expectFields(data, [], [])).toThrow('data has unknown field(s): f0, f1, f2, f3, f4');
  });

  it('refuses a missing required field, and one that is present but undefined', () => {
    // Act + Assess
    expect(() => expectFields({}, ['chatId'], ['chatId'])).toThrow(new BadRequestError('data.chatId is required'));
    expect(() => expectFields({ chatId: undefined }, ['chatId'], ['chatId'])).toThrow('data.chatId is required');
  });

  it('does not take a required field from the prototype chain', () => {
    // Prepare
    const data: unknown = Object.create({ chatId: 'inherited' });

    // Act + Assess
    expect(() => expectFields(data, ['chatId'], ['chatId'])).toThrow('data.chatId is required');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a parsed "%s" key as unknown and leaves prototypes untouched', (key) => {
    // Prepare
    const data: unknown = JSON.parse(`{"chatId":"c1","${key}":{"polluted":true,"toString":"x"}}`);

    // Act + Assess
    expect(() => expectFields(data, ['chatId'], ['chatId'])).toThrow(`data has unknown field(s): ${key}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.toString).toBeTypeOf('function');
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });
});

describe('Function: chatIdOf', () => {
  it('accepts a sortable id and a caller-chosen id in the safe charset', () => {
    // Prepare
    const id = sortableId();

    // Act + Assess
    expect(chatIdOf(id)).toBe(id);
    expect(chatIdOf('team-42_general.v2')).toBe('team-42_general.v2');
    expect(chatIdOf('x'.repeat(64))).toHaveLength(64);
  });

  it.each([
    ['a key separator ":"', 'chat:c1'],
    ['a key separator "#"', 'c1#idem'],
    ['a slash', 'c1/../c2'],
    ['whitespace', 'c 1'],
    ['the empty string', ''],
    ['65 characters', 'x'.repeat(65)],
    ['non-ASCII letters', 'chät'],
  ])('refuses an id with %s', (_label, value) => {
    // Act + Assess
    expect(() => chatIdOf(value)).toThrow(new BadRequestError('chatId is not a valid id'));
  });

  it.each([[1], [null], [undefined], [['c1']], [{ chatId: 'c1' }]])('refuses a non-string (%j)', (value) => {
    // Act + Assess
    expect(() => chatIdOf(value)).toThrow(new BadRequestError('chatId must be a string'));
  });

  it('names the field it was given', () => {
    // Act + Assess
    expect(() => chatIdOf('a:b', 'params.chatId')).toThrow('params.chatId is not a valid id');
  });
});

describe('Function: messageIdOf', () => {
  it('accepts a ULID as sortableId makes it', () => {
    // Prepare
    const id = sortableId();

    // Act + Assess
    expect(messageIdOf(id)).toBe(id);
  });

  it.each([
    ['lower case', sortableId().toLowerCase()],
    ['an idempotency marker key', `idem#alice#${'A'.repeat(20)}`],
    ['25 characters', 'A'.repeat(25)],
    ['27 characters', 'A'.repeat(27)],
    ['letters outside Crockford base32 (I, L, O, U)', 'I'.repeat(26)],
  ])('refuses %s', (_label, value) => {
    // Act + Assess
    expect(() => messageIdOf(value)).toThrow(new BadRequestError('messageId is not a valid id'));
  });

  it('refuses a number', () => {
    // Act + Assess
    expect(() => messageIdOf(123)).toThrow(new BadRequestError('messageId must be a string'));
  });
});

describe('Function: clientMessageIdOf', () => {
  it('accepts a uuid-like id', () => {
    // Act + Assess
    expect(clientMessageIdOf('2f1c5e9a-7d0b-4f3e-9c1a-8b6d5e4f3a21')).toBe('2f1c5e9a-7d0b-4f3e-9c1a-8b6d5e4f3a21');
  });

  it.each(['a#b', 'a:b', '', 'x'.repeat(65)])('refuses %j, which would break the idempotency key', (value) => {
    // Act + Assess
    expect(() => clientMessageIdOf(value)).toThrow(new BadRequestError('clientMessageId is not a valid id'));
  });
});

describe('Function: userIdOf', () => {
  it('accepts an email-like user id', () => {
    // Act + Assess
    expect(userIdOf('bob+test@example.com')).toBe('bob+test@example.com');
  });

  it.each([
    ['a ":"', 'user:bob'],
    ['a "#"', 'bob#1'],
    ['the empty string', ''],
    ['129 characters', 'b'.repeat(129)],
    ['a number', 7],
    ['null', null],
  ])('refuses %s', (_label, value) => {
    // Act + Assess
    expect(() => userIdOf(value, 'participants[0]')).toThrow(new BadRequestError('participants[0] is not a valid user id'));
  });
});

describe('Function: contentOf', () => {
  it('returns the content as sent, untrimmed', () => {
    // Act + Assess
    expect(contentOf('  hello  ')).toBe('  hello  ');
  });

  it('accepts exactly MAX_CONTENT_LENGTH characters and well-formed surrogate pairs', () => {
    // Prepare
    const longest = 'a'.repeat(MAX_CONTENT_LENGTH);

    // Act + Assess
    expect(contentOf(longest)).toBe(longest);
    expect(contentOf('ok 😀')).toBe('ok 😀');
  });

  it('refuses one character over MAX_CONTENT_LENGTH with PAYLOAD_TOO_LARGE', () => {
    // Prepare
    const tooLong = 'a'.repeat(MAX_CONTENT_LENGTH + 1);

    // Act
    const attempt = (): string => contentOf(tooLong);

    // Assess
    expect(attempt).toThrow(PayloadTooLargeError);
    expect(attempt).toThrow(`content is longer than ${MAX_CONTENT_LENGTH} characters`);
  });

  it('counts UTF-16 units, so emoji filling the limit twice over are refused', () => {
    // Prepare
    const emoji = '😀'.repeat(MAX_CONTENT_LENGTH / 2 + 1);

    // Act + Assess
    expect(() => contentOf(emoji)).toThrow(PayloadTooLargeError);
  });

  it.each([
    ['the empty string', ''],
    ['spaces', '   '],
    ['tabs and newlines', '\t\n\r\n'],
    ['a no-break space', '\u00a0'],
  ])('refuses %s as empty', (_label, value) => {
    // Act + Assess
    expect(() => contentOf(value)).toThrow(new BadRequestError('content must not be empty'));
  });

  it.each([
    ['a lone high surrogate', 'hi \ud800'],
    ['a lone low surrogate', '\udc00 there'],
    ['reversed halves of a pair', '\ude00\ud83d'],
  ])('refuses %s', (_label, value) => {
    // Act + Assess
    expect(() => contentOf(value)).toThrow(new BadRequestError('content is not well-formed Unicode'));
  });

  it.each([[42], [null], [undefined], [['hi']], [{ text: 'hi' }]])('refuses a non-string (%j)', (value) => {
    // Act + Assess
    expect(() => contentOf(value)).toThrow(new BadRequestError('content must be a string'));
  });

  it('relays markup as inert data', () => {
    // Prepare
    const xss = '<script>alert(1)</script>\'; DROP TABLE Messages; --';

    // Act + Assess
    expect(contentOf(xss)).toBe(xss);
  });
});

describe('Function: titleOf', () => {
  it('makes a missing title the empty string', () => {
    // Act + Assess
    expect(titleOf(undefined)).toBe('');
  });

  it('trims the title', () => {
    // Act + Assess
    expect(titleOf('  Team  ')).toBe('Team');
  });

  it('accepts MAX_TITLE_LENGTH characters and refuses one more', () => {
    // Act + Assess
    expect(titleOf('t'.repeat(MAX_TITLE_LENGTH))).toHaveLength(MAX_TITLE_LENGTH);
    expect(() => titleOf('t'.repeat(MAX_TITLE_LENGTH + 1))).toThrow(
      new BadRequestError(`title is longer than ${MAX_TITLE_LENGTH} characters`),
    );
  });

  it.each([[null], [3], [['Team']]])('refuses a non-string (%j)', (value) => {
    // Act + Assess
    expect(() => titleOf(value)).toThrow(new BadRequestError('title must be a string'));
  });

  it('refuses a lone surrogate', () => {
    // Act + Assess
    expect(() => titleOf('Team \ud83d')).toThrow(new BadRequestError('title is not well-formed Unicode'));
  });
});
