#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LetteraRealtimeStack } from '../lib/lettera-realtime-stack';

/**
 * The CDK app. Configuration comes from context (`-c key=value` or cdk.json):
 * - frontendUrl: exact origin of the web app (default http://localhost:3000)
 * - jwtSecretName: existing Secrets Manager secret with the HS256 secret (default: generate one)
 * - jwksUrl: use RS256/ES256 tokens from this JWKS instead of a shared secret
 * - jwtIssuer / jwtAudience: required iss / aud claims (optional)
 * - stageName: WebSocket stage (default prod)
 * The stack is environment-agnostic: `cdk synth` needs no account and makes no lookups.
 */
const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

new LetteraRealtimeStack(app, 'LetteraRealtime', {
  description: 'lettera-realtime: serverless WebSocket messaging (API Gateway, Lambda, DynamoDB)',
  frontendUrl: context('frontendUrl') ?? 'http://localhost:3000',
  jwtSecretName: context('jwtSecretName'),
  jwksUrl: context('jwksUrl'),
  jwtIssuer: context('jwtIssuer'),
  jwtAudience: context('jwtAudience'),
  stageName: context('stageName'),
});

// Unacknowledged AwsSolutions findings fail `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
