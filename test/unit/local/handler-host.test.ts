import { afterEach, describe, expect, it, vi } from 'vitest';
import { functions, type FunctionName } from '../../../lambdas/system/topology';
import { startHandlerHost, type HandlerHost } from '../../../local/handler-host';
import { HandlerModuleError } from '../../../local/handlers';
import { createContext } from '../../../local/lambda';
import { createHttpEvent } from '../../helpers/events';

const names = Object.keys(functions) as FunctionName[];
/** Fakes for every function but `keep`, which the worker imports for real. */
const allBut = (keep: FunctionName) => Object.fromEntries(names.filter((name) => name !== keep).map((name) => [name, vi.fn()]));
const ENV = { MEMBERSHIPS_TABLE: 'M', MESSAGES_TABLE: 'Me', USERS_TABLE: 'U', JWT_ACCESS_SECRET: 'a-secret-that-is-long-enough-for-hs256!!', AWS_REGION: 'eu-west-1' };

describe('Function: startHandlerHost', () => {
  let host: HandlerHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it('runs a real handler module in its worker and returns its result', async () => {
    // Prepare
    host = await startHandlerHost({ env: ENV, overrides: allBut('httpApi') });
    const event = createHttpEvent({ method: 'GET', path: '/nowhere', routeKey: '$default' });

    // Act
    const result = (await host.handlers.httpApi(event, createContext('httpApi', 5_000))) as { statusCode: number; body: string };

    // Assess
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('hands every line the handlers write to onOutput, with its stream, instead of this process\'s stdout', async () => {
    // Prepare: metrics and INFO logs on, as the local runtime sets them.
    const lines: [string, string][] = [];
    host = await startHandlerHost({
      env: { ...ENV, POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
      overrides: allBut('httpApi'),
      onOutput: (line, stream) => lines.push([stream, line]),
    });
    const event = createHttpEvent({ method: 'GET', path: '/nowhere', routeKey: '$default' });

    // Act
    await host.handlers.httpApi(event, createContext('httpApi', 5_000));

    // Assess: the cold start's EMF line arrives through the worker's stdout.
    const coldStart = await vi.waitFor(() => {
      const found = lines.find(([stream, line]) => stream === 'stdout' && line.includes('"ColdStart"'));
      if (found === undefined) throw new Error('no ColdStart line yet');
      return found;
    }, { timeout: 10_000 });
    expect(JSON.parse(coldStart[1])).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'Lettera/Realtime' }] }, ColdStart: 1 });
  });

  it('hands out the overrides themselves, in this thread', async () => {
    // Prepare
    const overrides = allBut('httpApi');

    // Act
    host = await startHandlerHost({ env: ENV, overrides });

    // Assess
    for (const name of names.filter((n) => n !== 'httpApi')) expect(host.handlers[name]).toBe(overrides[name]);
  });

  it('fails to start with HandlerModuleError when a module refuses its environment at import (a failed cold start)', async () => {
    // Act
    const started = startHandlerHost({ env: { ...ENV, MESSAGES_TABLE: undefined }, overrides: allBut('httpApi'), log: () => undefined });

    // Assess
    await expect(started).rejects.toThrow(HandlerModuleError);
    await expect(started).rejects.toThrow(/MESSAGES_TABLE/);
  });

  it('does not write this process\'s environment', async () => {
    // Prepare
    const before = process.env.MESSAGES_TABLE;

    // Act
    host = await startHandlerHost({ env: { ...ENV, MESSAGES_TABLE: 'OnlyInTheWorker' }, overrides: allBut('httpApi') });

    // Assess
    expect(process.env.MESSAGES_TABLE).toBe(before);
  });

  it('refuses invocations once closed', async () => {
    // Prepare
    host = await startHandlerHost({ env: ENV, overrides: allBut('httpApi') });
    await host.close();

    // Act
    const invoked = host.handlers.httpApi(createHttpEvent({ method: 'GET', path: '/x', routeKey: '$default' }), createContext('httpApi', 5_000));

    // Assess
    await expect(invoked).rejects.toThrow(/closed/);
  });
});
