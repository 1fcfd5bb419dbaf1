/**
 * The LetteraRealtime construct as a team's CDK app uses it, and the
 * repository's stack as one use of it.
 */
import { allTables } from '../../lambdas/system/schema';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { LetteraRealtime } from '../../lib/lettera-realtime';
import { CDK_JSON_CONTEXT, FRONTEND_URL, logicalIdOf, resourcesOfType, statementsOfRole, synthesize } from './helpers';

// Synthesized once, outside the tests' timeouts (a synth takes seconds on a loaded machine).
const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Team');
const realtime = new LetteraRealtime(stack, 'Realtime', { frontendUrl: FRONTEND_URL });
const publisherRole = new Role(stack, 'Backend', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
const posterRole = new Role(stack, 'Poster', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
realtime.grantPublish(publisherRole);
realtime.grantPostToConnections(posterRole);
const template = Template.fromStack(stack);
const repositoryStack = synthesize();

describe('Construct: LetteraRealtime', () => {
  it('grantPublish allows execute-api:Invoke on POST /publish of its HTTP API only', () => {
    // WHEN
    const statements = statementsOfRole(template, logicalIdOf(stack, publisherRole));
    // THEN
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: logicalIdOf(stack, realtime.httpApi.api) }, '/*/POST/publish']],
        },
      },
    ]);
  });

  it('grantPostToConnections allows the @connections API of its stage', () => {
    // WHEN
    const statements = statementsOfRole(template, logicalIdOf(stack, posterRole));
    // THEN
    expect(statements.map((s) => s.Action)).toContain('execute-api:ManageConnections');
    expect(JSON.stringify(statements)).toContain('/@connections/*');
  });

  it('exposes its URLs as properties', () => {
    // THEN
    expect(stack.resolve(realtime.webSocketUrl)).toEqual(stack.resolve(realtime.realtime.url));
    expect(stack.resolve(realtime.httpApiUrl)).toEqual(stack.resolve(realtime.httpApi.url));
    expect(stack.resolve(realtime.callbackUrl)).toEqual(stack.resolve(realtime.realtime.callbackUrl));
  });

  it('puts its resources under its own id in a team’s stack', () => {
    // THEN
    const tables = Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(allTables.length);
    expect(tables.every((id) => id.startsWith('RealtimeTables'))).toBe(true);
  });
});

describe('Stack: LetteraRealtimeStack', () => {
  it('keeps the logical ids its resources had before the construct existed (construct id Default)', () => {
    // THEN: ids from the template of the stack that defined the resources itself.
    const ids = Object.keys(repositoryStack.template.toJSON().Resources as Record<string, unknown>);
    expect(ids).toEqual(
      expect.arrayContaining([
        'TablesConnections7221CE58',
        'TablesMessagesBD411B65',
        'ConnectFunction52BFC429',
        'FanOutFunctionC517A95D',
        'RealtimeApiE4B145EE',
        'HttpApi1DA7BFF3',
        'ApiGatewayAccount18733FDF',
        'FanOutOnFailureQueueE720824C',
      ]),
    );
    expect(ids.some((id) => id.startsWith('Default'))).toBe(false);
  });
});
