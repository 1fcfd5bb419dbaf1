import { describe, expect, it, vi } from 'vitest';
import { LIMIT_SETTINGS } from '../../../lambdas/system/limits';
import { bannerLines, USAGE } from '../../../local/main';
import { LOCAL_ENV } from '../../../local/runtime';
import { DEV_PUBLISHER_CREDENTIALS } from '../../../local/publish-auth';
import type { LocalRuntime } from '../../../local/runtime';

const fakeRuntime = (usesDevelopmentSecret: boolean, publisherCredentials = DEV_PUBLISHER_CREDENTIALS) =>
  ({
    region: 'eu-west-1',
    publisherCredentials,
    wsUrl: 'ws://127.0.0.1:3001/local',
    callbackUrl: 'http://127.0.0.1:3001/local',
    httpUrl: 'http://127.0.0.1:3000',
    allowedOrigins: ['http://127.0.0.1:3000', 'http://localhost:5173'],
    dynamoEndpoint: 'http://127.0.0.1:8000',
    jwtSecret: usesDevelopmentSecret ? 'the-development-secret' : 'the-user-secret',
    usesDevelopmentSecret,
    token: vi.fn(async (userId: string) => `signed-token-for-${userId}`),
  }) as unknown as LocalRuntime & { token: ReturnType<typeof vi.fn> };

describe('Function: bannerLines', () => {
  it('prints a ready-made token for alice, and the development-secret warning, with the development secret', async () => {
    // Prepare
    const runtime = fakeRuntime(true);

    // Act
    const text = (await bannerLines(runtime, undefined, true)).join('\n');

    // Assess
    expect(text).toContain('is running locally');
    expect(text).toContain('Bearer signed-token-for-alice');
    expect(text).toContain('DEVELOPMENT secret');
    expect(text).toContain('http://localhost:5173');
  });

  it('prints no token when JWT_ACCESS_SECRET is the user\'s own, only how to make one', async () => {
    // Prepare
    const runtime = fakeRuntime(false);

    // Act
    const text = (await bannerLines(runtime, undefined, true)).join('\n');

    // Assess
    expect(runtime.token).not.toHaveBeenCalled();
    expect(text).not.toContain('signed-token-for');
    expect(text).not.toContain('the-user-secret');
    expect(text).toContain('Bearer $(npm run -s token -- alice)');
  });

  it('prints the publisher’s development credential, and only the key id of the user’s own', async () => {
    // Act
    const dev = (await bannerLines(fakeRuntime(true), undefined, true)).join('\n');
    const own = (await bannerLines(fakeRuntime(true, { accessKeyId: 'MYKEY', secretAccessKey: 'my-secret' }), undefined, true)).join('\n');

    // Assess
    expect(dev).toContain(`accessKeyId ${DEV_PUBLISHER_CREDENTIALS.accessKeyId}   secretAccessKey ${DEV_PUBLISHER_CREDENTIALS.secretAccessKey}`);
    expect(dev).toContain('region eu-west-1');
    expect(own).toContain('accessKeyId MYKEY');
    expect(own).not.toContain('my-secret');
  });
});

describe('Constant: USAGE (npm start -- --help)', () => {
  it('names every limit setting and every local-only variable', () => {
    // Prepare
    const variables = [...Object.values(LIMIT_SETTINGS).map((setting) => setting.env), ...Object.values(LOCAL_ENV), 'DDB_LOCAL_TELEMETRY', 'JAVA_TOOL_OPTIONS'];

    // Act
    const missing = variables.filter((name) => !USAGE.includes(name));

    // Assess
    expect(missing).toEqual([]);
  });
});
