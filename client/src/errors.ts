import type { ErrorCode } from '../../protocol';

/** Codes a client error can carry: the server's codes plus the client's own. */
export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'DISCONNECTED' | 'GATEWAY_ERROR' | 'HTTP_ERROR';

/**
 * An error an ack, `emitWithAck` or the history fetch reports. `code` is the
 * server's code (`FORBIDDEN`, `BAD_REQUEST`, ...), `TIMEOUT` when no ack
 * came in time, `DISCONNECTED` when its connection closed, or
 * `GATEWAY_ERROR` when API Gateway answered with an error frame (the
 * backend failed or passed its 29 s integration timeout; the message may
 * be stored: retry a send with the same `clientMessageId`).
 *
 * @example
 * try {
 *   await socket.emitWithAck('message:send', { chatId, content });
 * } catch (err) {
 *   if (err instanceof ClientError && err.code === 'FORBIDDEN') showNotAMember();
 * }
 */
export class ClientError extends Error {
  readonly code: ClientErrorCode | (string & {});

  constructor(code: ClientErrorCode | (string & {}), message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClientError';
    this.code = code;
  }
}

/** An ack did not arrive within the timeout. */
export class AckTimeoutError extends ClientError {
  constructor(ms: number) {
    super('TIMEOUT', `operation has timed out after ${ms} ms`);
    this.name = 'AckTimeoutError';
  }
}

/** The connection an ack was awaited on closed before the ack came. */
export class DisconnectedError extends ClientError {
  constructor() {
    super('DISCONNECTED', 'socket has been disconnected');
    this.name = 'DisconnectedError';
  }
}

/**
 * A caught value as an Error: WebSocket error events and auth functions may
 * hand over anything.
 *
 * @example
 * try {
 *   await resolveAuth(auth);
 * } catch (err) {
 *   report(toError(err, 'auth function failed')); // an Error, whatever was thrown
 * }
 */
export function toError(value: unknown, fallback: string): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' && value ? value : fallback);
}
