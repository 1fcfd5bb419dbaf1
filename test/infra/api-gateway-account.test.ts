import { describe, expect, it } from 'vitest';
import { logicalIdOf, resourcesOfType, synthesize } from './helpers';

describe('Construct: ApiGatewayAccountLogging', () => {
  describe('GIVEN no context (default: the stack sets the account-level role)', () => {
    const { stack, template } = synthesize();
    const roleId = logicalIdOf(stack, stack.apiGatewayAccount?.role);
    const accountId = logicalIdOf(stack, stack.apiGatewayAccount);

    it('creates a role that only API Gateway can assume, with AmazonAPIGatewayPushToCloudWatchLogs', () => {
      // THEN
      const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId];
      expect(role?.Properties?.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }],
      });
      expect(role?.Properties?.ManagedPolicyArns).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] },
      ]);
    });

    it('sets that role as the account\'s CloudWatch role, once', () => {
      // THEN
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
      template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } });
    });

    it('creates the WebSocket stage only after the account setting exists', () => {
      // THEN
      const stageId = logicalIdOf(stack, stack.realtime.stage);
      const stage = template.toJSON().Resources[stageId] as { DependsOn?: string[] };
      expect(stage.DependsOn).toEqual(expect.arrayContaining([accountId, roleId]));
    });

    it('keeps the role on stack deletion (the account setting outlives the stack) but not after a failed create', () => {
      // THEN
      const resources = template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
      expect(resources[roleId]?.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(resources[accountId]?.DeletionPolicy).toBe('RetainExceptOnCreate');
    });
  });

  describe('GIVEN apiGatewayAccountRole false (the setting is managed elsewhere)', () => {
    const { stack, template } = synthesize({ apiGatewayAccountRole: false });

    it('creates neither the account setting nor its role, and the stage keeps its access logs', () => {
      // THEN
      expect(stack.apiGatewayAccount).toBeUndefined();
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
      const roles = Object.values(resourcesOfType(template, 'AWS::IAM::Role'));
      expect(roles.filter((role) => JSON.stringify(role.Properties?.AssumeRolePolicyDocument).includes('apigateway.amazonaws.com'))).toEqual([]);
      const stage = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')[logicalIdOf(stack, stack.realtime.stage)];
      expect(stage?.Properties?.AccessLogSettings).toBeDefined();
    });
  });
});
