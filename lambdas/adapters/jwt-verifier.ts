/**
 * The token verifier (jose) behind the domain's TokenVerifier port, shared
 * by $connect, the HTTP API and the Socket.IO CONNECT packet: one key
 * source, algorithms pinned, `exp` required, the user id taken from `sub`
 * (or a `userId` claim).
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ENV, optionalEnv } from '../commons/env';
import { UnauthorizedError } from '../commons/errors';
import type { TokenVerifier } from '../domain/ports';
import { isValidUserId } from '../domain/validation';

/** Where the verification key comes from: exactly one per deployment. */
export type KeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'secretArn'; secretArn: string }
  | { kind: 'jwks'; jwksUrl: string };

export interface AuthConfig {
  source: KeySource;
  issuer?: string;
  audience?: string;
}

/** Algorithms accepted per key source: a shared secret never verifies an asymmetric token and vice versa. */
export const SECRET_ALGORITHMS = ['HS256'] as const;
export const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;

/** Seconds of clock skew tolerated on exp/nbf/iat. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** HS256 keys shorter than the hash output are weak (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

/**
 * Reads the auth configuration from the environment. Exactly one of
 * JWT_ACCESS_SECRET, JWT_SECRET_ARN and JWT_JWKS_URL must be set; anything
 * else throws at cold start with the names involved.
 */
export function readAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const secret = optionalEnv(ENV.jwtSecret, env);
  const secretArn = optionalEnv(ENV.jwtSecretArn, env);
  const jwksUrl = optionalEnv(ENV.jwksUrl, env);
  const configured: string[] = [];
  if (secret !== undefined) configured.push(ENV.jwtSecret);
  if (secretArn !== undefined) configured.push(ENV.jwtSecretArn);
  if (jwksUrl !== undefined) configured.push(ENV.jwksUrl);
  if (configured.length !== 1) {
    throw new Error(
      `Configure exactly one of ${ENV.jwtSecret}, ${ENV.jwtSecretArn} or ${ENV.jwksUrl}; got ${configured.length === 0 ? 'none' : configured.join(', ')}`,
    );
  }
  let source: KeySource;
  if (secret !== undefined) {
    if (new TextEncoder().encode(secret).length < MIN_SECRET_BYTES) {
      throw new Error(`${ENV.jwtSecret} must be at least ${MIN_SECRET_BYTES} bytes long`);
    }
    source = { kind: 'secret', secret };
  } else if (secretArn !== undefined) {
    source = { kind: 'secretArn', secretArn };
  } else {
    const url = jwksUrl as string;
    if (!/^https?:\/\//.test(url)) throw new Error(`${ENV.jwksUrl} must be an http(s) URL, got ${JSON.stringify(url)}`);
    source = { kind: 'jwks', jwksUrl: url };
  }
  const issuer = optionalEnv(ENV.jwtIssuer, env);
  const audience = optionalEnv(ENV.jwtAudience, env);
  return { source, ...(issuer !== undefined && { issuer }), ...(audience !== undefined && { audience }) };
}

export interface TokenVerifierDeps {
  /** Loads the shared secret for a `secretArn` source (Secrets Manager adapter). */
  loadSecret?: (secretId: string) => Promise<string>;
  /** Key resolver for a `jwks` source; defaults to jose's remote JWKS set (cached, cooldown). */
  getKey?: JWTVerifyGetKey;
}

/** jose error codes that mean "the key source failed", not "the token is bad". */
const INFRASTRUCTURE_ERRORS = new Set(['ERR_JWKS_TIMEOUT']);

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'Token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `Token claim "${err.claim}" is not acceptable`;
  return 'Invalid token';
}

/**
 * Builds the verifier for one configuration. A secret fetched from Secrets
 * Manager is loaded once per cold start and cached (a failed load is retried
 * on the next call).
 *
 * @example
 * const verifyToken = createTokenVerifier(readAuthConfig(), { loadSecret });
 * const { userId } = await verifyToken(token);
 */
export function createTokenVerifier(config: AuthConfig, deps: TokenVerifierDeps = {}): TokenVerifier {
  const { source } = config;
  const claimOptions = {
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(config.issuer !== undefined && { issuer: config.issuer }),
    ...(config.audience !== undefined && { audience: config.audience }),
  };

  let verify: (token: string) => Promise<JWTPayload>;
  if (source.kind === 'jwks') {
    const getKey = deps.getKey ?? createRemoteJWKSet(new URL(source.jwksUrl), { timeoutDuration: 3_000 });
    verify = async (token) => (await jwtVerify(token, getKey, { ...claimOptions, algorithms: [...JWKS_ALGORITHMS] })).payload;
  } else {
    let key: Promise<Uint8Array> | undefined =
      source.kind === 'secret' ? Promise.resolve(new TextEncoder().encode(source.secret)) : undefined;
    const secretKey = (): Promise<Uint8Array> => {
      if (key === undefined) {
        const { loadSecret } = deps;
        if (source.kind !== 'secretArn' || loadSecret === undefined) {
          throw new Error('A secret ARN is configured but no loadSecret dependency was given');
        }
        key = loadSecret(source.secretArn).then((value) => new TextEncoder().encode(value));
        key.catch(() => {
          key = undefined;
        });
      }
      return key;
    };
    verify = async (token) => (await jwtVerify(token, await secretKey(), { ...claimOptions, algorithms: [...SECRET_ALGORITHMS] })).payload;
  }

  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (err) {
      if (err instanceof joseErrors.JOSEError && !INFRASTRUCTURE_ERRORS.has(err.code)) {
        throw new UnauthorizedError(describe(err), { cause: err });
      }
      throw err;
    }
    const userId = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : payload.userId;
    if (!isValidUserId(userId)) throw new UnauthorizedError('Token carries no acceptable user id (sub or userId)');
    return { userId, expiresAt: payload.exp as number };
  };
}
