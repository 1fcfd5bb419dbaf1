/**
 * The example CDK app of examples/cdk-app: `LetteraRealtime` composed with a
 * team's own function, synthesized as its app would be (without bundling).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ShopStack } from '../../../examples/cdk-app/app';
import { logicalIdOf, resourcesOfType, statementsOfRole } from '../../infra/helpers';
import { allTables } from '../../../lambdas/system/schema';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new ShopStack(app, 'Shop', { frontendUrl: 'https://shop.example.com' });
const template = Template.fromStack(stack);

describe('Example: examples/cdk-app', () => {
  it('gives the team’s function execute-api:Invoke on POST /publish of lettera-realtime’s HTTP API only', () => {
    // GIVEN
    const roleId = logicalIdOf(stack, stack.orderShipped.role);
    const apiId = logicalIdOf(stack, stack.realtime.httpApi.api);
    // WHEN
    const statements = statementsOfRole(template, roleId);
    // THEN
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
    const resource = JSON.stringify(statements[0]!.Resource);
    expect(resource).toContain(apiId);
    expect(resource).toMatch(/\/\*\/POST\/publish"/);
  });

  it('tells the function where to publish (the HTTP API URL)', () => {
    // WHEN
    const fnId = logicalIdOf(stack, stack.orderShipped);
    const fn = resourcesOfType(template, 'AWS::Lambda::Function')[fnId];
    // THEN
    expect(JSON.stringify(fn?.Properties?.Environment)).toContain('LETTERA_HTTP_API_URL');
    expect(JSON.stringify(fn?.Properties?.Environment)).toContain(logicalIdOf(stack, stack.realtime.httpApi.api));
  });

  it('composes the whole service under the construct’s id, without the account logging role it was told to leave alone', () => {
    // THEN
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
    template.resourceCountIs('AWS::DynamoDB::Table', allTables.length);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table')).every((id) => id.startsWith('RealtimeTables'))).toBe(true);
  });
});
