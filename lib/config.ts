/**
 * The CDK app's configuration, read from context (`-c key=value` or
 * cdk.json) and checked before any construct is built: a missing, malformed
 * or misspelled key fails `cdk synth` with one line naming the key.
 */

import type { LetteraRealtimeProps } from './lettera-realtime';
import { InvalidSettingError, LIMIT_KEYS, parseLimit, type LimitKey, type Limits } from '../lambdas/system/limits';

/**
 * What the stack needs from context, validated: the construct's props that
 * context can set, with the switches resolved to their values.
 */
export type AppConfig = Pick<
  LetteraRealtimeProps,
  'frontendUrl' | 'jwtSecretName' | 'jwtSecretKmsKeyArn' | 'jwksUrl' | 'jwtIssuer' | 'jwtAudience' | 'stageName' | 'alarmEmail'
> &
  Required<Pick<LetteraRealtimeProps, 'apiGatewayAccountRole' | 'tracing'>> & {
    /** The limit settings given in context (the others keep their defaults). */
    readonly limits: Partial<Limits>;
  };

/** A context value that cannot be used; the message is one line and names the key. */
export class ContextError extends Error {
  public readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.name = 'ContextError';
    this.key = key;
  }
}

/** Origin used when `allowLocalhostOrigin=true` and no frontendUrl is given (the local runtime's demo page). */
export const LOCAL_FRONTEND_URL = 'http://localhost:3000';

