import { describe, expect, it } from 'vitest';
import { SeenIds } from '../../../client/src/seen';

describe('Class: SeenIds', () => {
  it('reports a repeated id', () => {
    // Prepare
    const seen = new SeenIds(10);

    // Act
    const results = [seen.add('a'), seen.add('b'), seen.add('a')];

    // Assess
    expect(results).toEqual([true, true, false]);
  });

  it('evicts the oldest id beyond its capacity', () => {
    // Prepare
    const seen = new SeenIds(2);

    // Act
    seen.add('a');
    seen.add('b');
    seen.add('c');

    // Assess
    expect(seen.size).toBe(2);
    expect(seen.has('a')).toBe(false);
    expect(seen.has('b')).toBe(true);
    expect(seen.has('c')).toBe(true);
  });
});
