import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function freshRandom(): number[] {
  return Array.from(randomBytes(16), (b) => b % 32);
}

function incremented(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return freshRandom();
}

/**
 * A ULID: 26 characters, sortable by time, strictly increasing within one
 * process (ids made in the same millisecond increment the random part).
 * Used for message ids (the `before`/`after` cursors of the history).
 *
 * @example
 * const messageId = sortableId(); // '01JH3Q7Z8W9X0YZABCDEFGHJKM'
 */
export function sortableId(now: number = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = incremented(lastRandom);
  } else {
    lastTime = now;
    lastRandom = freshRandom();
  }
  return encodeTime(Math.max(now, lastTime)) + lastRandom.map((d) => CROCKFORD[d]).join('');
}

/** The epoch milliseconds a sortableId was made at. */
export function timeOfSortableId(id: string): number {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return ms;
}

/** A random id for events that are not persisted (typing, presence). */
export function randomId(): string {
  return randomBytes(12).toString('base64url');
}
