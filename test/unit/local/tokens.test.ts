import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, resolveJwtSecret, signDevToken } from '../../../local/tokens';

describe('Function: resolveJwtSecret', () => {
  it('prefers JWT_ACCESS_SECRET and falls back to the flagged development secret', () => {
    // Act
    const fromEnv = resolveJwtSecret({ JWT_ACCESS_SECRET: 'mine' });
    const fallback = resolveJwtSecret({});

    // Assess
    expect(fromEnv).toEqual({ secret: 'mine', isDevelopmentDefault: false });
    expect(fallback).toEqual({ secret: DEV_JWT_SECRET, isDevelopmentDefault: true });
  });
});

describe('Function: signDevToken', () => {
  it('signs HS256 with sub and exp', async () => {
    // Act
    const token = await signDevToken('alice', { secret: DEV_JWT_SECRET, expiresIn: '1h' });

    // Assess
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    expect(decodeJwt(token)).toMatchObject({ sub: 'alice', exp: expect.any(Number) });
  });
});
