import { describe, expect, it } from 'vitest';
import { createLimiter, mapWithConcurrency } from '../../../../lambdas/commons/concurrency';

/** A task that stays pending until released, recording how many run at once. */
function tracker() {
  const state = { active: 0, max: 0 };
  const releases: (() => void)[] = [];
  const task = (fail = false) => () =>
    new Promise<string>((resolve, reject) => {
      state.active += 1;
      state.max = Math.max(state.max, state.active);
      releases.push(() => {
        state.active -= 1;
        if (fail) reject(new Error('boom'));
        else resolve('ok');
      });
    });
  return { state, releases, task };
}

async function settleAll(work: Promise<unknown>, releases: (() => void)[]): Promise<void> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    releases.splice(0).forEach((release) => release());
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('Function: createLimiter', () => {
  it('runs at most max tasks at once and runs every task', async () => {
    // Prepare
    const limit = createLimiter(3);
    const { state, releases, task } = tracker();

    // Act
    const work = Promise.all(Array.from({ length: 10 }, () => limit(task())));
    await new Promise((resolve) => setImmediate(resolve));
    const startedBeforeRelease = releases.length;
    await settleAll(work, releases);

    // Assess
    expect(startedBeforeRelease).toBe(3);
    expect(state.max).toBe(3);
    await expect(work).resolves.toHaveLength(10);
  });

  it('frees the slot of a task that throws', async () => {
    // Prepare
    const limit = createLimiter(1);
    const { releases, task } = tracker();

    // Act
    const outcomes = Promise.allSettled([limit(task(true)), limit(task()), limit(task())]);
    await settleAll(outcomes, releases);

    // Assess
    expect((await outcomes).map((outcome) => outcome.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a bound of %s', (max) => {
    // Act
    const act = () => createLimiter(max);

    // Assess
    expect(act).toThrow(/concurrency must be a positive integer/);
  });
});

describe('Function: mapWithConcurrency', () => {
  it('keeps the input order and the bound', async () => {
    // Prepare
    let active = 0;
    let max = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);

    // Act
    const results = await mapWithConcurrency(items, 4, async (item) => {
      active += 1;
      max = Math.max(max, active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
      return item * 2;
    });

    // Assess
    expect(results).toEqual(items.map((item) => item * 2));
    expect(max).toBe(4);
  });

  it('handles an empty list', async () => {
    // Act
    const results = await mapWithConcurrency([], 4, async () => 1);

    // Assess
    expect(results).toEqual([]);
  });
});
