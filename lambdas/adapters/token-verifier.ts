/**
 * Builds the process's token verifier from the environment, for handler
 * modules. The Secrets Manager client is only created when JWT_SECRET_ARN is
 * the configured source. It lives here rather than in commons/clients.ts so
 * functions that never verify tokens don't bundle the Secrets Manager SDK.
 *
 * A secret from Secrets Manager is cached for SECRET_TTL_MS, and a token
 * whose signature does not verify triggers one re-read of the secret (at most
 * one per SECRET_MIN_REFRESH_INTERVAL_MS per instance): a secret put or
 * rotated after deployment is picked up by warm instances without letting
 * bad tokens turn every request into a Secrets Manager call.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errors as joseErrors } from 'jose';
import { UnauthorizedError } from '../commons/errors';
import type { TokenVerifier } from '../domain/ports';
import { createTokenVerifier, readAuthConfig, type AuthConfig } from './jwt-verifier';
import { createCachedSecret, createSecretLoader, type CachedSecret, type CachedSecretOptions } from './secrets';

export interface TokenVerifierFromEnvDeps {
  /** @default a new SecretsManagerClient, created only for a JWT_SECRET_ARN source */
  readonly secretsManager?: SecretsManagerClient;
  /** Cache timing and clock of the secret (tests pass a fake clock). */
  readonly secretCache?: CachedSecretOptions;
}

/**
 * @example
 * const verifyToken = createTokenVerifierFromEnv(); // module scope: a bad configuration fails the cold start
 */
export function createTokenVerifierFromEnv(env: NodeJS.ProcessEnv = process.env, deps: TokenVerifierFromEnvDeps = {}): TokenVerifier {
  const config = readAuthConfig(env);
  if (config.source.kind !== 'secretArn') return createTokenVerifier(config);
  const { secretArn } = config.source;
  const loadSecret = createSecretLoader(deps.secretsManager ?? new SecretsManagerClient({}));
  return createRefreshingVerifier(config, createCachedSecret(() => loadSecret(secretArn), deps.secretCache));
}

/** True when a token was refused because its signature does not match the key. */
function isSignatureMismatch(err: unknown): boolean {
  return err instanceof UnauthorizedError && err.cause instanceof joseErrors.JWSSignatureVerificationFailed;
}

/**
 * Verifies with the cached secret's current value; on a signature mismatch,
 * asks the cache for a fresher value and, if it differs, verifies once more.
 */
function createRefreshingVerifier(config: AuthConfig, secret: CachedSecret): TokenVerifier {
  let current: { value: string; verify: TokenVerifier } | undefined;
  const verifierFor = (value: string): TokenVerifier => {
    if (current?.value !== value) {
      current = { value, verify: createTokenVerifier({ ...config, source: { kind: 'secret', secret: value } }) };
    }
    return current.verify;
  };

  return async (token) => {
    const value = await secret.get();
    try {
      return await verifierFor(value)(token);
    } catch (err) {
      if (!isSignatureMismatch(err)) throw err;
      const fresh = await secret.refresh();
      if (fresh === undefined || fresh === value) throw err;
      return verifierFor(fresh)(token);
    }
  };
}
