import { describe, expect, it, vi } from 'vitest';
import { BadRequestError, PayloadTooLargeError, RateLimitedError } from '../../../../lambdas/commons/errors';
import type { PresenceStore } from '../../../../lambdas/domain/ports';
import { parseStatus, setStatus, statusTextOf } from '../../../../lambdas/domain/status';
import { MAX_STATUS_TEXT_LENGTH, STATUS_THROTTLE_MS } from '../../../../protocol';

describe('Function: statusTextOf', () => {
  it.each([
    ['trims and makes runs of white space one space', '  In a \\t meeting  ', 'In a meeting'],
    ['turns newlines and other controls into spaces', 'Back\\nat\\u00003', 'Back at 3'],
    ['removes bidi overrides and isolates', 'ok\\u202Egnp.exe\\u2066', 'ok gnp.exe'],
    ['keeps emoji and their joiners', 'Away 👩‍💻', 'Away 👩‍💻'],
  ])('%s', (_label, raw, expected) => {
    // Act + Assess
    expect(statusTextOf(JSON.parse(`"${raw}"`))).toBe(expected);
  });

  it('reads absent or blank text as none (which clears it)', () => {
    // Act + Assess
    expect(statusTextOf(undefined)).toBeUndefined();
    expect(statusTextOf(' \n ')).toBeUndefined();
  });

  it('accepts exactly the maximum and refuses one more with PAYLOAD_TOO_LARGE', () => {
    // Act + Assess
    expect(statusTextOf('x'.repeat(MAX_STATUS_TEXT_LENGTH))).toHaveLength(MAX_STATUS_TEXT_LENGTH);
    expect(() => statusTextOf('x'.repeat(MAX_STATUS_TEXT_LENGTH + 1))).toThrow(PayloadTooLargeError);
  });

  it.each([
    ['a number', 7],
    ['null', null],
    ['an object', { text: 'hi' }],
    ['a lone surrogate', 'broken \ud800'],
  ])('refuses %s with BAD_REQUEST', (_label, value) => {
    // Act + Assess
    expect(() => statusTextOf(value)).toThrow(BadRequestError);
  });
});

describe('Function: parseStatus', () => {
  it('takes a state and an optional text', () => {
    // Act + Assess
    expect(parseStatus({ state: 'busy', text: ' Focus ' })).toEqual({ state: 'busy', text: 'Focus' });
    expect(parseStatus({ state: 'online' })).toEqual({ state: 'online' });
    expect(parseStatus({ state: 'away', text: '' })).toEqual({ state: 'away' });
  });

  it.each([
    ['an unknown state', { state: 'asleep' }],
    ['a state that is not a string', { state: 1 }],
    ['no state', { text: 'hi' }],
    ['an unknown field', { state: 'busy', userId: 'bob' }],
    ['not an object', 'busy'],
  ])('refuses %s with BAD_REQUEST', (_label, data) => {
    // Act + Assess
    expect(() => parseStatus(data)).toThrow(BadRequestError);
  });
});

describe('Function: setStatus', () => {
  const NOW = Date.parse('2026-11-29T12:00:00.000Z');

  it('writes the status at now with the throttle and answers what co-members will see', async () => {
    // Prepare
    const store = vi.fn<PresenceStore['setStatus']>().mockResolvedValue({ outcome: 'written' });

    // Act
    const result = await setStatus({ presence: { setStatus: store }, now: () => NOW }, 'alice', { state: 'busy', text: 'Focus' });

    // Assess
    expect(result).toEqual({ userId: 'alice', state: 'busy', text: 'Focus', at: '2026-11-29T12:00:00.000Z' });
    expect(store).toHaveBeenCalledWith('alice', { state: 'busy', text: 'Focus' }, NOW, STATUS_THROTTLE_MS);
  });

  it('throws RATE_LIMITED with the wait when the store refused within the throttle', async () => {
    // Prepare
    const store = vi.fn<PresenceStore['setStatus']>().mockResolvedValue({ outcome: 'refused', retryAfterMs: 400 });

    // Act
    const attempt = setStatus({ presence: { setStatus: store }, now: () => NOW }, 'alice', { state: 'away' });

    // Assess
    await expect(attempt).rejects.toThrow(RateLimitedError);
    await expect(attempt).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 400 });
  });
});
