/**
 * Presence states: a user says they are `online`, `away` or `busy`, with an
 * optional short status text. The state lives on the user's Presence row,
 * so it survives reconnects and a presence query reads it with the rest;
 * the Presence stream carries a change to co-members as `user:status`
 * (through the same size rule as user:online).
 */
import { MAX_STATUS_TEXT_LENGTH, STATUS_THROTTLE_MS, type ClientActions, type PresenceState, type UserStatusData } from '../../protocol';
import { BadRequestError, PayloadTooLargeError, RateLimitedError } from '../commons/errors';
import type { PresenceStore } from './ports';
import { expectFields } from './validation';

export const PRESENCE_STATES: readonly PresenceState[] = ['online', 'away', 'busy'];

export interface StatusDeps {
  presence: Pick<PresenceStore, 'setStatus'>;
  /** Injected for tests. @default Date.now */
  now?: () => number;
}

// C0 and C1 controls (newlines and tabs included: a status is one line) and
// the bidirectional overrides and isolates, which could reorder what others see around it.
const UNSAFE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A status text as stored and shown: refused when not a string, longer than
 * MAX_STATUS_TEXT_LENGTH (as sent) or not well-formed Unicode; controls and
 * bidi overrides removed, runs of white space made one space, trimmed.
 * Undefined for no text (absent, or blank once cleaned), which clears it.
 *
 * @throws {BadRequestError} not a string, or lone surrogates
 * @throws {PayloadTooLargeError} longer than MAX_STATUS_TEXT_LENGTH
 *
 * @example
 * statusTextOf('  In a\nmeeting  '); // 'In a meeting'
 */
export function statusTextOf(value: unknown, name = 'text'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be a string`);
  if (value.length > MAX_STATUS_TEXT_LENGTH) throw new PayloadTooLargeError(`${name} is longer than ${MAX_STATUS_TEXT_LENGTH} characters`);
  if (LONE_SURROGATE.test(value)) throw new BadRequestError(`${name} is not well-formed Unicode`);
  const clean = value.replace(UNSAFE, ' ').replace(/\s+/gu, ' ').trim();
  return clean === '' ? undefined : clean;
}

/**
 * The `user:status` payload (WebSocket data or HTTP body): `state` one of
 * PRESENCE_STATES, `text` optional (see statusTextOf), nothing else.
 *
 * @throws {BadRequestError | PayloadTooLargeError}
 */
export function parseStatus(data: unknown, what = 'data'): ClientActions['user:status'] {
  const fields = expectFields(data, ['state', 'text'], ['state'], what);
  if (typeof fields.state !== 'string' || !(PRESENCE_STATES as readonly string[]).includes(fields.state)) {
    throw new BadRequestError(`${what}.state must be one of ${PRESENCE_STATES.join(', ')}`);
  }
  const text = statusTextOf(fields.text, `${what}.text`);
  return { state: fields.state as PresenceState, ...(text !== undefined && { text }) };
}

/**
 * Sets the caller's state and text; at most one change per user per
 * STATUS_THROTTLE_MS (a status flapping between away and online would be a
 * broadcast to every co-member each time).
 *
 * @throws {RateLimitedError} a change less than STATUS_THROTTLE_MS ago (nothing written)
 *
 * @example
 * await setStatus(deps, 'alice', { state: 'busy', text: 'In a meeting' });
 * // { userId: 'alice', state: 'busy', text: 'In a meeting', at: '2026-11-29T12:00:00.000Z' }
 */
export async function setStatus(deps: StatusDeps, userId: string, status: ClientActions['user:status']): Promise<UserStatusData> {
  const nowMs = (deps.now ?? Date.now)();
  const write = await deps.presence.setStatus(userId, status, nowMs, STATUS_THROTTLE_MS);
  if (write.outcome === 'refused') {
    throw new RateLimitedError(`At most one status change per ${STATUS_THROTTLE_MS} ms`, { retryAfterMs: write.retryAfterMs });
  }
  return { userId, state: status.state, ...(status.text !== undefined && { text: status.text }), at: new Date(nowMs).toISOString() };
}
