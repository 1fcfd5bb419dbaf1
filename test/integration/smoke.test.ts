import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, optionsFromArgs, runSmoke } from '../../scripts/smoke';
import { startTestRuntime, type LocalRuntime } from '../helpers/local-runtime';

const repoRoot = resolve(import.meta.dirname, '../..');
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

/** Runs `npm run smoke`'s script in its own process, as a user would. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, JWT_ACCESS_SECRET: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('Script: scripts/smoke.ts against the local runtime', () => {
  it('passes every step with two users, reporting each', async () => {
    // Prepare
    const lines: string[] = [];
    const options = {
      wsUrl: runtime.wsUrl,
      httpUrl: runtime.httpUrl,
      tokenA: await mintToken('smoke-alice', runtime.jwtSecret),
      tokenB: await mintToken('smoke-bob', runtime.jwtSecret),
      log: (line: string) => lines.push(line),
    };

    // Act
    const steps = await runSmoke(options);

    // Assess
    expect(steps.filter((step) => !step.ok)).toEqual([]);
    expect(steps.map((step) => step.name)).toEqual([
      'read the two users from their tokens',
      'create a chat of smoke-alice and smoke-bob (HTTP API)',
      'connect smoke-alice',
      'connect smoke-bob',
      'smoke-alice sees smoke-bob come online',
      'smoke-alice sends a message, smoke-bob receives it',
      'smoke-alice edits it, smoke-bob sees the edit',
      'smoke-alice types, smoke-bob sees the indicator',
      'smoke-alice deletes it, smoke-bob sees the delete',
      'smoke-bob disconnects, smoke-alice sees smoke-bob go offline',
    ]);
    expect(lines).toHaveLength(steps.length);
    expect(lines.every((line) => line.startsWith('ok    '))).toBe(true);
  });

  it('exits 0 from the command line with --secret', async () => {
    // Act
    const result = await runCli([runtime.wsUrl, runtime.httpUrl, '--secret', runtime.jwtSecret, '--user-a', 'cli-a', '--user-b', 'cli-b']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('smoke: all 10 steps passed');
    expect(result.code).toBe(0);
  });

  it('exits 1 and names the failed step when the tokens are signed with another secret', async () => {
    // Act
    const result = await runCli([runtime.wsUrl, runtime.httpUrl], { JWT_ACCESS_SECRET: 'not-the-secret-of-this-runtime-but-long-enough' });

    // Assess
    expect(result.stdout).toMatch(/FAIL {2}create a chat of smoke-a and smoke-b \(HTTP API\) \(\d+ ms\): POST \/chats answered 401 UNAUTHORIZED/);
    expect(result.stdout).toContain('smoke: FAILED at "create a chat of smoke-a and smoke-b (HTTP API)"');
    expect(result.code).toBe(1);
  });

  it('exits 2 with the usage when no way to get tokens is given', async () => {
    // Act
    const result = await runCli([runtime.wsUrl, runtime.httpUrl]);

    // Assess
    expect(result.stderr).toContain('smoke: give --secret (or JWT_ACCESS_SECRET) to mint tokens, or --token-a and --token-b');
    expect(result.stderr).toContain('usage: npm run smoke --');
    expect(result.code).toBe(2);
  });
});

describe('Function: optionsFromArgs', () => {
  it.each([
    [['wss://x/prod'], 'give the WebSocket URL and the HTTP API URL'],
    [['https://x/prod', 'https://y/'], 'the WebSocket URL must start with wss:// or ws://'],
    [['wss://x/prod', 'y.example.com', '--secret', 's'], 'the HTTP API URL must start with https:// or http://'],
    [['wss://x/prod', 'https://y/', '--token-a', 'a.b.c'], 'give both --token-a and --token-b, or a secret'],
    [['wss://x/prod', 'https://y/', '--secret', 's', '--timeout', 'soon'], '--timeout must be a positive number of milliseconds'],
  ])('refuses %j', async (args, message) => {
    // Act + Assess
    await expect(optionsFromArgs(args, {})).rejects.toThrow(message);
  });

  it('takes given tokens as they are', async () => {
    // Act
    const options = await optionsFromArgs(['wss://x/prod', 'https://y/', '--token-a', 'ta', '--token-b', 'tb'], {});

    // Assess
    expect(options).toMatchObject({ wsUrl: 'wss://x/prod', httpUrl: 'https://y/', tokenA: 'ta', tokenB: 'tb', stepTimeoutMs: 15000 });
  });
});
