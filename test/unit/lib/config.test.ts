import { describe, expect, it } from 'vitest';
import { ContextError, LOCAL_FRONTEND_URL, editDistance, readAppConfig } from '../../../lib/config';

const FRONTEND = { frontendUrl: 'https://app.example.com' };
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The ContextError a context throws (fails the test when nothing is thrown). */
function refusal(context: Record<string, unknown>): ContextError {
  try {
    readAppConfig(context);
  } catch (err) {
    if (err instanceof ContextError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(context)} to be refused`);
}

describe('Function: readAppConfig', () => {
  describe('frontendUrl', () => {
    it('is required: a synth without it is refused with the key and an example', () => {
      // Act
      const err = refusal({});
      // Assess
      expect(err.key).toBe('frontendUrl');
      expect(err.message).toContain('-c frontendUrl=https://app.example.com');
      expect(err.message).not.toContain('\n');
    });

    it('falls back to the local origin only with an explicit allowLocalhostOrigin=true', () => {
      // Act + Assess
      expect(readAppConfig({ allowLocalhostOrigin: 'true' }).frontendUrl).toBe(LOCAL_FRONTEND_URL);
      expect(readAppConfig({ allowLocalhostOrigin: true }).frontendUrl).toBe(LOCAL_FRONTEND_URL);
      expect(refusal({ allowLocalhostOrigin: 'false' }).key).toBe('frontendUrl');
    });

    it('takes an origin as given and drops a lone trailing slash', () => {
      // Act + Assess
      expect(readAppConfig(FRONTEND).frontendUrl).toBe('https://app.example.com');
      expect(readAppConfig({ frontendUrl: 'https://app.example.com/' }).frontendUrl).toBe('https://app.example.com');
      expect(readAppConfig({ frontendUrl: 'http://localhost:5173' }).frontendUrl).toBe('http://localhost:5173');
    });

    it.each([
      ['not a URL', 'app.example.com'],
      ['another scheme', 'ftp://app.example.com'],
      ['a path', 'https://app.example.com/chat'],
      ['a query', 'https://app.example.com?x=1'],
      ['a wildcard', 'https://*.example.com'],
      ['credentials', 'https://user:pw@app.example.com'],
      ['empty', ''],
      ['whitespace around it', ' https://app.example.com'],
      ['not a string', 42],
    ])('refuses %s', (_label, frontendUrl) => {
      // Act
      const err = refusal({ frontendUrl });
      // Assess
      expect(err.key).toBe('frontendUrl');
      expect(err.message).toMatch(/^Context "frontendUrl" /);
      expect(err.message).not.toContain('\n');
    });
  });

  describe('misspelled keys', () => {
    it.each([
      ['frontendURL', 'frontendUrl'],
      ['FrontendUrl', 'frontendUrl'],
      ['frontendUr', 'frontendUrl'],
      ['jwtSecretNme', 'jwtSecretName'],
      ['jwtSecretNmae', 'jwtSecretName'],
      ['jwksURL', 'jwksUrl'],
      ['stagename', 'stageName'],
      ['apiGatewayAccountRoles', 'apiGatewayAccountRole'],
    ])('refuses %s, naming the key and the one it resembles', (typo, meant) => {
      // Act
      const err = refusal({ ...FRONTEND, [typo]: 'x' });
      // Assess
      expect(err.key).toBe(typo);
      expect(err.message).toBe(`Unknown context key "${typo}": did you mean "${meant}"? (keys are case-sensitive)`);
    });

    it("ignores CDK's own keys and unrelated keys", () => {
      // Act
      const config = readAppConfig({
        ...FRONTEND,
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:bundling-stacks': [],
        'availability-zones:account=1:region=eu-west-1': ['a'],
        myOwnSetting: 'x',
      });
      // Assess
      expect(config.frontendUrl).toBe('https://app.example.com');
    });
  });

  describe('JWT settings', () => {
    it('passes the token settings through', () => {
      // Act
      const config = readAppConfig({ ...FRONTEND, jwtSecretName: 'lettera/jwt', jwtSecretKmsKeyArn: KEY_ARN, jwtIssuer: 'lettera', jwtAudience: 'realtime' });
      // Assess
      expect(config).toMatchObject({ jwtSecretName: 'lettera/jwt', jwtSecretKmsKeyArn: KEY_ARN, jwtIssuer: 'lettera', jwtAudience: 'realtime' });
    });

    it.each([
      ['a secret ARN instead of a name', { jwtSecretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf' }, 'jwtSecretName'],
      ['a KMS alias instead of a key ARN', { jwtSecretName: 'jwt', jwtSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/jwt' }, 'jwtSecretKmsKeyArn'],
      ['a KMS key without an existing secret', { jwtSecretKmsKeyArn: KEY_ARN }, 'jwtSecretKmsKeyArn'],
      ['a JWKS URL over http', { jwksUrl: 'http://idp.example.com/jwks.json' }, 'jwksUrl'],
      ['a JWKS URL and a secret name', { jwksUrl: 'https://idp.example.com/jwks.json', jwtSecretName: 'jwt' }, 'jwksUrl'],
      ['a stage name with a slash', { stageName: 'prod/v1' }, 'stageName'],
      ['an empty issuer', { jwtIssuer: '' }, 'jwtIssuer'],
    ])('refuses %s', (_label, context, key) => {
      // Act
      const err = refusal({ ...FRONTEND, ...context });
      // Assess
      expect(err.key).toBe(key);
      expect(err.message).toContain(`"${key}"`);
      expect(err.message).not.toContain('\n');
    });
  });

  describe('apiGatewayAccountRole', () => {
    it('is on by default and turned off by false or "false"', () => {
      // Act + Assess
      expect(readAppConfig(FRONTEND).apiGatewayAccountRole).toBe(true);
      expect(readAppConfig({ ...FRONTEND, apiGatewayAccountRole: 'false' }).apiGatewayAccountRole).toBe(false);
      expect(readAppConfig({ ...FRONTEND, apiGatewayAccountRole: false }).apiGatewayAccountRole).toBe(false);
    });

    it('refuses anything but true or false', () => {
      // Act
      const err = refusal({ ...FRONTEND, apiGatewayAccountRole: 'no' });
      // Assess
      expect(err.message).toBe('Context "apiGatewayAccountRole" must be true or false, got "no"');
    });
  });

  describe('limits', () => {
    it('passes on only the limits given, as numbers', () => {
      // Act + Assess
      expect(readAppConfig(FRONTEND).limits).toEqual({});
      expect(readAppConfig({ ...FRONTEND, maxChatParticipants: '2000', messageRateLimit: 5 }).limits).toEqual({ maxChatParticipants: 2000, messageRateLimit: 5 });
    });

    it.each([['0'], ['-1'], ['many'], ['20000']])('refuses maxChatParticipants=%s in one line naming the key', (value) => {
      // Act
      const err = refusal({ ...FRONTEND, maxChatParticipants: value });
      // Assess
      expect(err.key).toBe('maxChatParticipants');
      expect(err.message).toMatch(/^Context "maxChatParticipants" must be a whole number from 2 to 10000/);
    });

    it('takes a near-miss of a limit key for a typo', () => {
      // Act + Assess
      expect(refusal({ ...FRONTEND, maxChatParticipant: '10' }).message).toContain('did you mean "maxChatParticipants"?');
    });
  });

  describe('tracing and alarmEmail', () => {
    it('leaves tracing off and alarms without an email unless asked', () => {
      // Act
      const config = readAppConfig(FRONTEND);
      // Assess
      expect(config.tracing).toBe(false);
      expect(config.alarmEmail).toBeUndefined();
      expect(readAppConfig({ ...FRONTEND, tracing: 'true', alarmEmail: 'ops@example.com' })).toMatchObject({ tracing: true, alarmEmail: 'ops@example.com' });
    });

    it('refuses an alarmEmail that is not an address, and a misspelled tracing key', () => {
      // Act + Assess
      expect(refusal({ ...FRONTEND, alarmEmail: 'ops at example' }).message).toBe('Context "alarmEmail" must be an email address, got "ops at example"');
      expect(refusal({ ...FRONTEND, tracng: 'true' }).key).toBe('tracng');
    });
  });
});

describe('Function: editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    // Act + Assess
    expect(editDistance('stagename', 'stagename')).toBe(0);
    expect(editDistance('jwtsecretnme', 'jwtsecretname')).toBe(1);
    expect(editDistance('jwtsecretnmae', 'jwtsecretname')).toBe(1);
    expect(editDistance('jwksurl', 'jwksurx')).toBe(1);
    expect(editDistance('stage', 'stagename')).toBe(4);
  });
});
