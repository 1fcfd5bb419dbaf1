/**
 * Limits every side must agree on: the server enforces them, the client and
 * the demo page check them before sending so a user hears about it at once.
 */

/** Largest message content accepted, in characters: well under the 32 KB frame. */
export const MAX_CONTENT_LENGTH = 4000;

/** How long a typing indicator lives on the receiving side without a refresh. */
export const TYPING_EXPIRES_IN_MS = 3000;

/** At most one typing broadcast per user per chat per this many ms. */
export const TYPING_THROTTLE_MS = 1000;

/** Most users one presence query (`GET /presence`, `presence:query`) may name: one DynamoDB BatchGetItem. */
export const MAX_PRESENCE_QUERY_USERS = 100;

/** Longest status text (`user:status`), in UTF-16 units: a short note ("In a meeting until 3"), not a message. */
export const MAX_STATUS_TEXT_LENGTH = 100;

/** At most one status change (`user:status`) per user per this many ms; a faster one is refused with RATE_LIMITED. */
export const STATUS_THROTTLE_MS = 1000;
/** At most one `message:read` broadcast per reader per chat per this many ms (the latest position wins). */
export const READ_THROTTLE_MS = 1000;
