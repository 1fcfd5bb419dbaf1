import { createHmac } from 'node:crypto';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UnauthorizedError } from '../../../../lambdas/commons/errors';
import { createTokenVerifier, readAuthConfig } from '../../../../lambdas/adapters/jwt-verifier';
import type { TokenVerifier } from '../../../../lambdas/domain/ports';
import { b64, signToken, TEST_SECRET } from '../tokens';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const hsVerifier = (): TokenVerifier => createTokenVerifier({ source: { kind: 'secret', secret: TEST_SECRET } });

/** Signs header.payload with HMAC-SHA256 by hand, so the test controls every byte. */
function handSigned(header: unknown, payload: unknown, key: string | Buffer = TEST_SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

describe('Function: readAuthConfig', () => {
  it('accepts exactly one key source and the optional issuer and audience', () => {
    // Prepare
    const env = { JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', JWT_ISSUER: 'https://idp.example.com', JWT_AUDIENCE: 'lettera' };

    // Act
    const config = readAuthConfig(env);

    // Assess
    expect(config).toEqual({
      source: { kind: 'jwks', jwksUrl: 'https://idp.example.com/.well-known/jwks.json' },
      issuer: 'https://idp.example.com',
      audience: 'lettera',
    });
  });

  it('refuses no key source with a clear error', () => {
    // Act + Assess
    expect(() => readAuthConfig({})).toThrow(/exactly one of JWT_ACCESS_SECRET, JWT_SECRET_ARN or JWT_JWKS_URL; got none/);
  });

  it('refuses two key sources, naming them', () => {
    // Act + Assess
    expect(() => readAuthConfig({ JWT_ACCESS_SECRET: TEST_SECRET, JWT_SECRET_ARN: 'arn:aws:secretsmanager:x' })).toThrow(
      /got JWT_ACCESS_SECRET, JWT_SECRET_ARN/,
    );
  });

  it('refuses a short shared secret and a non-URL JWKS', () => {
    // Act + Assess
    expect(() => readAuthConfig({ JWT_ACCESS_SECRET: 'short' })).toThrow(/at least 32 bytes/);
    expect(() => readAuthConfig({ JWT_JWKS_URL: 'idp.example.com' })).toThrow(/http\(s\) URL/);
  });
});

describe('Function: createTokenVerifier (shared secret)', () => {
  it('returns the user id from sub and the expiry', async () => {
    // Prepare
    const token = await signToken('alice');

    // Act
    const identity = await hsVerifier()(token);

    // Assess
    expect(identity.userId).toBe('alice');
    expect(identity.expiresAt).toBeGreaterThan(nowSeconds());
  });

  it('accepts a userId claim when sub is absent', async () => {
    // Prepare
    const token = await signToken(null, { userId: 'bob' });

    // Act + Assess
    await expect(hsVerifier()(token)).resolves.toMatchObject({ userId: 'bob' });
  });

  it.each([
    ['an empty string', ''],
    ['two parts', 'aaa.bbb'],
    ['bad base64', 'a$$.b$$.c$$'],
    ['garbage', 'not-a-token'],
  ])('refuses a malformed token: %s', async (_name, token) => {
    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a payload that is not a JSON object', async () => {
    // Prepare
    const token = handSigned({ alg: 'HS256' }, '"just a string"');

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses alg none', async () => {
    // Prepare
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', exp: nowSeconds() + 60 })}.`;

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a token signed with another key', async () => {
    // Prepare
    const token = await signToken('alice', {}, 'another-secret-that-is-long-enough-for-hs256');

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses an RS256 token (algorithm not allowed for a shared secret)', async () => {
    // Prepare
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('alice').setExpirationTime('1h').sign(privateKey);

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses an expired token (beyond the clock tolerance)', async () => {
    // Prepare
    const token = await signToken('alice', { exp: nowSeconds() - 60 });

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toThrow('Token expired');
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    // Prepare
    const token = await signToken('alice', { nbf: nowSeconds() + 600 });

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toThrow(/"nbf"/);
  });

  it('refuses a token without exp', async () => {
    // Prepare
    const token = handSigned({ alg: 'HS256' }, { sub: 'alice', iat: nowSeconds() });

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toThrow(/"exp"/);
  });

  it('refuses a token without sub or userId', async () => {
    // Prepare
    const token = await signToken(null);

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toThrow(/no acceptable user id/);
  });

  it.each([
    ['a number', 42],
    ['too long', 'x'.repeat(129)],
    ['a key separator', 'alice#1'],
    ['a room separator', 'user:alice'],
  ])('refuses a user id that is %s', async (_name, userId) => {
    // Prepare
    const token = handSigned({ alg: 'HS256' }, { userId, exp: nowSeconds() + 60 });

    // Act + Assess
    await expect(hsVerifier()(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('keeps a __proto__ claim inert', async () => {
    // Prepare
    const token = handSigned({ alg: 'HS256' }, JSON.parse(`{"sub":"alice","exp":${nowSeconds() + 60},"__proto__":{"admin":true}}`));

    // Act
    const identity = await hsVerifier()(token);

    // Assess
    expect(identity.userId).toBe('alice');
    expect(({} as { admin?: boolean }).admin).toBeUndefined();
  });

  it('checks issuer and audience when configured', async () => {
    // Prepare
    const verify = createTokenVerifier({ source: { kind: 'secret', secret: TEST_SECRET }, issuer: 'lettera', audience: 'web' });
    const good = await signToken('alice', { iss: 'lettera', aud: 'web' });
    const wrongIssuer = await signToken('alice', { iss: 'evil', aud: 'web' });
    const wrongAudience = await signToken('alice', { iss: 'lettera', aud: 'other' });

    // Act + Assess
    await expect(verify(good)).resolves.toMatchObject({ userId: 'alice' });
    await expect(verify(wrongIssuer)).rejects.toThrow(/"iss"/);
    await expect(verify(wrongAudience)).rejects.toThrow(/"aud"/);
  });
});

describe('Function: createTokenVerifier (secret from Secrets Manager)', () => {
  it('loads the secret once and caches it', async () => {
    // Prepare
    const loadSecret = vi.fn().mockResolvedValue(TEST_SECRET);
    const verify = createTokenVerifier({ source: { kind: 'secretArn', secretArn: 'arn:secret' } }, { loadSecret });

    // Act
    await verify(await signToken('alice'));
    await verify(await signToken('bob'));

    // Assess
    expect(loadSecret).toHaveBeenCalledTimes(1);
    expect(loadSecret).toHaveBeenCalledWith('arn:secret');
  });

  it('retries a failed load on the next call and surfaces the failure as an error, not a 401', async () => {
    // Prepare
    const loadSecret = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue(TEST_SECRET);
    const verify = createTokenVerifier({ source: { kind: 'secretArn', secretArn: 'arn:secret' } }, { loadSecret });
    const token = await signToken('alice');

    // Act
    const first = verify(token);

    // Assess
    await expect(first).rejects.toThrow('throttled');
    await expect(first).rejects.not.toBeInstanceOf(UnauthorizedError);
    await expect(verify(token)).resolves.toMatchObject({ userId: 'alice' });
  });
});

describe('Function: createTokenVerifier (JWKS)', () => {
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let es: Awaited<ReturnType<typeof generateKeyPair>>;
  let verify: TokenVerifier;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    es = await generateKeyPair('ES256', { extractable: true });
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' },
      { ...(await exportJWK(es.publicKey)), kid: 'ec', alg: 'ES256' },
    ];
    verify = createTokenVerifier(
      { source: { kind: 'jwks', jwksUrl: 'https://idp.example.com/jwks' } },
      { getKey: createLocalJWKSet({ keys }) },
    );
  });

  it('accepts RS256 and ES256 tokens from the key set', async () => {
    // Prepare
    const rsToken = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa' }).setSubject('alice').setExpirationTime('1h').sign(rsa.privateKey);
    const esToken = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'ec' }).setSubject('bob').setExpirationTime('1h').sign(es.privateKey);

    // Act + Assess
    await expect(verify(rsToken)).resolves.toMatchObject({ userId: 'alice' });
    await expect(verify(esToken)).resolves.toMatchObject({ userId: 'bob' });
  });

  it('refuses an HS256 token signed with the RSA public key PEM as the secret (key confusion)', async () => {
    // Prepare
    const pem = await exportSPKI(rsa.publicKey);
    const token = handSigned({ alg: 'HS256', kid: 'rsa' }, { sub: 'mallory', exp: nowSeconds() + 60 }, Buffer.from(pem));

    // Act + Assess
    await expect(verify(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a token signed by a key outside the set', async () => {
    // Prepare
    const other = await generateKeyPair('RS256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa' }).setSubject('alice').setExpirationTime('1h').sign(other.privateKey);

    // Act + Assess
    await expect(verify(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('surfaces a JWKS timeout as an internal error, not as a bad token', async () => {
    // Prepare
    const { errors } = await import('jose');
    const timingOut = createTokenVerifier(
      { source: { kind: 'jwks', jwksUrl: 'https://idp.example.com/jwks' } },
      { getKey: async () => { throw new errors.JWKSTimeout(); } },
    );
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa' }).setSubject('alice').setExpirationTime('1h').sign(rsa.privateKey);

    // Act + Assess
    await expect(timingOut(token)).rejects.not.toBeInstanceOf(UnauthorizedError);
  });
});
