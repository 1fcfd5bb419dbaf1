import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatFunction } from '../../../../lib/constructs/chat-function';
import { functions } from '../../../../lambdas/system/topology';
import { REPO_ROOT } from '../../../../local/handlers';

const outdir = mkdtempSync(join(tmpdir(), 'lettera-chat-function-'));

/** Bundles the heartbeat function with ChatFunction (esbuild runs locally) and returns index.mjs. */
function bundle(tracing: boolean): string {
  const app = new App({ outdir });
  const stack = new Stack(app, `Bundle${String(tracing)}`);
  const fn = new ChatFunction(stack, 'Heartbeat', { entry: join(REPO_ROOT, functions.heartbeat.entry), projectRoot: REPO_ROOT, tracing });
  const staging = fn.node.findAll().find((child): child is AssetStaging => child instanceof AssetStaging);
  if (staging === undefined) throw new Error('no bundled asset');
  return readFileSync(join(staging.absoluteStagedPath, 'index.mjs'), 'utf8');
}

describe('Class: ChatFunction', () => {
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('leaves the Tracer and the X-Ray SDK out of the bundle unless tracing is on', () => {
    // Act
    const untraced = bundle(false);
    const traced = bundle(true);

    // Assess: the X-Ray SDK's own setting names mark its presence.
    expect(untraced).not.toContain('AWS_XRAY_DAEMON_ADDRESS');
    expect(traced).toContain('AWS_XRAY_DAEMON_ADDRESS');
    expect(traced.length - untraced.length).toBeGreaterThan(50_000);
    // Two esbuild bundles: seconds alone, longer on a loaded machine.
  }, 90_000);
});
