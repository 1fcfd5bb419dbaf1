import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretLoader } from '../../../../lambdas/adapters/secrets';

const sm = mockClient(SecretsManagerClient);
const loadSecret = createSecretLoader(new SecretsManagerClient({}));

describe('Function: createSecretLoader', () => {
  afterEach(() => {
    sm.reset();
  });

  it('returns a plain secret string', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'plain-secret' });

    // Act + Assess
    await expect(loadSecret('arn:s')).resolves.toBe('plain-secret');
    expect(sm).toReceiveCommandWith(GetSecretValueCommand, { SecretId: 'arn:s' });
  });

  it('returns the "secret" field of a JSON secret and refuses JSON without it', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: '{"secret":"from-json"}' }).resolves({ SecretString: '{"other":1}' });

    // Act + Assess
    await expect(loadSecret('arn:s')).resolves.toBe('from-json');
    await expect(loadSecret('arn:s')).rejects.toThrow(/without a string "secret" field/);
  });
});
