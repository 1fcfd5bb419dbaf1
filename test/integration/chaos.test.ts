/**
 * A short `npm run chaos` in every test run, so the scenario cannot rot:
 * 4 + 4 clients in one chat for 10 s of sends, connection kills from both
 * sides and injected post faults; nothing may be lost, shown twice or shown
 * out of order, and every send is stored once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChaosReport, runChaos } from '../../bench/chaos';
import { startTestRuntime, type LocalRuntime } from '../helpers/local-runtime';

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});

afterAll(async () => {
  await runtime.stop();
});

describe('Function: runChaos', () => {
  it('loses, repeats and reorders nothing for either client kind under churn and post faults', { timeout: 180_000 }, async () => {
    // Act
    const report = await runChaos({ runtime, seconds: 10, libraryClients: 4, socketioClients: 4, rate: 2, killsPerSecond: 1, faultChangesPerSecond: 0.5, drainSeconds: 30 });

    // Assess
    const summary = formatChaosReport(report);
    expect(report.kills.client + report.kills.server, summary).toBeGreaterThan(0);
    for (const kind of [report.kinds.library, report.kinds.socketio]) {
      expect(kind.sent, summary).toBeGreaterThan(0);
      expect({ acked: kind.acked, lost: kind.lost, duplicates: kind.duplicates, outOfOrder: kind.outOfOrder }, summary).toEqual({
        acked: kind.sent,
        lost: 0,
        duplicates: 0,
        outOfOrder: 0,
      });
    }
    // Retried sends are stored once: one message per send.
    expect(report.stored, summary).toBe(report.kinds.library.sent + report.kinds.socketio.sent);
  });
});
