/**
 * Secrets Manager access for the JWT secret. The secret string is either the
 * key itself or a JSON object with a `secret` field (the shape CDK's
 * `generateSecretString` with a template produces).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Returns a loader of secret values over the given client.
 *
 * @example
 * const loadSecret = createSecretLoader(new SecretsManagerClient({}));
 * const key = await loadSecret(process.env.JWT_SECRET_ARN!);
 */
export function createSecretLoader(client: SecretsManagerClient): (secretId: string) => Promise<string> {
  return async (secretId) => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined || SecretString === '') {
      throw new Error(`Secret ${secretId} has no string value`);
    }
    if (SecretString.trimStart().startsWith('{')) {
      const parsed: unknown = JSON.parse(SecretString);
      const value = (parsed as { secret?: unknown }).secret;
      if (typeof value !== 'string' || value === '') {
        throw new Error(`Secret ${secretId} is JSON without a string "secret" field`);
      }
      return value;
    }
    return SecretString;
  };
}
