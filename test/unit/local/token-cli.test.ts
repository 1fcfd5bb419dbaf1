/**
 * token-cli.ts is a script (`npm run token -- alice`), so it is run as one,
 * with tsx, and its output verified like the handlers would verify it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../../local/tokens';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tsx = `${repoRoot}node_modules/.bin/tsx`;

async function tokenCli(args: string[], env: Record<string, string | undefined> = {}) {
  const childEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  try {
    const { stdout, stderr } = await run(tsx, ['local/token-cli.ts', ...args], { cwd: repoRoot, env: childEnv });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('Script: token-cli', () => {
  it('prints a token for the user signed with JWT_ACCESS_SECRET', async () => {
    // Prepare
    const secret = 'a-secret-for-the-token-cli-test-32-bytes';

    // Act
    const { code, stdout, stderr } = await tokenCli(['bob', '--expires', '1h'], { JWT_ACCESS_SECRET: secret });

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    expect(payload.sub).toBe('bob');
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it('falls back to the development secret, saying so on stderr, with a 12 h lifetime', async () => {
    // Act
    const { code, stdout, stderr } = await tokenCli(['alice'], { JWT_ACCESS_SECRET: undefined });

    // Assess
    expect(code).toBe(0);
    expect(stderr).toContain('signed with the local development secret');
    await expect(jwtVerify(stdout.trim(), new TextEncoder().encode(DEV_JWT_SECRET))).resolves.toBeDefined();
    const payload = decodeJwt(stdout.trim());
    expect((payload.exp as number) - (payload.iat as number)).toBe(12 * 3600);
  });

  it('exits 2 with the usage when no user is given', async () => {
    // Act
    const { code, stdout, stderr } = await tokenCli([]);

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: npm run token -- <userId>');
  });
});
