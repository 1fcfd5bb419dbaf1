import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../../../../lambdas/commons/backoff';

describe('Function: backoffDelay', () => {
  afterEach(() => vi.restoreAllMocks());

  it('doubles the ceiling per attempt, with full jitter below it', () => {
    // Prepare: the largest draw Math.random can give, then the smallest.
    vi.spyOn(Math, 'random').mockReturnValueOnce(0.999).mockReturnValueOnce(0);

    // Act
    const high = backoffDelay(3, 20);
    const low = backoffDelay(3, 20);

    // Assess
    expect(high).toBeCloseTo(159.84);
    expect(low).toBe(0);
  });

  it('never waits more than a second', () => {
    // Prepare
    vi.spyOn(Math, 'random').mockReturnValue(0.999);

    // Act
    const delay = backoffDelay(20, 50);

    // Assess
    expect(delay).toBeLessThan(1000);
    expect(delay).toBeCloseTo(999);
  });
});
