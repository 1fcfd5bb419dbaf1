import { describe, expect, it } from 'vitest';
import { sortableId, timeOfSortableId } from '../../../../lambdas/commons/ids';

describe('Function: sortableId', () => {
  it('makes strictly increasing ids within one millisecond', () => {
    // Prepare
    const now = Date.UTC(2026, 10, 27);

    // Act
    const ids = Array.from({ length: 1000 }, () => sortableId(now));

    // Assess
    const sorted = [...ids].sort();
    expect(ids).toEqual(sorted);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('encodes the time it was made at', () => {
    // Prepare
    const at = Date.UTC(2030, 0, 1, 12, 0, 0, 123);

    // Act
    const id = sortableId(at);

    // Assess
    expect(timeOfSortableId(id)).toBe(at);
  });

  it('sorts ids of later milliseconds after earlier ones', () => {
    // Act
    const earlier = sortableId(Date.UTC(2031, 0, 1));
    const later = sortableId(Date.UTC(2031, 0, 1) + 1);

    // Assess
    expect(later > earlier).toBe(true);
  });
});
