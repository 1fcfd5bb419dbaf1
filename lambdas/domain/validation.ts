/**
 * Strict payload validation shared by the WebSocket actions and the HTTP API:
 * plain objects only, unknown fields refused (so a spoofed `senderId` can't
 * slip through), strings typed and bounded, before any DynamoDB call.
 */
import { BadRequestError, PayloadTooLargeError } from '../commons/errors';
import { MAX_CONTENT_LENGTH } from '../../protocol';

/**
 * User ids become parts of DynamoDB keys (`user:{id}`, `idem#{id}#…`), so
 * they are limited to a charset without the separators `:` and `#`.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@+-]{1,128}$/;

/** True when the value is acceptable as a user id. */
export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

/** Message ids are ULIDs (see commons/ids.ts); markers ('idem#…') never match. */
export const MESSAGE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/**
 * A message id an app keeps when it publishes (ULIDs, Mongo ObjectIds,
 * UUIDs, numbers…): the safe key charset, and a first character below `i`,
 * so every one sorts before the idempotency markers (`idem#…`) that share
 * the chat's partition and history pages never meet a marker. Every ULID
 * matches, so history cursors accept either.
 */
export const APP_MESSAGE_ID_PATTERN = /^[-.0-9A-Z_a-h][A-Za-z0-9_.-]{0,63}$/;
/** Chat ids: what sortableId makes, or a caller's own id in the same safe charset as user ids. */
export const CHAT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Client message ids become part of a key (`idem#{sender}#{id}`): no separators. */
export const CLIENT_MESSAGE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_TITLE_LENGTH = 200;

// In a u-mode regex a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/** A JSON object that is not an array or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that a value is an object with only the allowed keys and all the
 * required ones. `__proto__` from JSON.parse is an own key, so it is refused
 * like any other unknown field.
 *
 * @example
 * const data = expectFields(frame.data, ['chatId'], ['chatId']);
 */
export function expectFields(
  value: unknown,
  allowed: readonly string[],
  required: readonly string[],
  what = 'data',
): Record<string, unknown> {
  if (!isPlainObject(value)) throw new BadRequestError(`${what} must be an object`);
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new BadRequestError(`${what} has unknown field(s): ${unknown.slice(0, 5).join(', ')}`);
  for (const key of required) {
    if (!Object.hasOwn(value, key) || value[key] === undefined) throw new BadRequestError(`${what}.${key} is required`);
  }
  return value;
}

function stringField(value: unknown, name: string, pattern: RegExp): string {
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be a string`);
  if (!pattern.test(value)) throw new BadRequestError(`${name} is not a valid id`);
  return value;
}

export const chatIdOf = (value: unknown, name = 'chatId'): string => stringField(value, name, CHAT_ID_PATTERN);
export const messageIdOf = (value: unknown, name = 'messageId'): string => stringField(value, name, MESSAGE_ID_PATTERN);
export function appMessageIdOf(value: unknown, name = 'messageId'): string {
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be a string`);
  if (!APP_MESSAGE_ID_PATTERN.test(value)) {
    throw new BadRequestError(`${name} must be 1-64 letters, digits, "_", "." or "-", starting with a digit, A-Z, a-h, "_", "." or "-"`);
  }
  return value;
}
export const clientMessageIdOf = (value: unknown): string => stringField(value, 'clientMessageId', CLIENT_MESSAGE_ID_PATTERN);
export function userIdOf(value: unknown, name = 'userId'): string {
  if (!isValidUserId(value)) throw new BadRequestError(`${name} is not a valid user id`);
  return value;
}

/**
 * Message content: a string, not blank, at most MAX_CONTENT_LENGTH UTF-16
 * units, well-formed (no lone surrogates, which DynamoDB and JSON encoders
 * would mangle). Stored as sent, untrimmed.
 */
export function contentOf(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequestError('content must be a string');
  if (value.trim() === '') throw new BadRequestError('content must not be empty');
  if (value.length > MAX_CONTENT_LENGTH) {
    throw new PayloadTooLargeError(`content is longer than ${MAX_CONTENT_LENGTH} characters`);
  }
  if (LONE_SURROGATE.test(value)) throw new BadRequestError('content is not well-formed Unicode');
  return value;
}

/** A chat title: optional, a string of at most MAX_TITLE_LENGTH, well-formed. */
export function titleOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new BadRequestError('title must be a string');
  if (value.length > MAX_TITLE_LENGTH) throw new BadRequestError(`title is longer than ${MAX_TITLE_LENGTH} characters`);
  if (LONE_SURROGATE.test(value)) throw new BadRequestError('title is not well-formed Unicode');
  return value.trim();
}
