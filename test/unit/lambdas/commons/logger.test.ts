import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../../lambdas/commons/logger';

/** Everything written to stdout and stderr while `act` runs, as parsed JSON lines. */
function captureOutput(act: () => void): Record<string, unknown>[] {
  const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')].map((spy) => spy.mockImplementation(() => true));
  act();
  const text = writes.flatMap((spy) => spy.mock.calls.map(([chunk]) => String(chunk))).join('');
  for (const spy of writes) spy.mockRestore();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Constant: logger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes its level from POWERTOOLS_LOG_LEVEL, so unit tests log nothing', () => {
    // Act
    const lines = captureOutput(() => logger.error('must not appear'));

    // Assess
    expect(logger).toBeInstanceOf(Logger);
    expect(logger.getLevelName()).toBe('SILENT');
    expect(lines).toEqual([]);
  });

  it('writes structured JSON lines tagged with the lettera-realtime service', () => {
    // Prepare
    const child = logger.createChild({ logLevel: 'INFO' });

    // Act
    const lines = captureOutput(() => child.warn('disconnect notice failed', { connectionId: 'conn-1=' }));

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'WARN', message: 'disconnect notice failed', service: 'lettera-realtime', connectionId: 'conn-1=' });
  });
});
