/**
 * The retry delay shared by every adapter that retries (batch writes,
 * PostToConnection): exponential with full jitter, so retries spread out.
 */

/** Full-jitter exponential backoff, capped at one second. */
export function backoffDelay(attempt: number, baseDelayMs: number): number {
  return Math.random() * Math.min(1000, baseDelayMs * 2 ** attempt);
}
