import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ChatError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  toClientError,
  UnauthorizedError,
  UnknownActionError,
} from '../../../../lambdas/commons/errors';

describe('Class: ChatError', () => {
  it.each([
    [BadRequestError, 'BadRequestError', 'BAD_REQUEST', 400],
    [UnauthorizedError, 'UnauthorizedError', 'UNAUTHORIZED', 401],
    [ForbiddenError, 'ForbiddenError', 'FORBIDDEN', 403],
    [NotFoundError, 'NotFoundError', 'NOT_FOUND', 404],
    [ConflictError, 'ConflictError', 'CONFLICT', 409],
    [PayloadTooLargeError, 'PayloadTooLargeError', 'PAYLOAD_TOO_LARGE', 413],
    [UnknownActionError, 'UnknownActionError', 'UNKNOWN_ACTION', 400],
    [RateLimitedError, 'RateLimitedError', 'RATE_LIMITED', 429],
  ] as const)('%o is a ChatError named %s with code %s and status %i', (ErrorClass, name, code, statusCode) => {
    // Act
    const err = new ErrorClass('details');

    // Assess
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.statusCode).toBe(statusCode);
    expect(err.message).toBe('details');
  });

  it('serialises to code and message only, never the stack or the cause', () => {
    // Prepare
    const err = new ForbiddenError('Not a participant of this chat', { cause: new Error('internal table name Memberships-abc') });

    // Act
    const json = JSON.parse(JSON.stringify(err)) as unknown;

    // Assess
    expect(json).toEqual({ code: 'FORBIDDEN', message: 'Not a participant of this chat' });
  });

  it('keeps the cause it was given', () => {
    // Prepare
    const cause = new Error('jose: signature verification failed');

    // Act
    const err = new UnauthorizedError('Invalid token', { cause });

    // Assess
    expect(err.cause).toBe(cause);
  });
});

describe('Function: toClientError', () => {
  it('passes a ChatError\'s code and message', () => {
    // Act + Assess
    expect(toClientError(new RateLimitedError('Slow down'))).toEqual({ code: 'RATE_LIMITED', message: 'Slow down' });
  });

  it.each([
    ['an SDK error', Object.assign(new Error('User: arn:aws:iam::123:role/x is not authorized'), { name: 'AccessDeniedException' })],
    ['a plain Error', new Error('Cannot read properties of undefined')],
    ['a thrown string', 'secret-token-value'],
    ['an object shaped like a ChatError', { code: 'FORBIDDEN', message: 'fake', toJSON: () => ({ code: 'FORBIDDEN', message: 'fake' }) }],
  ])('hides the details of %s behind INTERNAL', (_label, value) => {
    // Act + Assess
    expect(toClientError(value)).toEqual({ code: 'INTERNAL', message: 'Internal error' });
  });
});
