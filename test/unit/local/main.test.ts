import { describe, expect, it, vi } from 'vitest';
import { bannerLines } from '../../../local/main';
import type { LocalRuntime } from '../../../local/runtime';

const fakeRuntime = (usesDevelopmentSecret: boolean) =>
  ({
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
});
