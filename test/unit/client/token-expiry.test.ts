import { describe, expect, it } from 'vitest';
import { MIN_RENEWAL_DELAY_MS, renewalDelay, tokenExpiry } from '../../../client/src/token-expiry';

/** An unsigned JWT-shaped token with these claims (the client never checks signatures). */
function jwtWith(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(claims)}.signature`;
}

const NOW = 1_764_204_000_000;
const HOUR = 3_600_000;

describe('Function: tokenExpiry', () => {
  it("reads a JWT's numeric exp, base64url included", () => {
    // Act + Assess
    expect(tokenExpiry(jwtWith({ sub: 'ü?>', exp: 1_764_207_600 }))).toBe(1_764_207_600);
  });

  it.each([
    ['no token', undefined],
    ['an opaque token', 'token-1'],
    ['a JWT without exp', jwtWith({ sub: 'alice' })],
    ['a JWT with a string exp', jwtWith({ exp: '1764207600' })],
    ['a payload that is not JSON', 'a.bm90IGpzb24.c'],
  ])('has no expiry for %s', (_name, token) => {
    // Act + Assess
    expect(tokenExpiry(token)).toBeUndefined();
  });
});

describe('Function: renewalDelay', () => {
  const MAX_AGE = 115 * 60_000;

  it('renews `margin` before exp when that comes before the age cap', () => {
    // Act + Assess
    expect(renewalDelay(jwtWith({ exp: (NOW + HOUR) / 1000 }), NOW, MAX_AGE, 60_000)).toBe(HOUR - 60_000);
  });

  it('keeps the age cap for a token that outlives it, and for a token without a readable exp', () => {
    // Act + Assess
    expect(renewalDelay(jwtWith({ exp: (NOW + 24 * HOUR) / 1000 }), NOW, MAX_AGE, 60_000)).toBe(MAX_AGE);
    expect(renewalDelay('opaque', NOW, MAX_AGE, 60_000)).toBe(MAX_AGE);
  });

  it('renews halfway to exp a token shorter-lived than the margin, and never sooner than the floor', () => {
    // Act + Assess
    expect(renewalDelay(jwtWith({ exp: (NOW + 40_000) / 1000 }), NOW, MAX_AGE, 60_000)).toBe(20_000);
    expect(renewalDelay(jwtWith({ exp: (NOW + 500) / 1000 }), NOW, MAX_AGE, 60_000)).toBe(MIN_RENEWAL_DELAY_MS);
  });

  it('leaves an already expired token to the server (the age cap)', () => {
    // Act + Assess
    expect(renewalDelay(jwtWith({ exp: NOW / 1000 - 1 }), NOW, MAX_AGE, 60_000)).toBe(MAX_AGE);
  });
});
