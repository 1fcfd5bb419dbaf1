/**
 * Bounded concurrency without a dependency: a limiter shared by every caller
 * (so several broadcasts at once still respect one bound, the size of the
 * HTTP agent's socket pool) and a worker-pool map for ad-hoc fan-outs.
 */

/** Runs tasks with at most `max` of them in flight; the rest wait in FIFO order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Creates a limiter. Tasks beyond the bound queue until a slot frees up; a
 * task that throws frees its slot like one that resolves.
 *
 * @example
 * const limit = createLimiter(128);
 * await Promise.all(ids.map((id) => limit(() => post(id))));
 */
export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(`concurrency must be a positive integer, got ${JSON.stringify(max)}`);
  }
  let active = 0;
  // An array with a moving head: shift() would make a 100k-recipient queue quadratic.
  let waiting: ((() => void) | undefined)[] = [];
  let head = 0;

  const release = (): void => {
    const wake = waiting[head];
    if (wake === undefined) {
      active -= 1;
      return;
    }
    waiting[head] = undefined;
    head += 1;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
    // The slot passes straight to the next task; `active` stays the same.
    wake();
  };

  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < max) {
      active += 1;
    } else {
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/**
 * Maps `items` through `fn` with at most `max` calls in flight (a worker
 * pool), keeping the input order in the result. Rejects with the first error,
 * like Promise.all; use a non-throwing `fn` to collect outcomes instead.
 *
 * @example
 * const pages = await mapWithConcurrency(chatIds, 16, (chatId) => listRoom(chatId));
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  max: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(max, items.length) }, worker));
  return results;
}
