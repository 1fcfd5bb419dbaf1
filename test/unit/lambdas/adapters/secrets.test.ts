import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SECRET_MIN_REFRESH_INTERVAL_MS,
  SECRET_TTL_MS,
  createCachedSecret,
  createSecretLoader,
} from '../../../../lambdas/adapters/secrets';

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

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

describe('Function: createCachedSecret', () => {
  const options = (clock: ReturnType<typeof fakeClock>) => ({ ttlMs: SECRET_TTL_MS, minRefreshIntervalMs: SECRET_MIN_REFRESH_INTERVAL_MS, now: clock.now });

  it('reads once and serves the value until the TTL has passed, then reads again', async () => {
    // Prepare
    const clock = fakeClock();
    const load = vi.fn<() => Promise<string>>().mockResolvedValueOnce('v1').mockResolvedValueOnce('v2');
    const secret = createCachedSecret(load, options(clock));

    // Act
    const first = await secret.get();
    clock.advance(SECRET_TTL_MS - 1);
    const beforeTtl = await secret.get();
    clock.advance(1);
    const afterTtl = await secret.get();

    // Assess
    expect([first, beforeTtl, afterTtl]).toEqual(['v1', 'v1', 'v2']);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares one read between concurrent callers', async () => {
    // Prepare
    const load = vi.fn<() => Promise<string>>().mockResolvedValue('v1');
    const secret = createCachedSecret(load, options(fakeClock()));

    // Act
    const values = await Promise.all([secret.get(), secret.get(), secret.get()]);

    // Assess
    expect(values).toEqual(['v1', 'v1', 'v1']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('throws when the first read fails, and reads again on the next call', async () => {
    // Prepare
    const load = vi.fn<() => Promise<string>>().mockRejectedValueOnce(new Error('throttled')).mockResolvedValueOnce('v1');
    const secret = createCachedSecret(load, options(fakeClock()));

    // Act + Assess
    await expect(secret.get()).rejects.toThrow('throttled');
    await expect(secret.get()).resolves.toBe('v1');
  });

  it('keeps serving the old value when a read after the TTL fails, retrying at most once per refresh interval', async () => {
    // Prepare
    const clock = fakeClock();
    const load = vi.fn<() => Promise<string>>().mockResolvedValueOnce('v1').mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce('v2');
    const secret = createCachedSecret(load, options(clock));
    await secret.get();
    clock.advance(SECRET_TTL_MS);

    // Act
    const duringOutage = await secret.get();
    const rightAfter = await secret.get();
    clock.advance(SECRET_MIN_REFRESH_INTERVAL_MS);
    const afterInterval = await secret.get();

    // Assess
    expect([duringOutage, rightAfter, afterInterval]).toEqual(['v1', 'v1', 'v2']);
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('refreshes on demand at most once per interval, whatever the number of calls', async () => {
    // Prepare
    const clock = fakeClock();
    const load = vi.fn<() => Promise<string>>().mockResolvedValueOnce('v1').mockResolvedValueOnce('v2').mockResolvedValueOnce('v3');
    const secret = createCachedSecret(load, options(clock));
    await secret.get();
    clock.advance(SECRET_MIN_REFRESH_INTERVAL_MS);

    // Act
    const refreshed = await secret.refresh();
    const skipped = [];
    for (let i = 0; i < 100; i++) skipped.push(await secret.refresh());
    const cached = await secret.get();
    clock.advance(SECRET_MIN_REFRESH_INTERVAL_MS);
    const refreshedAgain = await secret.refresh();

    // Assess
    expect(refreshed).toBe('v2');
    expect(new Set(skipped)).toEqual(new Set([undefined]));
    expect(cached).toBe('v2');
    expect(refreshedAgain).toBe('v3');
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('does not refresh right after the first read (that read is the freshest value)', async () => {
    // Prepare
    const load = vi.fn<() => Promise<string>>().mockResolvedValue('v1');
    const secret = createCachedSecret(load, options(fakeClock()));
    await secret.get();

    // Act + Assess
    await expect(secret.refresh()).resolves.toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('resolves a failed refresh to undefined and keeps the cached value', async () => {
    // Prepare
    const clock = fakeClock();
    const load = vi.fn<() => Promise<string>>().mockResolvedValueOnce('v1').mockRejectedValueOnce(new Error('AccessDenied'));
    const secret = createCachedSecret(load, options(clock));
    await secret.get();
    clock.advance(SECRET_MIN_REFRESH_INTERVAL_MS);

    // Act + Assess
    await expect(secret.refresh()).resolves.toBeUndefined();
    await expect(secret.get()).resolves.toBe('v1');
  });
});
