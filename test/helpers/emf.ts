/**
 * Reading the metrics the handlers write: Powertools prints each EMF blob
 * with its own Console on process.stdout, so spying on stdout's write sees
 * exactly what CloudWatch Logs would receive.
 */
import { vi } from 'vitest';
import { parseEmfLine, type EmfMetric } from '../../local/metrics';

/**
 * Imports a module afresh with metrics enabled (test/setup.ts disables them
 * for every other test) and an on-demand environment (for ColdStart): the
 * module's `metrics` instance and everything importing it are new.
 *
 * @example
 * const { countMetric, publishMetrics } = await importWithMetrics<typeof import('…/metrics')>('…/metrics');
 */
export async function importWithMetrics<T>(path: string): Promise<T> {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  vi.resetModules();
  return (await import(path)) as T;
}

/** Every EMF metric written to stdout while `act` runs; other stdout lines are ignored. */
export async function captureEmf(act: () => unknown): Promise<EmfMetric[]> {
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await act();
    const text = spy.mock.calls.map(([chunk]) => String(chunk)).join('');
    return text.split('\n').flatMap((line) => parseEmfLine(line.trim()) ?? []);
  } finally {
    spy.mockRestore();
  }
}

/** The metrics named `name`. */
export const named = (metrics: readonly EmfMetric[], name: string): EmfMetric[] => metrics.filter((metric) => metric.name === name);

/** Sum of every value of the metrics named `name`. */
export const total = (metrics: readonly EmfMetric[], name: string): number =>
  named(metrics, name).reduce((sum, metric) => sum + metric.values.reduce((a, b) => a + b, 0), 0);
