/** Settings of an exponential backoff. */
export interface BackoffOptions {
  /** First delay, ms. */
  min: number;
  /** Largest delay, ms. */
  max: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Randomization factor in [0, 1]: each delay lies within ±jitter of its base. */
  jitter: number;
  /** Source of randomness in [0, 1); injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff with jitter, as socket.io-client's `Backoff`: the n-th
 * delay is `min * factor^n`, moved by up to ±`jitter` of itself, capped at
 * `max`. Jitter spreads a crowd of clients that lost the same server.
 *
 * @example
 * const backoff = new Backoff({ min: 1000, max: 5000, jitter: 0.5 });
 * setTimeout(reconnect, backoff.duration());
 * backoff.reset(); // once connected
 */
export class Backoff {
  readonly #min: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempts = 0;

  constructor(options: BackoffOptions) {
    if (options.min < 0 || options.max < options.min) {
      throw new Error(`backoff: bad min=${options.min} max=${options.max}`);
    }
    this.#min = options.min;
    this.#max = options.max;
    this.#factor = options.factor ?? 2;
    this.#jitter = Math.min(Math.max(options.jitter, 0), 1);
    this.#random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /**
   * The next delay in ms; each call counts one attempt.
   *
   * @example
   * const delay = backoff.duration(); // ~1000, then ~2000, ~4000, 5000...
   */
  duration(): number {
    // Cap the exponent so a long outage cannot overflow to Infinity.
    const base = Math.min(this.#min * this.#factor ** Math.min(this.#attempts, 32), this.#max);
    this.#attempts += 1;
    const deviation = base * this.#jitter * (2 * this.#random() - 1);
    return Math.floor(Math.min(Math.max(base + deviation, 0), this.#max));
  }

  /**
   * Starts over from `min` (after a successful connection).
   *
   * @example
   * socket.on('connect', () => backoff.reset());
   */
  reset(): void {
    this.#attempts = 0;
  }
}
