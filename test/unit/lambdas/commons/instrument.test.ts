import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC, SERVICE_NAME } from '../../../../lambdas/commons/metric-names';
import { captureEmf, importWithMetrics, total } from '../../../helpers/emf';

type InstrumentModule = typeof import('../../../../lambdas/commons/instrument');
type LoggerModule = typeof import('../../../../lambdas/commons/logger');
type MetricsModule = typeof import('../../../../lambdas/commons/metrics');

let instrumentHandler: InstrumentModule['instrumentHandler'];
let logger: LoggerModule['logger'];
let countMetric: MetricsModule['countMetric'];

/** The JSON log lines written while `act` runs. */
async function captureLogs(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const spies = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')].map((spy) => spy.mockImplementation(() => true));
  try {
    await act();
    return spies
      .flatMap((spy) => spy.mock.calls.map(([chunk]) => String(chunk)))
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const context = { awsRequestId: 'lambda-request-1', functionName: 'fn' } as Context;

beforeEach(async () => {
  ({ instrumentHandler } = await importWithMetrics<InstrumentModule>('../../../../lambdas/commons/instrument'));
  ({ logger } = (await import('../../../../lambdas/commons/logger')) as LoggerModule);
  ({ countMetric } = (await import('../../../../lambdas/commons/metrics')) as MetricsModule);
  logger.setLogLevel('INFO');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Function: instrumentHandler', () => {
  it('puts the request\'s correlation id on every log line of the invocation, and only there', async () => {
    // Prepare
    const handler = instrumentHandler(
      async (event: { requestContext: { requestId: string } }) => {
        logger.info('first');
        await new Promise((resolve) => setImmediate(resolve));
        logger.info('after an await');
        return 'done';
      },
      { correlationIdOf: (event) => event.requestContext.requestId },
    );

    // Act
    const lines = await captureLogs(async () => {
      await handler({ requestContext: { requestId: 'req-42' } }, context);
      logger.info('outside');
    });

    // Assess
    expect(lines.map((line) => [line.message, line.correlation_id])).toEqual([
      ['first', 'req-42'],
      ['after an await', 'req-42'],
      ['outside', undefined],
    ]);
  });

  it('keeps concurrent invocations\' correlation ids apart', async () => {
    // Prepare
    const handler = instrumentHandler(
      async (event: { id: string; delayMs: number }) => {
        await new Promise((resolve) => setTimeout(resolve, event.delayMs));
        logger.info(`end ${event.id}`);
      },
      { correlationIdOf: (event) => event.id },
    );

    // Act
    const lines = await captureLogs(() => Promise.all([handler({ id: 'a', delayMs: 20 }), handler({ id: 'b', delayMs: 1 })]));

    // Assess
    expect(lines.map((line) => [line.message, line.correlation_id])).toEqual([
      ['end b', 'b'],
      ['end a', 'a'],
    ]);
  });

  it('uses the Lambda request id when the event has none', async () => {
    // Prepare
    const handler = instrumentHandler(async () => logger.info('scheduled'));

    // Act
    const lines = await captureLogs(() => handler({}, context));

    // Assess
    expect(lines[0]?.correlation_id).toBe('lambda-request-1');
  });

  it('writes the invocation\'s metrics and the cold start, even when the handler throws', async () => {
    // Prepare
    logger.setLogLevel('SILENT');
    const handler = instrumentHandler(async () => {
      countMetric(METRIC.connectionsClosed);
      throw new Error('boom');
    });

    // Act
    const emitted = await captureEmf(() => expect(handler({}, context)).rejects.toThrow('boom'));

    // Assess
    expect(total(emitted, METRIC.connectionsClosed)).toBe(1);
    expect(emitted.find((metric) => metric.name === 'ColdStart')?.dimensions).toEqual({ service: SERVICE_NAME });
  });
});
