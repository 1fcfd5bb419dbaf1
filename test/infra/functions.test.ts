import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { CHAT_FUNCTION_RUNTIME } from '../../lib/constructs/chat-function';
import { ENV } from '../../lambdas/commons/env';
import { METRICS_NAMESPACE } from '../../lambdas/commons/metric-names';
import { functions, managesConnections, tableAccess, verifiesTokens, type FunctionName } from '../../lambdas/system/topology';
import { FRONTEND_URL, logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();
const functionNames = Object.keys(functions) as FunctionName[];

function propsOf(name: FunctionName): Record<string, unknown> {
  const resource = resourcesOfType(template, 'AWS::Lambda::Function')[logicalIdOf(stack, stack.functions[name])];
  expect(resource).toBeDefined();
  return resource!.Properties!;
}

const envOf = (name: FunctionName) => (propsOf(name).Environment as { Variables: Record<string, unknown> }).Variables;

describe('Construct: ChatFunction', () => {
  it('creates exactly the topology functions', () => {
    // THEN
    template.resourceCountIs('AWS::Lambda::Function', functionNames.length);
  });

  it('uses the newest Node.js runtime aws-cdk-lib knows (22 or newer)', () => {
    // GIVEN
    const nodeVersions = Runtime.ALL.filter((runtime) => runtime.family === RuntimeFamily.NODEJS)
      .map((runtime) => Number(/^nodejs(\d+)/.exec(runtime.name)?.[1] ?? 0))
      .sort((a, b) => a - b);
    // THEN
    expect(CHAT_FUNCTION_RUNTIME.name).toBe(`nodejs${nodeVersions.at(-1)}.x`);
    expect(nodeVersions.at(-1)).toBeGreaterThanOrEqual(22);
  });

  describe.each(functionNames)('function %s', (name) => {
    it('runs on that runtime, arm64, with JSON logs and no tracing by default', () => {
      // THEN
      expect(propsOf(name)).toMatchObject({
        Runtime: CHAT_FUNCTION_RUNTIME.name,
        Architectures: ['arm64'],
        LoggingConfig: { LogFormat: 'JSON' },
        Handler: 'index.handler',
      });
      expect((propsOf(name).TracingConfig as { Mode?: string } | undefined)?.Mode).not.toBe('Active');
      expect(envOf(name)).toMatchObject({ POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
    });

    it('traces actively, with the Tracer on, when the stack is given tracing: true', () => {
      // GIVEN
      const traced = synthesize({ tracing: true });
      // WHEN
      const resource = resourcesOfType(traced.template, 'AWS::Lambda::Function')[logicalIdOf(traced.stack, traced.stack.functions[name])];
      // THEN
      expect(resource?.Properties).toMatchObject({
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { POWERTOOLS_TRACE_ENABLED: 'true' } },
      });
    });

    it('logs into its own log group with a retention', () => {
      // GIVEN
      const logGroupId = logicalIdOf(stack, stack.functions[name].logGroup);
      // THEN
      expect(propsOf(name).LoggingConfig).toMatchObject({ LogGroup: { Ref: logGroupId } });
      expect(resourcesOfType(template, 'AWS::Logs::LogGroup')[logGroupId]?.Properties?.RetentionInDays).toBeGreaterThan(0);
    });

    it('gets the name of every table it uses, and only those', () => {
      // GIVEN
      const tableVars = new Set([ENV.connectionsTable, ENV.roomsTable, ENV.membershipsTable, ENV.messagesTable, ENV.presenceTable, ENV.usersTable] as string[]);
      // WHEN
      const env = envOf(name);
      // THEN
      const expected = Object.fromEntries(
        tableAccess[name].map(({ table }) => [table.envVar, { Ref: logicalIdOf(stack, stack.tables.get(table).table) }]),
      );
      expect(Object.fromEntries(Object.entries(env).filter(([key]) => tableVars.has(key)))).toEqual(expected);
    });

    it('gets WS_CALLBACK_URL (the stage callback URL) only if it posts to connections', () => {
      // WHEN
      const callbackUrl = envOf(name)[ENV.callbackUrl];
      // THEN
      if (managesConnections.includes(name)) {
        expect(JSON.stringify(callbackUrl)).toContain(logicalIdOf(stack, stack.realtime.api));
        expect(JSON.stringify(callbackUrl)).toMatch(/"https:\/\/".*\/prod"/);
      } else {
        expect(callbackUrl).toBeUndefined();
      }
    });

    it('gets the JWT secret reference only if it verifies tokens, and never a secret value', () => {
      // WHEN
      const env = envOf(name);
      // THEN
      expect(env[ENV.jwtSecretArn] !== undefined).toBe(verifiesTokens.includes(name));
      expect(env[ENV.jwtSecret]).toBeUndefined();
    });

    it('enables source maps for stack traces', () => {
      // THEN
      expect(envOf(name).NODE_OPTIONS).toBe('--enable-source-maps');
    });
  });

  it('tells $connect the frontend origin; the HTTP API function needs none (its CORS is the gateway\'s)', () => {
    // THEN
    expect(envOf('connect')[ENV.frontendUrl]).toBe(FRONTEND_URL);
    expect(envOf('httpApi')[ENV.frontendUrl]).toBeUndefined();
  });

  it('gives the fan-out more memory and time than the request handlers', () => {
    // THEN
    expect(propsOf('fanOut').MemorySize as number).toBeGreaterThan(propsOf('actions').MemorySize as number);
    expect(propsOf('fanOut').Timeout as number).toBeGreaterThan(propsOf('actions').Timeout as number);
  });

  it('gives the fan-out exactly one vCPU of memory (1,769 MB): its posts run on one thread and are CPU-bound', () => {
    // THEN
    expect(propsOf('fanOut').MemorySize).toBe(1769);
  });
});

describe('Stack prop: limits', () => {
  it('gives every function the limit settings, defaults included', () => {
    // GIVEN
    const { stack: limited, template: limitedTemplate } = synthesize({ limits: { maxChatParticipants: 2000 } });
    // WHEN
    const variables = Object.values(resourcesOfType(limitedTemplate, 'AWS::Lambda::Function')).map(
      (fn) => (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables,
    );
    // THEN
    expect(variables).toHaveLength(Object.keys(limited.functions).length);
    for (const env of variables) {
      expect(env).toMatchObject({ MAX_CHAT_PARTICIPANTS: '2000', MESSAGE_RATE_LIMIT: '20', MESSAGE_RATE_WINDOW_MS: '10000', MAX_CONNECTIONS_PER_USER: '20' });
    }
  });

  it('refuses a limit out of range with its name', () => {
    // THEN
    expect(() => synthesize({ limits: { maxConnectionsPerUser: 0 } })).toThrow(/^limits\.maxConnectionsPerUser must be a whole number from 1 to 1000/);
  });
});
