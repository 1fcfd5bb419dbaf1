/**
 * Each Lambda's deployment bundle, built by the very construct the stack
 * uses (ChatFunction, a NodejsFunction that runs esbuild locally during
 * synthesis), so the options can't drift from what is deployed: its size
 * raw, gzipped and zipped, and its cold init time, measured as the time a
 * fresh `node` process takes to import it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { CHAT_FUNCTION_RUNTIME, ChatFunction } from '../lib/constructs/chat-function';
import { ENV } from '../lambdas/commons/env';
import { allTables } from '../lambdas/system/schema';
import { functions, sliceWorkers, type FunctionName } from '../lambdas/system/topology';
import { REPO_ROOT } from '../local/handlers';
import { median } from './stats';

export interface LambdaBundleResult {
  readonly name: FunctionName;
  readonly entry: string;
  /** index.mjs */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The deployment package as CDK uploads it (index.mjs + index.mjs.map), zipped. */
  readonly zipBytes: number;
  readonly sourceMapBytes: number;
  /** Median import time, NODE_OPTIONS=--enable-source-maps as deployed. */
  readonly initMs: number;
  /** Median import time without source-map support. */
  readonly initNoSourceMapsMs: number;
  readonly initSamplesMs: readonly number[];
}

/** The environment a deployed function has (tables, callback URL, JWT config), with local stand-ins. */
function functionEnv(withSourceMaps: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_SERVICE_NAME: 'lettera-realtime',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    [ENV.callbackUrl]: 'http://127.0.0.1:9/local',
    // In AWS the secret comes from Secrets Manager (JWT_SECRET_ARN); a plain secret keeps init off the network.
    [ENV.jwtSecret]: 'bench-secret-bench-secret-bench-secret',
    // The fan-out invokes the slice poster by this name (the stack sets it to the function's).
    [sliceWorkers.functionNameEnv]: sliceWorkers.function,
  };
  for (const table of allTables) env[table.envVar] = table.name;
  if (withSourceMaps) env.NODE_OPTIONS = '--enable-source-maps';
  return env;
}

const IMPORT_TIMER = 'const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t);';

/** Import time of a module in a fresh node process, in ms. */
function importTime(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(file).href], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const ms = Number(out.trim().split('\n').pop());
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`importing ${file} failed (exit ${String(code)}): ${err.slice(0, 2000)}`));
    });
  });
}

function zipSize(dir: string, workDir: string): number {
  const zipFile = join(workDir, `${Math.random().toString(36).slice(2)}.zip`);
  try {
    execFileSync('zip', ['-q', '-r', '-9', zipFile, '.'], { cwd: dir, stdio: 'ignore' });
    return statSync(zipFile).size;
  } catch {
    return Number.NaN; // no `zip` on the PATH
  }
}

/** The esbuild target the construct derives from its runtime (nodejs24.x → node24). */
export const BUNDLE_TARGET = `node${/nodejs(\d+)/.exec(CHAT_FUNCTION_RUNTIME.name)?.[1] ?? '?'}`;

/**
 * Bundles every function of topology.ts with ChatFunction in a throwaway
 * CDK app and measures each bundle.
 *
 * @example
 * for (const b of await measureLambdaBundles(5)) console.log(b.name, b.bytes, b.initMs);
 */
export async function measureLambdaBundles(runs: number, log: (line: string) => void = () => undefined): Promise<LambdaBundleResult[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'lettera-bench-cdk-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'LetteraBench');
    const bundles = (Object.keys(functions) as FunctionName[]).map((name) => {
      const entry = functions[name].entry;
      log(`bundling ${name} (${entry})`);
      const fn = new ChatFunction(stack, `${name}Function`, { entry: join(REPO_ROOT, entry), projectRoot: REPO_ROOT });
      const staging = fn.node.findAll().find((child): child is AssetStaging => child instanceof AssetStaging);
      if (staging === undefined) throw new Error(`No bundled asset for ${name}`);
      return { name, entry, dir: staging.absoluteStagedPath, withMaps: [] as number[], withoutMaps: [] as number[] };
    });
    // Round-robin, so a burst of load elsewhere on the machine hits every function alike.
    log(`cold init: ${runs} fresh node process(es) per function and mode`);
    for (let i = 0; i < runs; i++) {
      for (const bundle of bundles) {
        const file = join(bundle.dir, 'index.mjs');
        bundle.withMaps.push(await importTime(file, functionEnv(true)));
        bundle.withoutMaps.push(await importTime(file, functionEnv(false)));
      }
    }
    const results: LambdaBundleResult[] = bundles.map((bundle) => {
      const code = readFileSync(join(bundle.dir, 'index.mjs'));
      return {
        name: bundle.name,
        entry: bundle.entry,
        bytes: code.length,
        gzipBytes: gzipSync(code, { level: 9 }).length,
        zipBytes: zipSize(bundle.dir, outdir),
        sourceMapBytes: statSync(join(bundle.dir, 'index.mjs.map')).size,
        initMs: median(bundle.withMaps),
        initNoSourceMapsMs: median(bundle.withoutMaps),
        initSamplesMs: bundle.withMaps,
      };
    });
    return results;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
