import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { JwtVerification } from '../../lib/constructs/jwt-secret';
import { ENV } from '../../lambdas/commons/env';
import { functions, verifiesTokens, type FunctionName } from '../../lambdas/system/topology';
import { actionsOf, logicalIdOf, resourcesOfType, statementsOfRole, synthesize, type Synthesized } from './helpers';

const functionNames = Object.keys(functions) as FunctionName[];

function envOf({ stack, template }: Synthesized, name: FunctionName): Record<string, unknown> {
  const fn = resourcesOfType(template, 'AWS::Lambda::Function')[logicalIdOf(stack, stack.functions[name])];
  return (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
}

function secretReaders({ stack, template }: Synthesized): FunctionName[] {
  return functionNames.filter((name) =>
    statementsOfRole(template, logicalIdOf(stack, stack.functions[name].role)).some((statement) =>
      actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    ),
  );
}

describe('Construct: JwtVerification', () => {
  describe('GIVEN no JWT context (default)', () => {
    const synth = synthesize();

    it('generates a secret in Secrets Manager', () => {
      // THEN
      synth.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      });
    });

    it('passes its ARN, not its value, to the token-verifying functions', () => {
      // GIVEN
      const secretId = logicalIdOf(synth.stack, synth.stack.jwt.secret);
      // THEN
      for (const name of verifiesTokens) {
        expect(envOf(synth, name)[ENV.jwtSecretArn]).toEqual({ Ref: secretId });
        expect(envOf(synth, name)[ENV.jwksUrl]).toBeUndefined();
      }
    });

    it('lets only the token-verifying functions read the secret', () => {
      // THEN
      expect(secretReaders(synth).sort()).toEqual([...verifiesTokens].sort());
    });
  });

  describe('GIVEN context jwtSecretName', () => {
    const synth = synthesize({ jwtSecretName: 'lettera/jwt-access-secret' });

    it('creates no secret and passes the existing secret name', () => {
      // THEN
      synth.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      for (const name of verifiesTokens) expect(envOf(synth, name)[ENV.jwtSecretArn]).toBe('lettera/jwt-access-secret');
    });

    it('grants reading that secret only (any version suffix)', () => {
      // WHEN
      const statements = statementsOfRole(synth.template, logicalIdOf(synth.stack, synth.stack.functions.connect.role)).filter((statement) =>
        actionsOf(statement).includes('secretsmanager:GetSecretValue'),
      );
      // THEN
      expect(JSON.stringify(statements.map((statement) => statement.Resource))).toContain(':secret:lettera/jwt-access-secret-??????');
      expect(secretReaders(synth).sort()).toEqual([...verifiesTokens].sort());
    });
  });

  describe('GIVEN context jwtSecretName and jwtSecretKmsKeyArn (a customer-managed key)', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const synth = synthesize({ jwtSecretName: 'lettera/jwt-access-secret', jwtSecretKmsKeyArn: keyArn });

    function decryptors({ stack, template }: Synthesized): FunctionName[] {
      return functionNames.filter((name) =>
        statementsOfRole(template, logicalIdOf(stack, stack.functions[name].role)).some((statement) => actionsOf(statement).includes('kms:Decrypt')),
      );
    }

    it('grants kms:Decrypt on that key, through Secrets Manager only, to the token-verifying functions only', () => {
      // WHEN
      const statements = statementsOfRole(synth.template, logicalIdOf(synth.stack, synth.stack.functions.connect.role)).filter((statement) =>
        actionsOf(statement).includes('kms:Decrypt'),
      );
      // THEN
      expect(statements).toEqual([
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Effect: 'Allow',
          Resource: keyArn,
          Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
        }),
      ]);
      expect(decryptors(synth).sort()).toEqual([...verifiesTokens].sort());
    });

    it('grants no kms:Decrypt without the context', () => {
      // THEN
      expect(decryptors(synthesize({ jwtSecretName: 'lettera/jwt-access-secret' }))).toEqual([]);
      expect(decryptors(synthesize())).toEqual([]);
    });

    it('refuses a key without an existing secret', () => {
      // WHEN
      const stack = new Stack(new App(), 'S');
      // THEN
      expect(() => new JwtVerification(stack, 'Jwt', { existingSecretKmsKeyArn: keyArn })).toThrow(/applies to an existing secret only/);
    });
  });

  describe('GIVEN context jwksUrl (RS256/ES256)', () => {
    const jwksUrl = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json';
    const synth = synthesize({ jwksUrl, jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', jwtAudience: 'lettera' });

    it('creates no secret, grants no secret access and passes the JWKS URL, issuer and audience', () => {
      // THEN
      synth.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(secretReaders(synth)).toEqual([]);
      for (const name of verifiesTokens) {
        expect(envOf(synth, name)).toMatchObject({
          [ENV.jwksUrl]: jwksUrl,
          [ENV.jwtIssuer]: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
          [ENV.jwtAudience]: 'lettera',
        });
        expect(envOf(synth, name)[ENV.jwtSecretArn]).toBeUndefined();
      }
    });

    it('gives JWT settings to no function that does not verify tokens', () => {
      // THEN
      for (const name of functionNames.filter((n) => !verifiesTokens.includes(n))) {
        expect(envOf(synth, name)[ENV.jwksUrl]).toBeUndefined();
      }
    });
  });

  it('refuses both a JWKS URL and a secret name, and a JWKS URL that is not https', () => {
    // THEN
    expect(() => new JwtVerification(new Stack(new App(), 'S1'), 'Jwt', { jwksUrl: 'https://idp.example/jwks.json', existingSecretName: 'x' })).toThrow(
      /Provide either jwksUrl or existingSecretName, not both/,
    );
    expect(() => new JwtVerification(new Stack(new App(), 'S2'), 'Jwt', { jwksUrl: 'http://idp.example/jwks.json' })).toThrow(
      /jwksUrl must be an https:\/\/ URL, got "http:\/\/idp.example\/jwks.json"/,
    );
  });
});
