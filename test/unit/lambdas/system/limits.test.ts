import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  InvalidSettingError,
  LIMIT_KEYS,
  LIMIT_SETTINGS,
  limitsFromEnv,
  limitsToEnv,
  parseLimit,
} from '../../../../lambdas/system/limits';

describe('Function: limitsFromEnv', () => {
  it('gives every setting its default when nothing is set', () => {
    // Act
    const limits = limitsFromEnv({});

    // Assess
    expect(limits).toEqual({
      maxChatParticipants: 1000,
      fanOutSliceSize: 250,
      messageRateLimit: 20,
      messageRateWindowMs: 10_000,
      maxConnectionsPerUser: 20,
      maxChatsPerUser: 1000,
      chatChangeRateLimit: 30,
      chatChangeRateWindowMs: 60_000,
      presenceBroadcastMaxMembers: 100,
      callRingTimeoutMs: 30_000,
      callInviteRateLimit: 10,
      callSignalRateLimit: 200,
    });
    expect(limits).toEqual(DEFAULT_LIMITS);
  });

  it('reads each variable that is set, the others keep their defaults', () => {
    // Act
    const limits = limitsFromEnv({ MAX_CHAT_PARTICIPANTS: '2000', MESSAGE_RATE_LIMIT: ' 5 ' });

    // Assess
    expect(limits).toEqual({ ...DEFAULT_LIMITS, maxChatParticipants: 2000, messageRateLimit: 5 });
  });

  it.each([
    ['0', 'MAX_CHAT_PARTICIPANTS'],
    ['-5', 'MAX_CHAT_PARTICIPANTS'],
    ['lots', 'MAX_CHAT_PARTICIPANTS'],
    ['1.5', 'MAX_CHAT_PARTICIPANTS'],
    ['100001', 'MAX_CHAT_PARTICIPANTS'],
    ['1e3', 'MESSAGE_RATE_LIMIT'],
    ['5000000', 'MAX_CONNECTIONS_PER_USER'],
  ])('refuses %j for %s in one line naming the variable and the range', (value, name) => {
    // Act
    let caught: unknown;
    try {
      limitsFromEnv({ [name]: value });
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(InvalidSettingError);
    const error = caught as InvalidSettingError;
    expect(error.setting).toBe(name);
    expect(error.message).toMatch(new RegExp(`^${name} must be a whole number from \\d+ to \\d+ \\(.+\\), got "${value.replace(/[.]/g, '\\.')}"$`));
    expect(error.message).not.toContain('\n');
  });
});

describe('Function: parseLimit', () => {
  it('takes numbers (cdk.json) as well as text (-c key=value)', () => {
    // Act + Assess
    expect(parseLimit('maxChatParticipants', 'maxChatParticipants', 500)).toBe(500);
    expect(parseLimit('maxChatParticipants', 'maxChatParticipants', '500')).toBe(500);
    expect(() => parseLimit('maxChatParticipants', 'Context "maxChatParticipants"', true)).toThrow(/^Context "maxChatParticipants" must be a whole number/);
  });
});

describe('Constant: LIMIT_SETTINGS', () => {
  it('has defaults inside their own ranges and one variable per setting', () => {
    // Assess
    for (const key of LIMIT_KEYS) {
      const setting = LIMIT_SETTINGS[key];
      expect(setting.default, key).toBeGreaterThanOrEqual(setting.min);
      expect(setting.default, key).toBeLessThanOrEqual(setting.max);
      expect(setting.meaning.length, key).toBeGreaterThan(30);
    }
    expect(new Set(LIMIT_KEYS.map((key) => LIMIT_SETTINGS[key].env)).size).toBe(LIMIT_KEYS.length);
  });

  it('round-trips through the environment the functions get', () => {
    // Prepare
    const limits = { ...DEFAULT_LIMITS, maxChatParticipants: 1234 };

    // Act
    const read = limitsFromEnv(limitsToEnv(limits));

    // Assess
    expect(read).toEqual(limits);
  });
});
