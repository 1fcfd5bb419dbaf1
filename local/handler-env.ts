/**
 * The environment the handlers get locally: the same variables CDK sets
 * (lambdas/commons/env.ts ENV), with endpoints pointing at DynamoDB Local and
 * the gateway emulator, and dummy credentials.
 */
import { ENV } from '../lambdas/commons/env';

export interface HandlerEnvInput {
  readonly region: string;
  readonly dynamoEndpoint: string;
  /** Physical table name by env var (createTables' result). */
  readonly tableNames: Record<string, string>;
  /** `http://127.0.0.1:${wsPort}/${stage}` */
  readonly callbackUrl: string;
  readonly jwtSecret: string;
  readonly frontendUrl: string;
  /** The local Invoke API (lambda-api.ts) the fan-out invokes its slice workers through. */
  readonly lambdaEndpoint?: string;
}

/**
 * Builds the variables to set. Values are strings; `undefined` marks a
 * variable to remove (JWT_SECRET_ARN would send the handlers to Secrets Manager).
 *
 * @example
 * const env = buildHandlerEnv({ region: 'eu-west-1', dynamoEndpoint, tableNames, callbackUrl, jwtSecret, frontendUrl });
 */
export function buildHandlerEnv(input: HandlerEnvInput): Record<string, string | undefined> {
  return {
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // DynamoDB Local accepts any letters-and-digits key; never the developer's real credentials.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamoEndpoint,
    // As Lambda sets it: Powertools counts a cold start only for on-demand environments.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    ...input.tableNames,
    [ENV.callbackUrl]: input.callbackUrl,
    [ENV.jwtSecret]: input.jwtSecret,
    [ENV.jwtSecretArn]: undefined,
    [ENV.frontendUrl]: input.frontendUrl,
    ...(input.lambdaEndpoint !== undefined && { [ENV.lambdaEndpoint]: input.lambdaEndpoint }),
  };
}

/**
 * Writes the variables into an environment: a handler worker's (handler-host.ts),
 * or this process's when a tool imports the modules in its own thread (the bench).
 */
export function applyEnv(vars: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): void {
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
}
