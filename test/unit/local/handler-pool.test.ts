import { afterEach, describe, expect, it } from 'vitest';
import { createHandlerPool, type HandlerPool } from '../../../local/handler-pool';
import { createContext } from '../../../local/lambda';

const ENV = {
  CONNECTIONS_TABLE: 'C',
  ROOMS_TABLE: 'R',
  PRESENCE_TABLE: 'P',
  WS_CALLBACK_URL: 'http://127.0.0.1:9/local',
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

describe('Function: createHandlerPool', () => {
  let pool: HandlerPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('starts its workers on the first invocation and runs the real function module in them', async () => {
    // Prepare
    pool = createHandlerPool({ env: ENV, function: 'slicePoster', size: 2 });
    const startedBefore = pool.started;

    // Act: a malformed slice is refused by the slice poster itself, before any post.
    const outcomes = await Promise.all(
      [0, 1].map(() => Promise.resolve(pool!.handler({ members: [] }, createContext('slicePoster', 10_000))).then(() => 'resolved', (err: Error) => err.name)),
    );

    // Assess
    expect(startedBefore).toBe(0);
    expect(pool.started).toBe(2);
    expect(outcomes).toEqual(['MalformedSliceError', 'MalformedSliceError']);
  });

  it('refuses a size that is not a positive integer', () => {
    // Act / Assess
    expect(() => createHandlerPool({ env: ENV, function: 'slicePoster', size: 0 })).toThrow(/pool size must be a positive integer, got 0/);
  });

  it('fails invocations after close', async () => {
    // Prepare
    pool = createHandlerPool({ env: ENV, function: 'slicePoster', size: 1 });
    await pool.close();

    // Act / Assess
    await expect(Promise.resolve(pool.handler({}, createContext('slicePoster', 1_000)))).rejects.toThrow(/pool is closed/);
  });
});
