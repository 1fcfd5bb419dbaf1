import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthesize } from './helpers';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

/** Every acknowledgement recorded with Validations.of(x).acknowledge(...) in the app. */
function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason })),
      ),
  );
}

describe.each([
  ['a generated JWT secret', {}],
  ['an existing JWT secret', { jwtSecretName: 'lettera/jwt' }],
  ['a JWKS URL', { jwksUrl: 'https://idp.example.com/.well-known/jwks.json' }],
  ['tracing on and an alarm email', { tracing: true, alarmEmail: 'ops@example.com' }],
  ['an existing JWT secret with a customer-managed KMS key', { jwtSecretName: 'lettera/jwt', jwtSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }],
  ['no API Gateway account setting', { apiGatewayAccountRole: false }],
])('cdk-nag AwsSolutions, GIVEN %s', (_label, props) => {
  const { app } = synthesize(props);

  it('reports zero unacknowledged findings', () => {
    // WHEN
    const report = new AwsSolutionsChecks(app).validateScope(app);
    // THEN
    const findings = report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a real reason', () => {
    // WHEN
    const acks = acknowledgements(app);
    // THEN
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(typeof ack.reason === 'string' ? ack.reason.trim().length : 0, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    }
  });

  it('acknowledges only narrow findings, never a whole rule on the stack or app', () => {
    // WHEN
    const acks = acknowledgements(app);
    // THEN
    for (const ack of acks) {
      expect(ack.path.split('/').length, `${ack.id} at ${ack.path}`).toBeGreaterThan(1);
    }
    expect(new Set(acks.map((ack) => ack.id.replace(/\[.*$/, '')))).toEqual(
      new Set([
        'AwsSolutions-APIG4',
        // API Gateway's account-level logging role (its documented managed policy)
        ...('apiGatewayAccountRole' in props ? [] : ['AwsSolutions-IAM4']),
        'AwsSolutions-IAM5',
        'AwsSolutions-SQS3',
        ...('jwksUrl' in props || 'jwtSecretName' in props ? [] : ['AwsSolutions-SMG4']),
      ]),
    );
  });
});
