#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, readAppConfig, type AppConfig } from '../lib/config';
import { LetteraRealtimeStack } from '../lib/lettera-realtime-stack';

/**
 * The CDK app. Configuration comes from context (`-c key=value`), checked by
 * lib/config.ts before anything is built:
 * - frontendUrl (required): exact origin of the web app; `-c allowLocalhostOrigin=true`
 *   instead allows http://localhost:3000 (local tests only)
 * - jwtSecretName: existing Secrets Manager secret with the HS256 secret (default: generate one)
 * - jwtSecretKmsKeyArn: customer-managed KMS key that encrypts that existing secret
 * - jwksUrl: use RS256/ES256 tokens from this JWKS instead of a shared secret
 * - jwtIssuer / jwtAudience: required iss / aud claims (optional)
 * - stageName: WebSocket stage (default prod)
 * - apiGatewayAccountRole: false when API Gateway's account-level CloudWatch role is managed elsewhere
 * - tracing: true turns on X-Ray tracing (Powertools Tracer) on every function (default false)
 * - alarmEmail: subscribe this address to a new alarm topic (default: alarms without an action)
 * The stack is environment-agnostic: `cdk synth` needs no account and makes no lookups.
 */
const app = new App();

let config: AppConfig;
try {
  config = readAppConfig(app.node.getAllContext() as Record<string, unknown>);
} catch (err) {
  if (!(err instanceof ContextError)) throw err;
  // One line, no stack trace: this is the user's input, not a bug.
  process.stderr.write(`lettera-realtime: ${err.message}\n`);
  process.exit(1);
}

new LetteraRealtimeStack(app, 'LetteraRealtime', {
  description: 'lettera-realtime: serverless WebSocket messaging (API Gateway, Lambda, DynamoDB)',
  ...config,
});

// Unacknowledged AwsSolutions findings fail `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
