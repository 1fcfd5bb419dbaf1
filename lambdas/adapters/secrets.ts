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

/**
 * How long a secret value is used before it is read again. The README tells
 * users to put the secret after deploying; warm instances pick it up within
 * this time even when no token has failed yet.
 */
export const SECRET_TTL_MS = 5 * 60_000;

/**
 * At most one read forced by `refresh()` per this interval per instance, so a
 * stream of badly signed tokens costs one Secrets Manager call per 30 s, not
 * one per request.
 */
export const SECRET_MIN_REFRESH_INTERVAL_MS = 30_000;

export interface CachedSecretOptions {
  /** @default SECRET_TTL_MS */
  readonly ttlMs?: number;
  /** @default SECRET_MIN_REFRESH_INTERVAL_MS */
  readonly minRefreshIntervalMs?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** A secret value read through a time-limited cache. */
export interface CachedSecret {
  /**
   * The cached value, read again once it is older than the TTL. Throws only
   * when no value was ever read; a failed re-read keeps serving the old value
   * (and is retried at most once per minimum refresh interval).
   */
  get(): Promise<string>;
  /**
   * Reads the value now, unless a read started less than the minimum refresh
   * interval ago. Resolves to the value read, or `undefined` when the read was
   * skipped or failed (the cached value stays).
   */
  refresh(): Promise<string | undefined>;
}

/**
 * Wraps a loader in a time-limited cache with a bounded forced refresh.
 * Concurrent callers share one read.
 *
 * @example
 * const secret = createCachedSecret(() => loadSecret(secretArn));
 * const key = await secret.get();
 * const fresher = await secret.refresh(); // after a signature failure
 */
export function createCachedSecret(load: () => Promise<string>, options: CachedSecretOptions = {}): CachedSecret {
  const ttlMs = options.ttlMs ?? SECRET_TTL_MS;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? SECRET_MIN_REFRESH_INTERVAL_MS;
  const now = options.now ?? Date.now;

  let value: string | undefined;
  let loadedAt = 0;
  let lastReadStartedAt: number | undefined;
  let inFlight: Promise<string> | undefined;

  const read = (): Promise<string> => {
    if (inFlight === undefined) {
      lastReadStartedAt = now();
      inFlight = load()
        .then((loaded) => {
          value = loaded;
          loadedAt = now();
          return loaded;
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  };
  const readRecently = (): boolean => lastReadStartedAt !== undefined && now() - lastReadStartedAt < minRefreshIntervalMs;

  return {
    async get() {
      if (value === undefined) return read();
      if (now() - loadedAt < ttlMs) return value;
      if (inFlight === undefined && readRecently()) return value;
      const stale = value;
      return read().catch(() => stale);
    },
    async refresh() {
      if (inFlight === undefined && readRecently()) return undefined;
      return read().catch(() => undefined);
    },
  };
}
