import type { StreamSettings } from '../../local/streams/poller';

/** Event source mapping settings for a poller under test: Lambda's defaults, no filters, from LATEST unless overridden. */
export function streamSettings(overrides: Partial<StreamSettings> = {}): StreamSettings {
  return {
    batchSize: 100,
    maxBatchingWindowSeconds: 0,
    retryAttempts: -1,
    maxRecordAgeSeconds: -1,
    bisectBatchOnError: false,
    reportBatchItemFailures: false,
    startingPosition: 'LATEST',
    filters: [],
    ...overrides,
  };
}
