/**
 * Builds the process's token verifier from the environment, for handler
 * modules. The Secrets Manager client is only created when JWT_SECRET_ARN is
 * the configured source (the secret is then fetched once per cold start).
 * It lives here rather than in commons/clients.ts so functions that never
 * verify tokens don't bundle the Secrets Manager SDK.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenVerifier } from '../domain/ports';
import { createTokenVerifier, readAuthConfig } from './jwt-verifier';
import { createSecretLoader } from './secrets';

/**
 * @example
 * const verifyToken = createTokenVerifierFromEnv(); // module scope: a bad configuration fails the cold start
 */
export function createTokenVerifierFromEnv(env: NodeJS.ProcessEnv = process.env): TokenVerifier {
  const config = readAuthConfig(env);
  const loadSecret =
    config.source.kind === 'secretArn' ? createSecretLoader(new SecretsManagerClient({})) : undefined;
  return createTokenVerifier(config, { ...(loadSecret !== undefined && { loadSecret }) });
}
