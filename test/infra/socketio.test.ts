import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { connectionsTable } from '../../lambdas/system/schema';
import { HEARTBEAT_ENV, SCHEDULED_PING_DEFAULTS } from '../../lambdas/system/heartbeat';
import { logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();

describe('Socket.IO support in the stack', () => {
  it('runs the heartbeat function on the ping schedule (rate(5 minutes) by default)', () => {
    // GIVEN the default heartbeat configuration
    const heartbeatId = logicalIdOf(stack, stack.functions.heartbeat);

    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [heartbeatId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [heartbeatId, 'Arn'] },
    });
  });

  it('gives the fan-out and the heartbeat the same heartbeat settings', () => {
    // THEN
    for (const fn of [stack.functions.fanOut, stack.functions.heartbeat]) {
      const properties = resourcesOfType(template, 'AWS::Lambda::Function')[logicalIdOf(stack, fn)]?.Properties as
        | { Environment?: { Variables?: Record<string, string> } }
        | undefined;
      expect(properties?.Environment?.Variables).toMatchObject({
        [HEARTBEAT_ENV.mode]: 'scheduled-ping',
        [HEARTBEAT_ENV.pingInterval]: String(SCHEDULED_PING_DEFAULTS.pingInterval),
        [HEARTBEAT_ENV.pingTimeout]: String(SCHEDULED_PING_DEFAULTS.pingTimeout),
      });
    }
  });

  it('maps the Connections stream to the fan-out, filtered to INSERTs of pending socket.io connections (and TTL deletes)', () => {
    // GIVEN
    const tableId = logicalIdOf(stack, stack.tables.get(connectionsTable).table);

    // THEN
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      FunctionName: { Ref: logicalIdOf(stack, stack.functions.fanOut) },
      MaximumRecordAgeInSeconds: 60,
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { protocol: { S: ['socket.io'] }, state: { S: ['pending'] } } } }),
          },
          { Pattern: JSON.stringify({ eventName: ['REMOVE'], userIdentity: { type: ['Service'] } }) },
        ],
      },
    });
  });
});
