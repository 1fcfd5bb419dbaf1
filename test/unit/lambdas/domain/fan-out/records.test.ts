import type { AttributeValue } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  imageOf,
  isServiceChange,
  MalformedRecordError,
  optionalString,
  requireString,
  requireText,
  tableNameOfStreamArn,
  toIsoTime,
} from '../../../../../lambdas/domain/fan-out/records';
import { createStreamRecord } from '../../../../helpers/stream-records';

describe('Function: tableNameOfStreamArn', () => {
  it('reads the table name of an AWS stream ARN, CDK-generated suffixes included', () => {
    // Act
    const name = tableNameOfStreamArn('arn:aws:dynamodb:eu-west-1:123456789012:table/Chat-Messages1A2B-XYZ/stream/2026-11-27T00:00:00.000');

    // Assess
    expect(name).toBe('Chat-Messages1A2B-XYZ');
  });

  it('reads DynamoDB Local\'s stream ARNs, which have the same shape', () => {
    // Act + Assess
    expect(tableNameOfStreamArn('arn:aws:dynamodb:ddblocal:000000000000:table/Messages/stream/2026-11-27T00:00:00.000')).toBe('Messages');
  });

  it.each([
    ['undefined', undefined],
    ['a table ARN without a stream', 'arn:aws:dynamodb:eu-west-1:1:table/Messages'],
    ['a non-ARN string', 'Messages'],
    ['an empty table name', 'arn:aws:dynamodb:eu-west-1:1:table//stream/x'],
  ])('returns undefined for %s', (_label, arn) => {
    // Act + Assess
    expect(tableNameOfStreamArn(arn)).toBeUndefined();
  });
});

describe('Function: imageOf', () => {
  it('unmarshalls an image: numbers become numbers, string sets become Sets', () => {
    // Prepare
    const attributes: Record<string, AttributeValue> = {
      userId: { S: 'alice' },
      updatedAt: { N: '1764201600000' },
      connectionIds: { SS: ['c1', 'c2'] },
      flag: { BOOL: true },
    };

    // Act
    const image = imageOf(attributes);

    // Assess
    expect(image).toEqual({ userId: 'alice', updatedAt: 1_764_201_600_000, connectionIds: new Set(['c1', 'c2']), flag: true });
  });

  it('returns undefined for a missing image', () => {
    // Act + Assess
    expect(imageOf(undefined)).toBeUndefined();
  });

  it('throws MalformedRecordError, keeping the cause, for an image it cannot unmarshall', () => {
    // Prepare
    const garbage = { userId: { X: 'not a type' } } as unknown as Record<string, AttributeValue>;

    // Act
    const attempt = (): unknown => imageOf(garbage);

    // Assess
    expect(attempt).toThrow(MalformedRecordError);
    expect(attempt).toThrow('stream image could not be unmarshalled');
    try {
      attempt();
    } catch (err) {
      expect((err as MalformedRecordError).code).toBe('MALFORMED_RECORD');
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
  });
});

describe('Function: requireString', () => {
  it('returns a non-empty string attribute', () => {
    // Act + Assess
    expect(requireString({ chatId: 'c1' }, 'chatId')).toBe('c1');
  });

  it.each([
    ['missing', {}, 'undefined'],
    ['empty', { chatId: '' }, 'string'],
    ['a number', { chatId: 7 }, 'number'],
    ['null', { chatId: null }, 'object'],
  ])('throws MalformedRecordError when the attribute is %s', (_label, image, type) => {
    // Act + Assess
    expect(() => requireString(image, 'chatId')).toThrow(new MalformedRecordError(`attribute chatId must be a non-empty string, got ${type}`));
    expect(() => requireString(image, 'chatId')).toThrow(MalformedRecordError);
  });
});

describe('Function: requireText', () => {
  it('accepts the empty string (the content of a soft-deleted message)', () => {
    // Act + Assess
    expect(requireText({ content: '' }, 'content')).toBe('');
  });

  it.each([[{}], [{ content: 42 }], [{ content: ['a'] }]])('throws MalformedRecordError for a non-string (%j)', (image) => {
    // Act + Assess
    expect(() => requireText(image, 'content')).toThrow(MalformedRecordError);
  });
});

describe('Function: optionalString', () => {
  it('returns a non-empty string and undefined for anything else', () => {
    // Prepare
    const image = { a: 'x', b: '', c: 3 };

    // Act
    const values = ['a', 'b', 'c', 'd'].map((name) => optionalString(image, name));

    // Assess
    expect(values).toEqual(['x', undefined, undefined, undefined]);
    expect(optionalString(undefined, 'a')).toBeUndefined();
  });
});

describe('Function: isServiceChange', () => {
  it('is true for a TTL delete made by DynamoDB itself', () => {
    // Prepare
    const record = createStreamRecord('REMOVE', { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } });

    // Act + Assess
    expect(isServiceChange(record)).toBe(true);
  });

  it('is false for a user change, with or without a userIdentity', () => {
    // Act + Assess
    expect(isServiceChange(createStreamRecord('REMOVE'))).toBe(false);
    expect(isServiceChange(createStreamRecord('REMOVE', { userIdentity: { type: 'User', principalId: 'x' } }))).toBe(false);
  });
});

describe('Function: toIsoTime', () => {
  it('turns epoch milliseconds into ISO-8601', () => {
    // Act + Assess
    expect(toIsoTime(1_764_201_600_000)).toBe('2025-11-27T00:00:00.000Z');
  });

  it('normalises a parseable date string to ISO-8601 in UTC', () => {
    // Act + Assess
    expect(toIsoTime('2026-11-27T01:00:00+01:00')).toBe('2026-11-27T00:00:00.000Z');
    expect(toIsoTime('2026-11-27T00:00:00.000Z')).toBe('2026-11-27T00:00:00.000Z');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a number past the last representable date', 8.64e15 + 1],
    ['a number before the first representable date', -8.64e15 - 1],
    ['an unparseable string', 'yesterday-ish'],
    ['undefined', undefined],
    ['an object', { at: 1 }],
  ])('returns undefined for %s', (_label, value) => {
    // Act + Assess
    expect(toIsoTime(value)).toBeUndefined();
  });
});
