import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/commons/env';

export interface JwtVerificationProps {
  /**
   * Name of an existing Secrets Manager secret whose value is the HS256
   * secret shared with the service that issues the tokens.
   * @default - a new secret with a generated 64-character value
   */
  readonly existingSecretName?: string;
  /**
   * ARN of the customer-managed KMS key that encrypts `existingSecretName`.
   * Bound functions get `kms:Decrypt` on it, only through Secrets Manager
   * (`kms:ViaService`). The key policy must let the account's IAM policies
   * grant its use (the default key policy does).
   * @default - the secret is encrypted with the AWS managed key `aws/secretsmanager`
   */
  readonly existingSecretKmsKeyArn?: string;
  /**
   * JWKS URL (RS256/ES256, e.g. a Cognito user pool's
   * `https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`).
   * When set, no secret is created or read.
   * @default - HS256 with a Secrets Manager secret
   */
  readonly jwksUrl?: string;
  /**
   * Required `iss` claim.
   * @default - not checked
   */
  readonly issuer?: string;
  /**
   * Required `aud` claim.
   * @default - not checked
   */
  readonly audience?: string;
}

/**
 * Where token-verifying functions get their key from: an HS256 secret in
 * Secrets Manager (never a plain environment variable: functions receive the
 * secret's ARN or name and read the value at cold start), or a JWKS URL.
 *
 * @example
 * const jwt = new JwtVerification(this, 'Jwt', { existingSecretName: 'lettera/jwt-access-secret' });
 * jwt.bind(connectFn); // JWT_SECRET_ARN + secretsmanager:GetSecretValue on that secret
 * // a secret encrypted with your own KMS key: pass existingSecretKmsKeyArn too (kms:Decrypt via Secrets Manager)
 */
export class JwtVerification extends Construct {
  /** The secret, unless a JWKS URL is used. */
  public readonly secret?: ISecret;
  /** The value functions get in `JWT_SECRET_ARN` (ARN of a created secret, name of an existing one). */
  public readonly secretId?: string;
  /** The customer-managed key of an existing secret, if any. */
  public readonly kmsKeyArn?: string;
  private readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: JwtVerificationProps = {}) {
    super(scope, id);
    if (props.jwksUrl !== undefined && props.existingSecretName !== undefined) {
      throw new Error(`Provide either jwksUrl or existingSecretName, not both; got jwksUrl ${JSON.stringify(props.jwksUrl)} and existingSecretName ${JSON.stringify(props.existingSecretName)}`);
    }
    if (props.existingSecretKmsKeyArn !== undefined && props.existingSecretName === undefined) {
      throw new Error(`existingSecretKmsKeyArn applies to an existing secret only; got ${JSON.stringify(props.existingSecretKmsKeyArn)} without existingSecretName`);
    }
    const claims: Record<string, string> = {};
    if (props.issuer) claims[ENV.jwtIssuer] = props.issuer;
    if (props.audience) claims[ENV.jwtAudience] = props.audience;

    if (props.jwksUrl !== undefined) {
      if (!isHttpsUrl(props.jwksUrl)) {
        throw new Error(`jwksUrl must be an https:// URL, got ${JSON.stringify(props.jwksUrl)}`);
      }
      this.environment = { [ENV.jwksUrl]: props.jwksUrl, ...claims };
      return;
    }

    if (props.existingSecretName !== undefined) {
      if (props.existingSecretName.trim() === '') {
        throw new Error('existingSecretName must not be empty');
      }
      this.secret = Secret.fromSecretNameV2(this, 'Resource', props.existingSecretName);
      // A name-only import has no full ARN; GetSecretValue accepts the name.
      this.secretId = props.existingSecretName;
      this.kmsKeyArn = props.existingSecretKmsKeyArn;
    } else {
      this.secret = new Secret(this, 'Resource', {
        description: 'HS256 secret for lettera-realtime access tokens; share it with the token issuer',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      this.secretId = this.secret.secretArn;
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The HS256 secret is shared with the service that issues the tokens; rotating it here alone would invalidate every issued token. Rotate it in both places together, or switch to jwksUrl (key rotation by the issuer).',
      });
    }
    this.environment = { [ENV.jwtSecretArn]: this.secretId, ...claims };
  }

  /**
   * Gives a function what it needs to verify tokens: the environment
   * (`JWT_SECRET_ARN` or `JWT_JWKS_URL`, plus issuer/audience when set)
   * and read access to the secret.
   *
   * @example
   * jwt.bind(httpApiFn);
   */
  public bind(fn: LambdaFunction): void {
    for (const [key, value] of Object.entries(this.environment)) {
      fn.addEnvironment(key, value);
    }
    this.secret?.grantRead(fn);
    if (this.kmsKeyArn !== undefined) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [this.kmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
