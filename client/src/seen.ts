/**
 * A bounded set of recently seen event ids (least recently added is
 * evicted first). At-least-once delivery and the overlap of two connections
 * can deliver an event twice; this makes the second copy invisible.
 *
 * @example
 * const seen = new SeenIds(1000);
 * if (seen.add(envelope.id)) deliver(envelope); // false for a repeat
 */
export class SeenIds {
  readonly #capacity: number;
  readonly #ids = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Records an id; returns false when it was already there. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) {
      // A Set iterates in insertion order: the first value is the oldest.
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }

  /** Whether an id was seen (and not yet evicted). */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  get size(): number {
    return this.#ids.size;
  }
}
