import { Agent as HttpsAgent } from 'node:https';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDocumentClient, createManagementClient, POST_CONCURRENCY } from '../../../../lambdas/commons/clients';

describe('Function: createManagementClient', () => {
  it('targets the given callback URL', async () => {
    // Act
    const client = createManagementClient('https://abc.execute-api.eu-west-1.amazonaws.com/prod');

    // Assess
    const endpoint = await client.config.endpoint?.();
    expect(endpoint).toMatchObject({ protocol: 'https:', hostname: 'abc.execute-api.eu-west-1.amazonaws.com', path: '/prod' });
  });

  it('makes one attempt per post: the broadcaster does its own retries', async () => {
    // Act
    const client = createManagementClient('https://example.com/test');

    // Assess
    expect(await client.config.maxAttempts()).toBe(1);
  });

  it('keeps connections alive with enough sockets for POST_CONCURRENCY posts in flight', async () => {
    // Prepare
    const client = createManagementClient('https://example.com/test');

    // Act
    const handlerConfig = (await (client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider) as {
      httpsAgent: HttpsAgent;
      connectionTimeout: number;
      requestTimeout: number;
    };

    // Assess
    expect(handlerConfig.httpsAgent.maxSockets).toBe(POST_CONCURRENCY);
    expect((handlerConfig.httpsAgent as HttpsAgent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect(handlerConfig.connectionTimeout).toBe(3_000);
    expect(handlerConfig.requestTimeout).toBe(5_000);
  });
});

describe('Function: createDocumentClient', () => {
  it('drops undefined attributes instead of failing the write', () => {
    // Act
    const client = createDocumentClient();

    // Assess
    expect(client.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });
});

describe('Tracing of the clients', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('captures the DynamoDB client under the document client, and the @connections client, when tracing is on', async () => {
    // Prepare
    const { Tracer } = await import('@aws-lambda-powertools/tracer');
    const capture = vi.spyOn(Tracer.prototype, 'captureAWSv3Client');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
    vi.resetModules();
    const fresh = (await import('../../../../lambdas/commons/clients')) as typeof import('../../../../lambdas/commons/clients');
    const { tracerReady } = (await import('../../../../lambdas/commons/tracing')) as typeof import('../../../../lambdas/commons/tracing');

    // Act
    const documentClient = fresh.createDocumentClient();
    const managementClient = fresh.createManagementClient('https://example.test/stage');
    await tracerReady;

    // Assess: the document client shares the captured client's middleware stack, so its calls are traced too.
    const captured = capture.mock.calls.map(([client]) => client as { middlewareStack: unknown });
    expect(captured).toHaveLength(2);
    expect(captured[0]?.middlewareStack).toBe(documentClient.middlewareStack);
    expect(captured[1]).toBe(managementClient);
  });
});
