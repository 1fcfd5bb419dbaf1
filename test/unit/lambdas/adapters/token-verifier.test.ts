import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET_MIN_REFRESH_INTERVAL_MS, SECRET_TTL_MS } from '../../../../lambdas/adapters/secrets';
import { createTokenVerifierFromEnv } from '../../../../lambdas/adapters/token-verifier';
import { UnauthorizedError } from '../../../../lambdas/commons/errors';
import { signToken, TEST_SECRET } from '../tokens';

const secretsManager = mockClient(SecretsManagerClient);
const STORED_SECRET = 'a-secret-kept-in-secrets-manager-32-bytes-or-more';
const NEW_SECRET = 'the-secret-put-after-deploying-also-32-bytes-long';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt';

/** A verifier over JWT_SECRET_ARN with a clock the test moves by hand. */
function verifierWithClock() {
  let time = 1_000_000;
  const verify = createTokenVerifierFromEnv({ JWT_SECRET_ARN: SECRET_ARN }, { secretCache: { now: () => time } });
  return { verify, advance: (ms: number) => void (time += ms) };
}

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

  it('reads the secret named by JWT_SECRET_ARN once, not per token', async () => {
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

  it('reads the secret again once its cache time has passed', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: STORED_SECRET }).resolves({ SecretString: NEW_SECRET });
    const { verify, advance } = verifierWithClock();
    await verify(await signToken('alice', {}, STORED_SECRET));

    // Act
    advance(SECRET_TTL_MS);
    const identity = await verify(await signToken('bob', {}, NEW_SECRET));

    // Assess
    expect(identity.userId).toBe('bob');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('accepts a token signed with a secret put after the instance started, after one re-read', async () => {
    // Prepare: the instance read the generated value; the user then puts the issuer's secret
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: STORED_SECRET }).resolves({ SecretString: NEW_SECRET });
    const { verify, advance } = verifierWithClock();
    await verify(await signToken('alice', {}, STORED_SECRET));
    advance(SECRET_MIN_REFRESH_INTERVAL_MS);

    // Act
    const identity = await verify(await signToken('bob', {}, NEW_SECRET));
    const again = await verify(await signToken('carol', {}, NEW_SECRET));

    // Assess
    expect([identity.userId, again.userId]).toEqual(['bob', 'carol']);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('re-reads at most once per refresh interval however many badly signed tokens arrive', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: STORED_SECRET });
    const { verify, advance } = verifierWithClock();
    await verify(await signToken('alice', {}, STORED_SECRET));
    advance(SECRET_MIN_REFRESH_INTERVAL_MS);
    const forged = await signToken('mallory', {}, 'a-forged-secret-that-is-long-enough-for-hs256');

    // Act
    const outcomes = [];
    for (let i = 0; i < 50; i++) outcomes.push(await verify(forged).catch((err: unknown) => err));
    advance(SECRET_MIN_REFRESH_INTERVAL_MS);
    outcomes.push(await verify(forged).catch((err: unknown) => err));

    // Assess
    expect(outcomes.every((outcome) => outcome instanceof UnauthorizedError)).toBe(true);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 3);
  });

  it('does not re-read the secret for a token refused for another reason than its signature', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: STORED_SECRET });
    const { verify, advance } = verifierWithClock();
    await verify(await signToken('alice', {}, STORED_SECRET));
    advance(SECRET_MIN_REFRESH_INTERVAL_MS);

    // Act
    const expired = verify(await signToken('alice', { exp: Math.floor(Date.now() / 1000) - 3600 }, STORED_SECRET));

    // Assess
    await expect(expired).rejects.toThrow('Token expired');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('refuses the token with its own error when the re-read fails, and keeps verifying with the cached secret', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: STORED_SECRET }).rejects(new Error('AccessDeniedException'));
    const { verify, advance } = verifierWithClock();
    await verify(await signToken('alice', {}, STORED_SECRET));
    advance(SECRET_MIN_REFRESH_INTERVAL_MS);

    // Act
    const refused = verify(await signToken('bob', {}, NEW_SECRET));

    // Assess
    await expect(refused).rejects.toThrow(new UnauthorizedError('Invalid token'));
    await expect(verify(await signToken('carol', {}, STORED_SECRET))).resolves.toMatchObject({ userId: 'carol' });
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
