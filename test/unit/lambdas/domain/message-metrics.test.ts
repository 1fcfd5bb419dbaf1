import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC, SERVICE_NAME } from '../../../../lambdas/commons/metric-names';
import type { MessageService } from '../../../../lambdas/domain/messages';
import { captureEmf, importWithMetrics, named, total } from '../../../helpers/emf';

type Module = typeof import('../../../../lambdas/domain/message-metrics');
type MetricsModule = typeof import('../../../../lambdas/commons/metrics');
type ErrorsModule = typeof import('../../../../lambdas/commons/errors');

let withMessageMetrics: Module['withMessageMetrics'];
let publishMetrics: MetricsModule['publishMetrics'];
// From the fresh module graph, so toClientError recognises them.
let ForbiddenError: ErrorsModule['ForbiddenError'];
let RateLimitedError: ErrorsModule['RateLimitedError'];

beforeEach(async () => {
  ({ withMessageMetrics } = await importWithMetrics<Module>('../../../../lambdas/domain/message-metrics'));
  ({ publishMetrics } = (await import('../../../../lambdas/commons/metrics')) as MetricsModule);
  ({ ForbiddenError, RateLimitedError } = (await import('../../../../lambdas/commons/errors')) as ErrorsModule);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function fakeService(): MessageService {
  const message = { messageId: 'm1', chatId: 'c1', senderId: 'alice', content: 'hi', timestamp: '2026-11-29T00:00:00.000Z' };
  return {
    send: vi.fn().mockResolvedValue(message),
    edit: vi.fn().mockRejectedValue(new ForbiddenError('Only the sender may change a message')),
    remove: vi.fn().mockRejectedValue(new Error('ProvisionedThroughputExceeded')),
    list: vi.fn().mockResolvedValue({ items: [] }),
  };
}

describe('Function: withMessageMetrics', () => {
  it('counts accepted messages, and refusals by the error code the client gets', async () => {
    // Prepare
    const service = fakeService();
    const counted = withMessageMetrics(service);

    // Act
    const emitted = await captureEmf(async () => {
      await counted.send('alice', { chatId: 'c1', content: 'hi' });
      await expect(counted.edit('bob', { chatId: 'c1', messageId: 'm1', content: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(counted.remove('alice', { chatId: 'c1', messageId: 'm1' })).rejects.toThrow('ProvisionedThroughputExceeded');
      await counted.list('alice', { chatId: 'c1' });
      publishMetrics();
    });

    // Assess
    expect(total(emitted, METRIC.messagesAccepted)).toBe(1);
    expect(named(emitted, METRIC.messagesRefused).map((metric) => [metric.dimensions, metric.values])).toEqual([
      [{ service: SERVICE_NAME, reason: 'FORBIDDEN' }, [1]],
      [{ service: SERVICE_NAME, reason: 'INTERNAL' }, [1]],
    ]);
    expect(service.send).toHaveBeenCalledWith('alice', { chatId: 'c1', content: 'hi' });
  });

  it('passes results and errors through unchanged', async () => {
    // Prepare
    const service = fakeService();
    const limited = new RateLimitedError('slow down');
    vi.mocked(service.edit).mockRejectedValueOnce(limited);

    // Act
    const counted = withMessageMetrics(service);

    // Assess
    await expect(counted.send('alice', { chatId: 'c1', content: 'hi' })).resolves.toMatchObject({ messageId: 'm1' });
    await expect(counted.edit('alice', { chatId: 'c1', messageId: 'm1', content: 'x' })).rejects.toBe(limited);
  });
});