/** Every context key this app reads. Anything within one edit of these (case aside) is taken for a typo. */
export const CONTEXT_KEYS = [
  'frontendUrl',
  'allowLocalhostOrigin',
  'jwtSecretName',
  'jwtSecretKmsKeyArn',
  'jwksUrl',
  'jwtIssuer',
  'jwtAudience',
  'stageName',
  'apiGatewayAccountRole',
  'tracing',
  'alarmEmail',
  ...LIMIT_KEYS,
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Limit settings given in context, checked against their ranges (lambdas/system/limits.ts). */
function readLimits(context: Readonly<Record<string, unknown>>): Partial<Limits> {
  const limits: Partial<Record<LimitKey, number>> = {};
  for (const key of LIMIT_KEYS) {
    const value = context[key];
    if (value === undefined || value === null) continue;
    try {
      limits[key] = parseLimit(key, `Context "${key}"`, value);
    } catch (err) {
      if (err instanceof InvalidSettingError) throw new ContextError(key, err.message);
      throw err;
    }
  }
  return limits;
}

/** Secrets Manager secret names: letters, digits and `/_+=.@-`, at most 512 characters. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A KMS key ARN (not an alias: IAM grants on an alias ARN do not cover the key). */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** An email address as SNS takes it: something@domain.tld, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** API Gateway stage names: letters, digits, `-` and `_`, at most 128 characters. */
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Reads and validates the app's context.
 *
 * @example
 * const config = readAppConfig(app.node.getAllContext());
 * new LetteraRealtimeStack(app, 'LetteraRealtime', { ...config });
 */
export function readAppConfig(context: Readonly<Record<string, unknown>>): AppConfig {
  refuseMisspelledKeys(Object.keys(context));
  const read = (key: ContextKey) => readString(context, key);

  const allowLocalhost = readBoolean(context, 'allowLocalhostOrigin') ?? false;
  const frontendUrlValue = read('frontendUrl');
  if (frontendUrlValue === undefined && !allowLocalhost) {
    throw new ContextError(
      'frontendUrl',
      'Context "frontendUrl" is required: pass the exact origin of your web app, e.g. -c frontendUrl=https://app.example.com (for a local-only synth: -c allowLocalhostOrigin=true)',
    );
  }
  const frontendUrl = frontendUrlValue === undefined ? LOCAL_FRONTEND_URL : parseOrigin('frontendUrl', frontendUrlValue);

  const jwtSecretName = read('jwtSecretName');
  if (jwtSecretName !== undefined && !SECRET_NAME.test(jwtSecretName)) {
    throw new ContextError(
      'jwtSecretName',
      `Context "jwtSecretName" must be a Secrets Manager secret name (letters, digits, /_+=.@-; not an ARN), got ${JSON.stringify(jwtSecretName)}`,
    );
  }
  const jwtSecretKmsKeyArn = read('jwtSecretKmsKeyArn');
  if (jwtSecretKmsKeyArn !== undefined) {
    if (!KMS_KEY_ARN.test(jwtSecretKmsKeyArn)) {
      throw new ContextError(
        'jwtSecretKmsKeyArn',
        `Context "jwtSecretKmsKeyArn" must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>, not an alias), got ${JSON.stringify(jwtSecretKmsKeyArn)}`,
      );
    }
    if (jwtSecretName === undefined) {
      throw new ContextError('jwtSecretKmsKeyArn', 'Context "jwtSecretKmsKeyArn" applies to an existing secret only: set jwtSecretName too');
    }
  }
  const jwksUrl = read('jwksUrl');
  if (jwksUrl !== undefined) {
    if (!isUrl(jwksUrl, ['https:'])) {
      throw new ContextError('jwksUrl', `Context "jwksUrl" must be an https:// URL, got ${JSON.stringify(jwksUrl)}`);
    }
    if (jwtSecretName !== undefined) {
      throw new ContextError('jwksUrl', 'Context "jwksUrl" and "jwtSecretName" are exclusive: tokens are verified with one or the other');
    }
  }
  const stageName = read('stageName');
  if (stageName !== undefined && !STAGE_NAME.test(stageName)) {
    throw new ContextError('stageName', `Context "stageName" must be 1-128 letters, digits, "-" or "_", got ${JSON.stringify(stageName)}`);
  }

  const alarmEmail = read('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) {
    throw new ContextError('alarmEmail', `Context "alarmEmail" must be an email address, got ${JSON.stringify(alarmEmail)}`);
  }

  return {
    frontendUrl,
    ...(jwtSecretName !== undefined && { jwtSecretName }),
    ...(jwtSecretKmsKeyArn !== undefined && { jwtSecretKmsKeyArn }),
    ...(jwksUrl !== undefined && { jwksUrl }),
    ...optional('jwtIssuer', read('jwtIssuer')),
    ...optional('jwtAudience', read('jwtAudience')),
    ...(stageName !== undefined && { stageName }),
    apiGatewayAccountRole: readBoolean(context, 'apiGatewayAccountRole') ?? true,
    tracing: readBoolean(context, 'tracing') ?? false,
    limits: readLimits(context),
    ...(alarmEmail !== undefined && { alarmEmail }),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * CDK's own keys (`@aws-cdk/...` feature flags, `aws:cdk:...`, lookups such
 * as `availability-zones:...`) contain `@`, `:` or `/`; ours never do.
 */
function isForeignKey(key: string): boolean {
  return /[@:/]/.test(key);
}

function refuseMisspelledKeys(keys: readonly string[]): void {
  const ours = new Set<string>(CONTEXT_KEYS);
  for (const key of keys) {
    if (ours.has(key) || isForeignKey(key)) continue;
    const meant = CONTEXT_KEYS.find((candidate) => editDistance(key.toLowerCase(), candidate.toLowerCase()) <= 1);
    if (meant !== undefined) {
      throw new ContextError(key, `Unknown context key "${key}": did you mean "${meant}"? (keys are case-sensitive)`);
    }
  }
}

function readString(context: Readonly<Record<string, unknown>>, key: ContextKey): string | undefined {
  const value = context[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ContextError(key, `Context "${key}" must be a string, got ${JSON.stringify(value)}`);
  }
  if (value.trim() === '') {
    throw new ContextError(key, `Context "${key}" is empty: give it a value or leave it out`);
  }
  if (value.trim() !== value) {
    throw new ContextError(key, `Context "${key}" has leading or trailing whitespace: ${JSON.stringify(value)}`);
  }
  return value;
}

/** `-c key=true` arrives as the string "true"; cdk.json may hold a real boolean. */
function readBoolean(context: Readonly<Record<string, unknown>>, key: ContextKey): boolean | undefined {
  const value = context[key];
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(key, `Context "${key}" must be true or false, got ${JSON.stringify(value)}`);
}

/** A browser origin: http(s), a host, an optional port, nothing after it (a single trailing slash is dropped). */
function parseOrigin(key: ContextKey, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ContextError(key, `Context "${key}" is not a URL: ${JSON.stringify(value)} (expected e.g. https://app.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ContextError(key, `Context "${key}" must start with https:// or http://, got ${JSON.stringify(value)}`);
  }
  const extra = url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '';
  if (extra || /\*/.test(value)) {
    throw new ContextError(
      key,
      `Context "${key}" must be an origin (scheme, host and optional port, no path, query or wildcard), got ${JSON.stringify(value)}`,
    );
  }
  return url.origin;
}

function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
