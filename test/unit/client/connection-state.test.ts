import { describe, expect, it } from 'vitest';
import { assertTransition, TRANSITIONS, type ConnectionStateName } from '../../../client/src/connection-state';

const NAMES: ConnectionStateName[] = ['idle', 'opening', 'open', 'waiting'];

describe('Function: assertTransition', () => {
  it('allows exactly the moves of the transition table', () => {
    // Prepare
    const allowed: string[] = [];

    // Act
    for (const from of NAMES) {
      for (const to of NAMES) {
        try {
          assertTransition(from, to);
          allowed.push(`${from}->${to}`);
        } catch {
          // refused
        }
      }
    }

    // Assess
    expect(allowed).toEqual([
      'idle->opening',
      'opening->idle',
      'opening->open',
      'opening->waiting',
      'open->idle',
      'open->open',
      'open->waiting',
      'waiting->idle',
      'waiting->opening',
    ]);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...NAMES].sort());
  });

  it('names both states when it refuses a move', () => {
    // Act / Assess: a connection cannot open without an attempt, nor an idle socket stop again.
    expect(() => assertTransition('idle', 'open')).toThrow('connection state cannot go from idle to open');
    expect(() => assertTransition('idle', 'idle')).toThrow(/from idle to idle/);
  });
});
