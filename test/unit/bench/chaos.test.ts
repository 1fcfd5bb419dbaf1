import { describe, expect, it } from 'vitest';
import { chaosFailed, formatChaosReport, measureShown, type ChaosReport } from '../../../bench/chaos';

const stored = new Map([
  ['a', 1],
  ['b', 2],
  ['c', 3],
  ['d', 4],
]);

describe('Function: measureShown', () => {
  it('counts nothing when every stored message was shown once, in seq order', () => {
    // Act
    const figures = measureShown(['a', 'b', 'c', 'd'], stored);

    // Assess
    expect(figures).toEqual({ lost: 0, duplicates: 0, outOfOrder: 0 });
  });

  it('counts stored messages never shown as lost, repeats as duplicates, lower seqs after higher as out of order', () => {
    // Act: d never shown, c twice, b after c.
    const figures = measureShown(['a', 'c', 'b', 'c'], stored);

    // Assess
    expect(figures).toEqual({ lost: 1, duplicates: 1, outOfOrder: 1 });
  });

  it('ignores shown messages the chat does not hold', () => {
    // Act
    const figures = measureShown(['a', 'zz', 'b', 'c', 'd'], stored);

    // Assess
    expect(figures).toEqual({ lost: 0, duplicates: 0, outOfOrder: 0 });
  });
});

describe('Function: chaosFailed', () => {
  const report = (library: Partial<ChaosReport['kinds']['library']>, stored = 10): ChaosReport => ({
    seconds: 1,
    stored,
    kills: { client: 1, server: 2 },
    faultChanges: 3,
    kinds: {
      library: { clients: 2, sent: 10, acked: 10, lost: 0, duplicates: 0, outOfOrder: 0, ...library },
      socketio: { clients: 2, sent: 5, acked: 5, lost: 0, duplicates: 0, outOfOrder: 0 },
    },
  });

  it('passes a clean run and fails on anything lost, duplicated or out of order, or nothing measured', () => {
    // Act / Assess
    expect(chaosFailed(report({}))).toBe(false);
    expect(chaosFailed(report({ lost: 1 }))).toBe(true);
    expect(chaosFailed(report({ duplicates: 1 }))).toBe(true);
    expect(chaosFailed(report({ outOfOrder: 1 }))).toBe(true);
    expect(chaosFailed(report({ acked: 0 }))).toBe(true);
    expect(chaosFailed(report({}, 0))).toBe(true);
  });

  it('prints one row per client kind with the five figures', () => {
    // Act
    const text = formatChaosReport(report({ lost: 2 }));

    // Assess
    expect(text.split('\n')).toEqual([
      'chaos: 1 s, 10 messages stored, 3 connection kills (1 by clients, 2 by the server), 3 post fault changes',
      '  client  clients  sent  acked  lost  duplicates  out-of-order',
      ' library        2    10     10     2           0             0',
      'socketio        2     5      5     0           0             0',
    ]);
  });
});
