import { describe, expect, it } from 'vitest';
import { streamMappings } from '../../../../lambdas/system/topology';
import { matchesFilters, matchesPattern } from '../../../../local/streams/filters';

const message = (eventName: string, kind: string) => ({ eventName, dynamodb: { NewImage: { kind: { S: kind } } } });

describe('Function: matchesFilters', () => {
  it('applies the Messages mapping filter of topology.ts', () => {
    // Prepare
    const filters = streamMappings.find((m) => m.table.name === 'Messages')?.filters ?? [];

    // Act
    const results = [message('INSERT', 'message'), message('MODIFY', 'message'), message('INSERT', 'idempotency'), { eventName: 'REMOVE', dynamodb: {} }].map((r) =>
      matchesFilters(r, filters),
    );

    // Assess
    expect(results).toEqual([true, true, false, false]);
  });

  it('supports prefix, anything-but, exists and numeric operators', () => {
    // Prepare
    const record = { a: 'chat:1', b: 'x', n: 5 };

    // Act
    const results = [
      matchesPattern(record, { a: [{ prefix: 'chat:' }] }),
      matchesPattern(record, { b: [{ 'anything-but': ['x'] }] }),
      matchesPattern(record, { c: [{ exists: false }] }),
      matchesPattern(record, { n: [{ numeric: ['>', 1, '<=', 5] }] }),
    ];

    // Assess
    expect(results).toEqual([true, false, true, true]);
  });

  it('delivers everything when there are no filters', () => {
    // Act
    const matched = matchesFilters({ eventName: 'REMOVE' }, []);

    // Assess
    expect(matched).toBe(true);
  });
});
