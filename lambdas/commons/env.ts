/**
 * Reads an environment variable that must be set, throwing at cold start
 * (module load) rather than on the first request.
 *
 * @example
 * export const connectionsTableName = requireEnv('CONNECTIONS_TABLE');
 */
export function requireEnv(key: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[key];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${key} is required`);
  }
  return value;
}

/** Reads an optional environment variable; empty counts as unset. */
export function optionalEnv(key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[key];
  return value === undefined || value === '' ? undefined : value;
}

/** The table-name keys of ENV, as domain deps name them. */
export type TableNameKey = 'connectionsTable' | 'roomsTable' | 'membershipsTable' | 'messagesTable' | 'presenceTable' | 'usersTable';

/**
 * Reads the physical names of the given tables. Each function is deployed
 * with only its own tables' variables, so it asks for exactly those.
 *
 * @example
 * const tables = requireTableNames('connectionsTable', 'roomsTable');
 * // { connectionsTable: 'Connections-abc', roomsTable: 'Rooms-def' }
 */
export function requireTableNames<K extends TableNameKey>(...keys: K[]): Record<K, string> {
  return Object.fromEntries(keys.map((key) => [key, requireEnv(ENV[key])])) as Record<K, string>;
}

/** Environment variable names shared by CDK, the local runtime and the handlers. */
export const ENV = {
  connectionsTable: 'CONNECTIONS_TABLE',
  roomsTable: 'ROOMS_TABLE',
  membershipsTable: 'MEMBERSHIPS_TABLE',
  messagesTable: 'MESSAGES_TABLE',
  presenceTable: 'PRESENCE_TABLE',
  usersTable: 'USERS_TABLE',
  /** The stage's @connections endpoint (stage.callbackUrl in CDK, the emulator locally). */
  callbackUrl: 'WS_CALLBACK_URL',
  /** Lambda's endpoint, as the SDK reads it: unset in AWS (the regional endpoint), the local runtime's Invoke API locally. */
  lambdaEndpoint: 'AWS_ENDPOINT_URL_LAMBDA',
  /** Secrets Manager secret (ARN or name) holding the HS256 secret, in AWS. */
  jwtSecretArn: 'JWT_SECRET_ARN',
  /** The HS256 secret itself: local runtime and tests only. */
  jwtSecret: 'JWT_ACCESS_SECRET',
  /** Alternative to a shared secret: a JWKS URL (RS256/ES256, e.g. Cognito). */
  jwksUrl: 'JWT_JWKS_URL',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  /**
   * Browser origin(s) allowed at WebSocket $connect (exact match; several
   * comma-separated, as the local runtime sets it). The HTTP API's CORS is
   * API Gateway's, configured from the same value in CDK.
   */
  frontendUrl: 'FRONTEND_URL',
} as const;
