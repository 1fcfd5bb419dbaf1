import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
const outDir = mkdtempSync(join(tmpdir(), 'lettera-cdk-out-'));

/** Runs the CDK app the way the CLI does: context in CDK_CONTEXT_JSON, output to CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/lettera-realtime.ts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    // Bundling skipped: esbuild is slow and the template does not depend on the bundles.
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }), CDK_OUTDIR: outDir },
    timeout: 120_000,
  });
}

describe('CDK app: bin/lettera-realtime.ts', () => {
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it.each([
    [{}, 'lettera-realtime: Context "frontendUrl" is required'],
    [{ frontendURL: 'https://app.example.com' }, 'lettera-realtime: Unknown context key "frontendURL": did you mean "frontendUrl"?'],
    [{ frontendUrl: 'https://app.example.com', jwtSecretNme: 'jwt' }, 'lettera-realtime: Unknown context key "jwtSecretNme": did you mean "jwtSecretName"?'],
    [{ frontendUrl: 'app.example.com' }, 'lettera-realtime: Context "frontendUrl" is not a URL'],
  ])('refuses %j with one line on stderr, no stack trace, exit code 1', (context, message) => {
    // Act
    const result = runApp(context);
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('synthesizes with frontendUrl (cdk-nag included) and puts it into CORS', () => {
    // Act
    const result = runApp({ frontendUrl: 'https://app.example.com' });
    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const template = JSON.parse(readFileSync(join(outDir, 'LetteraRealtime.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { CorsConfiguration?: { AllowOrigins?: string[] } } }>;
    };
    const apis = Object.values(template.Resources).filter((resource) => resource.Properties?.CorsConfiguration !== undefined);
    expect(apis.map((api) => api.Properties?.CorsConfiguration?.AllowOrigins)).toEqual([['https://app.example.com']]);
  }, 120_000); // a whole synth in a child process (with cdk-nag): slow on a loaded machine

});
