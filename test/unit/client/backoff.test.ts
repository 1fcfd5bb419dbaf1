import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../client/src/backoff';

describe('Class: Backoff', () => {
  it('doubles from min and stops at max without jitter', () => {
    // Prepare
    const backoff = new Backoff({ min: 1000, max: 5000, jitter: 0 });

    // Act
    const delays = Array.from({ length: 5 }, () => backoff.duration());

    // Assess
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(backoff.attempts).toBe(5);
  });

  it('keeps every jittered delay within ±jitter of its base and under max', () => {
    // Prepare
    const randoms = [0, 0.25, 0.5, 0.75, 0.999999];

    // Act
    const firsts = randoms.map((r) => new Backoff({ min: 1000, max: 5000, jitter: 0.5, random: () => r }).duration());

    // Assess
    expect(firsts).toEqual([500, 750, 1000, 1250, 1499]);
    const capped = new Backoff({ min: 4000, max: 5000, jitter: 0.5, random: () => 0.999999 });
    expect(capped.duration()).toBe(5000);
  });

  it('starts over after reset', () => {
    // Prepare
    const backoff = new Backoff({ min: 10, max: 1000, jitter: 0 });
    backoff.duration();
    backoff.duration();

    // Act
    backoff.reset();

    // Assess
    expect(backoff.attempts).toBe(0);
    expect(backoff.duration()).toBe(10);
  });

  it('never overflows after many attempts', () => {
    // Prepare
    const backoff = new Backoff({ min: 1000, max: 5000, jitter: 0.5, random: () => 0.5 });

    // Act
    for (let i = 0; i < 2000; i++) backoff.duration();

    // Assess
    expect(backoff.duration()).toBe(5000);
  });

  it('refuses max below min, showing the values', () => {
    // Act / Assess
    expect(() => new Backoff({ min: 10, max: 5, jitter: 0 })).toThrow('backoff: bad min=10 max=5');
  });
});
