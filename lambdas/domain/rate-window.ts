/**
 * The fixed-window rate limit behind the flood limit on messages and the
 * limit on chat creations and adds: counted with conditional writes on a
 * row the request touches anyway (or one row per user), so admitting costs
 * one write and no read.
 */
import { RateLimitedError } from '../commons/errors';

/** What a counting write did: the row as updated, the row as it was (refused), or no row at all. */
export type WindowWrite<Row> = { outcome: 'written'; row: Row } | { outcome: 'refused'; old: Row } | { outcome: 'absent' };

export interface FixedWindow<Row> {
  /** Counts the request in the open window; refused when the count is at the limit. */
  count(): Promise<WindowWrite<Row>>;
  /** Opens a new window with this request; refused when the current window is not over. */
  reopen(): Promise<WindowWrite<Row>>;
  /** When the window of a refused row opened (epoch ms); undefined when it never did. */
  openedAt(row: Row): number | undefined;
  /** The error for a missing row (e.g. not a participant). */
  absent(): Error;
  /** The error for a full window. */
  refusal(retryAfterMs: number): RateLimitedError;
}

/**
 * Admits one request in a fixed window that opens at the first request
 * counted and is reset lazily: DynamoDB cannot "reset or increment" in one
 * expression, so every request increments the count, and only the request
 * that finds the count at the limit looks at the window's age. If the
 * window is over, a second write opens a new one with this request (once
 * per `limit` requests at most); if not, the request is refused and
 * nothing is written. As with any fixed window, at most 2 × limit requests
 * fit in any span of the window, and limit per window over time.
 *
 * @throws the `absent()` error, or the `refusal()` error with how long to wait.
 */
export async function admitInWindow<Row>(window: FixedWindow<Row>, nowMs: number, windowMs: number): Promise<Row> {
  /** Counts the request in the open window; undefined when the window is full but over (a new one may open). */
  const count = async (): Promise<Row | undefined> => {
    const write = await window.count();
    if (write.outcome === 'written') return write.row;
    if (write.outcome === 'absent') throw window.absent();
    const openedAt = window.openedAt(write.old) ?? 0;
    if (openedAt > nowMs - windowMs) throw window.refusal(openedAt + windowMs - nowMs);
    return undefined;
  };

  /** Opens a new window with this request; undefined when a concurrent request opened it first. */
  const reopen = async (): Promise<Row | undefined> => {
    const write = await window.reopen();
    if (write.outcome === 'absent') throw window.absent();
    return write.outcome === 'written' ? write.row : undefined;
  };

  // The hot path is the first call alone; the others run once per `limit` requests, or in a race.
  const row = (await count()) ?? (await reopen()) ?? (await count());
  if (row === undefined) throw window.refusal(windowMs);
  return row;
}
