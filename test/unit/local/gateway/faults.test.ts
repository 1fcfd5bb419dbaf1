import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultSpecError, faultFor, parsePostFault, parsePostFaults } from '../../../../local/gateway/faults';
import { startGateway, type Gateway } from '../../../../local/gateway/server';
import { connectWebSocket, type TestSocket } from '../../../helpers/local-runtime';

describe('Function: parsePostFaults', () => {
  it('reads connection ids and * to 429, 500 or slow:<ms>', () => {
    // Act
    const faults = parsePostFaults('{"*":"slow:250","AbC+d/eF12345g=":"429","x":500}');

    // Assess
    expect(faults.get('*')).toEqual({ kind: 'slow', delayMs: 250 });
    expect(faults.get('AbC+d/eF12345g=')).toEqual({ kind: 'status', status: 429 });
    expect(faults.get('x')).toEqual({ kind: 'status', status: 500 });
  });

  it('is empty (off) when unset or blank', () => {
    // Act + Assess
    expect(parsePostFaults(undefined).size).toBe(0);
    expect(parsePostFaults('  ').size).toBe(0);
  });

  it.each(['{"*":"503"}', '{"*":"slow:99999999"}', '{"*":"slow"}', '["429"]', 'not json', '{"*":null}'])('refuses %s with a message showing the form', (json) => {
    // Act + Assess
    expect(() => parsePostFaults(json)).toThrow(FaultSpecError);
    expect(() => parsePostFaults(json)).toThrow(/429|JSON object/);
  });
});

describe('Function: faultFor', () => {
  it('prefers the connection\'s own entry over *', () => {
    // Prepare
    const faults = new Map([
      ['*', parsePostFault('500')],
      ['c1', parsePostFault('slow:5')],
    ]);

    // Act + Assess
    expect(faultFor(faults, 'c1')).toEqual({ kind: 'slow', delayMs: 5 });
    expect(faultFor(faults, 'c2')).toEqual({ kind: 'status', status: 500 });
    expect(faultFor(new Map(), 'c1')).toBeUndefined();
  });
});

describe('Function: startGateway (post faults)', () => {
  let gateway: Gateway;
  let management: ApiGatewayManagementApiClient;
  let faulty: TestSocket;
  let healthy: TestSocket;
  const idOf = (): string => gateway.pool.ids().at(-1) as string;

  beforeAll(async () => {
    gateway = await startGateway({ port: 0, log: () => undefined });
    management = new ApiGatewayManagementApiClient({ endpoint: gateway.callbackUrl, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
    faulty = await connectWebSocket(gateway.url);
  });
  afterAll(async () => {
    management.destroy();
    await Promise.all([faulty?.close(), healthy?.close()]);
    await gateway.close();
  });

  const post = (connectionId: string, data: string) => management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
  const setFaults = (body: unknown) => fetch(`${gateway.callbackUrl.replace(/\/local$/, '')}/_local/faults`, { method: 'PUT', body: JSON.stringify(body) });

  it('injects nothing by default', async () => {
    // Act
    await post(idOf(), 'plain');

    // Assess
    expect(await faulty.nextEvent()).toBe('plain');
  });

  it('fails posts to the chosen connection with LimitExceededException (429) or a 500, and delivers to the others', async () => {
    // Prepare
    const faultyId = idOf();
    healthy = await connectWebSocket(gateway.url);
    const healthyId = idOf();
    const set = await setFaults({ [faultyId]: '429' });

    // Act
    const limited = await post(faultyId, 'lost').catch((err: unknown) => err as { name: string; $metadata: { httpStatusCode: number } });
    await post(healthyId, 'still delivered');
    await setFaults({ '*': '500' });
    const failed = await post(healthyId, 'lost too').catch((err: unknown) => err as { $metadata: { httpStatusCode: number } });
    const cleared = await setFaults({});
    await post(healthyId, 'after clearing');

    // Assess
    expect(set.status).toBe(200);
    expect(limited).toMatchObject({ name: 'LimitExceededException', $metadata: { httpStatusCode: 429 } });
    expect(failed).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(await cleared.json()).toEqual({});
    expect(await healthy.nextEvent()).toBe('still delivered');
    expect(await healthy.nextEvent()).toBe('after clearing');
    expect(faulty.received).not.toContain('lost');
  });

  it('still delivers a slow post, and answers it 200 (how late is for the bench, not a test)', async () => {
    // Prepare
    const id = idOf();
    const set = await setFaults({ [id]: 'slow:150' });

    // Act
    const answer = await post(id, 'late');
    await setFaults({});

    // Assess
    expect(await set.json()).toEqual({ [id]: 'slow:150' });
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(await healthy.nextEvent()).toBe('late');
  });

  it('refuses a malformed fault specification with 400 and keeps the current one', async () => {
    // Act
    const response = await setFaults({ '*': 'sometimes' });
    const current = await fetch(`${gateway.callbackUrl.replace(/\/local$/, '')}/_local/faults`);

    // Assess
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/slow:<ms>/);
    expect(await current.json()).toEqual({});
  });
});
