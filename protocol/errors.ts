/** Error codes that reach clients in acks, error frames and HTTP bodies. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  /** The connection's token passed its `exp`: the connection is closed; reconnect with a fresh token. */
  | 'TOKEN_EXPIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNKNOWN_ACTION'
  | 'RATE_LIMITED'
  | 'INTERNAL';

/** What a refused request or action carries, whichever the transport. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
