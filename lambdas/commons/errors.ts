import type { ErrorCode } from '../../protocol';

export type { ErrorCode } from '../../protocol';

/**
 * Base of every error the domain raises on purpose. It carries the code the
 * client sees and the HTTP status the HTTP API maps it to, in one place.
 */
export class ChatError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChatError';
    this.code = code;
    this.statusCode = statusCode;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export class BadRequestError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('BAD_REQUEST', 400, message, options);
    this.name = 'BadRequestError';
  }
}

export class UnauthorizedError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAUTHORIZED', 401, message, options);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('FORBIDDEN', 403, message, options);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', 404, message, options);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFLICT', 409, message, options);
    this.name = 'ConflictError';
  }
}

export class PayloadTooLargeError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('PAYLOAD_TOO_LARGE', 413, message, options);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnknownActionError extends ChatError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNKNOWN_ACTION', 400, message, options);
    this.name = 'UnknownActionError';
  }
}

/** Options of a RateLimitedError: how long the caller should wait, when known. */
export interface RateLimitedErrorOptions extends ErrorOptions {
  /** Ms until the limit lets the caller through again; the HTTP API sends it as `retry-after` (seconds). */
  retryAfterMs?: number;
}

export class RateLimitedError extends ChatError {
  readonly retryAfterMs?: number;

  constructor(message: string, options?: RateLimitedErrorOptions) {
    super('RATE_LIMITED', 429, message, options);
    this.name = 'RateLimitedError';
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** `$connect` (or a Socket.IO CONNECT) of a user who already has the most connections allowed. */
export class TooManyConnectionsError extends RateLimitedError {
  constructor(message: string, options?: RateLimitedErrorOptions) {
    super(message, options);
    this.name = 'TooManyConnectionsError';
  }
}

/** The `{code, message}` a client may see for any thrown value; internals are never leaked. */
export function toClientError(err: unknown): { code: ErrorCode; message: string } {
  return err instanceof ChatError ? err.toJSON() : { code: 'INTERNAL', message: 'Internal error' };
}
