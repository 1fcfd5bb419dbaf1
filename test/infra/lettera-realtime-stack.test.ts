import { createRequire } from 'node:module';
import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CDK_JSON_CONTEXT, logicalIdOf, synthesize } from './helpers';

const require = createRequire(import.meta.url);

const { stack, template } = synthesize();

describe('Stack: LetteraRealtimeStack', () => {
  it('is environment-agnostic (synthesizes without an account or region)', () => {
    // THEN
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
  });

  it('outputs the WebSocket URL of the stage', () => {
    // THEN
    const output = template.findOutputs('WebSocketUrl');
    expect(JSON.stringify(output.WebSocketUrl?.Value)).toMatch(/"wss:\/\/",\{"Ref":"[^"]+"\},".execute-api."/);
    expect(JSON.stringify(output.WebSocketUrl?.Value)).toContain(logicalIdOf(stack, stack.realtime.api));
    expect(JSON.stringify(output.WebSocketUrl?.Value)).toContain('"/prod"');
  });

  it('outputs the HTTP API URL', () => {
    // THEN
    const output = template.findOutputs('HttpApiUrl');
    expect(JSON.stringify(output.HttpApiUrl?.Value)).toMatch(/"https:\/\/",\{"Ref":"[^"]+"\}/);
    expect(JSON.stringify(output.HttpApiUrl?.Value)).toContain(logicalIdOf(stack, stack.httpApi.api));
  });

  it('outputs where the JWT secret lives and where failed stream records go', () => {
    // THEN
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(['HttpApiUrl', 'JwtSecretId', 'OnFailureQueueUrl', 'WebSocketUrl']);
  });

  it('uses the stage name from props', () => {
    // WHEN
    const custom = synthesize({ stageName: 'v1' });
    // THEN
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'v1' });
    expect(JSON.stringify(custom.template.findOutputs('WebSocketUrl').WebSocketUrl?.Value)).toContain('"/v1"');
  });

  it('runs with every feature flag aws-cdk-lib recommends, at the recommended value (cdk.json)', () => {
    // GIVEN
    const recommended = require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;
    // THEN
    expect(Object.keys(recommended).length).toBeGreaterThan(80);
    for (const [flag, value] of Object.entries(recommended)) {
      expect(CDK_JSON_CONTEXT[flag], flag).toEqual(value);
    }
  });

  it('keeps configuration out of cdk.json: frontendUrl and friends are given on the command line', () => {
    // THEN
    expect(Object.keys(CDK_JSON_CONTEXT).filter((key) => !key.startsWith('@aws-cdk'))).toEqual([]);
  });
});
