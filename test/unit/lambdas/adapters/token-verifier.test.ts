import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifierFromEnv } from '../../../../lambdas/adapters/token-verifier';
import { UnauthorizedError } from '../../../../lambdas/commons/errors';
import { signToken, TEST_SECRET } from '../tokens';

const secretsManager = mockClient(SecretsManagerClient);
const STORED_SECRET = 'a-secret-kept-in-secrets-manager-32-bytes-or-more';

describe('Function: createTokenVerifierFromEnv', () => {
  afterEach(() => {
    secretsManager.reset();
  });

  it('verifies with JWT_ACCESS_SECRET and never calls Secrets Manager', async () => {
    // Prepare
    const verify = createTokenVerifierFromEnv({ JWT_ACCESS_SECRET: TEST_SECRET });

    // Act
    const identity = await verify(await signToken('alice'));

    // Assess
    expect(identity.userId).toBe('alice');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 0);
  });

  it('loads the secret named by JWT_SECRET_ARN once per cold start', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ secret: STORED_SECRET }) });
    const verify = createTokenVerifierFromEnv({ JWT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt' });

    // Act
    const first = await verify(await signToken('alice', {}, STORED_SECRET));
    const second = await verify(await signToken('bob', {}, STORED_SECRET));

    // Assess
    expect([first.userId, second.userId]).toEqual(['alice', 'bob']);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toReceiveCommandWith(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt' });
  });

  it('rejects a token signed with another secret than the stored one', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: STORED_SECRET });
    const verify = createTokenVerifierFromEnv({ JWT_SECRET_ARN: 'jwt' });

    // Act + Assess
    await expect(verify(await signToken('alice', {}, TEST_SECRET))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('applies JWT_ISSUER and JWT_AUDIENCE from the environment', async () => {
    // Prepare
    const verify = createTokenVerifierFromEnv({ JWT_ACCESS_SECRET: TEST_SECRET, JWT_ISSUER: 'lettera', JWT_AUDIENCE: 'realtime' });

    // Act
    const accepted = await verify(await signToken('alice', { iss: 'lettera', aud: 'realtime' }));
    const wrongIssuer = verify(await signToken('alice', { iss: 'someone-else', aud: 'realtime' }));
    const wrongAudience = verify(await signToken('alice', { iss: 'lettera', aud: 'other' }));

    // Assess
    expect(accepted.userId).toBe('alice');
    await expect(wrongIssuer).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(wrongAudience).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it.each([
    ['no key source', {}],
    ['two key sources', { JWT_ACCESS_SECRET: TEST_SECRET, JWT_SECRET_ARN: 'jwt' }],
  ])('fails at creation with %s', (_label, env) => {
    // Act + Assess
    expect(() => createTokenVerifierFromEnv(env)).toThrow(/Configure exactly one of JWT_ACCESS_SECRET, JWT_SECRET_ARN or JWT_JWKS_URL/);
  });

  it('fails at creation with a secret shorter than 32 bytes', () => {
    // Act + Assess
    expect(() => createTokenVerifierFromEnv({ JWT_ACCESS_SECRET: 'short' })).toThrow('JWT_ACCESS_SECRET must be at least 32 bytes long');
  });

  it('fails at creation with a JWKS URL that is not http(s), without fetching anything', () => {
    // Act + Assess
    expect(() => createTokenVerifierFromEnv({ JWT_JWKS_URL: 'file:///etc/passwd' })).toThrow('JWT_JWKS_URL must be an http(s) URL');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 0);
  });
});
