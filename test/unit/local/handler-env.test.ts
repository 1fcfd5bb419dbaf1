import { describe, expect, it } from 'vitest';
import { applyEnv, buildHandlerEnv } from '../../../local/handler-env';

const input = {
  region: 'eu-west-1',
  dynamoEndpoint: 'http://127.0.0.1:8000',
  tableNames: { CONNECTIONS_TABLE: 'Connections', MESSAGES_TABLE: 'Messages' },
  callbackUrl: 'http://127.0.0.1:3001/local',
  jwtSecret: 'local-development-secret-of-32-bytes!!',
  frontendUrl: 'http://localhost:5173',
};

describe('Function: buildHandlerEnv', () => {
  it('points the handlers at DynamoDB Local and the gateway emulator, with the table names', () => {
    // Act
    const env = buildHandlerEnv(input);

    // Assess
    expect(env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
      CONNECTIONS_TABLE: 'Connections',
      MESSAGES_TABLE: 'Messages',
      WS_CALLBACK_URL: 'http://127.0.0.1:3001/local',
      JWT_ACCESS_SECRET: input.jwtSecret,
      FRONTEND_URL: 'http://localhost:5173',
    });
  });

  it('uses dummy credentials and unsets the developer\'s profile, session and secret ARN', () => {
    // Act
    const env = buildHandlerEnv(input);

    // Assess
    expect(env.AWS_ACCESS_KEY_ID).toBe('local');
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('local');
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'JWT_SECRET_ARN']) {
      expect(env).toHaveProperty(name, undefined);
    }
  });
});

describe('Function: applyEnv', () => {
  it('sets string values and deletes the ones marked undefined', () => {
    // Prepare
    const env: NodeJS.ProcessEnv = { AWS_PROFILE: 'prod-admin', KEEP: 'yes' };

    // Act
    applyEnv({ AWS_PROFILE: undefined, AWS_REGION: 'eu-west-1' }, env);

    // Assess
    expect(env).toEqual({ KEEP: 'yes', AWS_REGION: 'eu-west-1' });
    expect('AWS_PROFILE' in env).toBe(false);
  });
});
