/**
 * `npm run bench`: end-to-end latency and throughput of the fan-out on the
 * local runtime, AWS requests per message against the design's lower bound,
 * each Lambda bundle's size and cold init, and the client bundle's size.
 * Prints plain-text tables and writes bench/results/latest.{json,md}.
 *
 * A benchmark, not a test: it asserts nothing and never runs in `npm test`.
 * Everything listens on 127.0.0.1; a watchdog ends the run after 5 minutes.
 *
 * Options: --sizes 10,100,1000  --messages 30,30,10  --runs 5 (cold init runs)
 *          --skip-realtime  --skip-bundles  --no-write
 *          --connect-storm 100 (users sharing a chat who connect; 0 skips)
 *          --login-burst 100 (users sharing a chat who connect at once, presence settled and server CPU; 0 skips)
 *          --cpu-profile DIR (V8 profile of the runtime's thread during each room's sends)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildClient, type BundleSize } from '../client/build';
import { REPO_ROOT } from '../local/handlers';
import { BUNDLE_TARGET, measureLambdaBundles, type LambdaBundleResult } from './lambda-bundles';
import { runRealtimeBench, type RealtimeResult } from './realtime';
import { renderReport } from './report';

const WATCHDOG_MS = 5 * 60_000;

export interface MachineInfo {
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly java: string;
  readonly date: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage: number;
}

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly durationMs: number;
  readonly realtime?: RealtimeResult;
  readonly lambdas?: { readonly target: string; readonly runs: number; readonly bundles: readonly LambdaBundleResult[] };
  readonly client?: BundleSize;
}

function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: os.cpus() is the best we have.
  }
  return { node: process.version, cpu, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), java: javaVersion(), date: new Date().toISOString(), loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100 };
}

function javaVersion(): string {
  try {
    const result = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' });
    return result.split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function listOf(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const numbers = value.split(',').map(Number);
  if (numbers.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`Not a list of positive integers: ${value}`);
  return numbers;
}

async function main(): Promise<void> {
  const started = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60_000} min; giving up`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      messages: { type: 'string' },
      runs: { type: 'string' },
      'skip-realtime': { type: 'boolean', default: false },
      'skip-bundles': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'cpu-profile': { type: 'string' },
      'connect-storm': { type: 'string' },
      'login-burst': { type: 'string' },
    },
  });
  const sizes = listOf(values.sizes, [10, 100, 1000]);
  const messages = listOf(values.messages, sizes.map((size) => (size >= 1000 ? 10 : 30)));
  if (messages.length !== sizes.length) throw new Error('--messages needs one count per size');
  const runs = listOf(values.runs, [5])[0] as number;
  const stormSize = Number(values['connect-storm'] ?? 100);
  if (!Number.isInteger(stormSize) || stormSize < 0) throw new Error(`--connect-storm needs a count: ${values['connect-storm']}`);
  const burstSize = Number(values['login-burst'] ?? 100);
  if (!Number.isInteger(burstSize) || burstSize < 0) throw new Error(`--login-burst needs a count: ${values['login-burst']}`);
  const log = (line: string): void => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);

  const machine = machineInfo();
  let realtime: RealtimeResult | undefined;
  if (!values['skip-realtime']) {
    realtime = await runRealtimeBench({
      rooms: sizes.map((size, i) => ({ size, messages: messages[i] as number })),
      connectStormSize: stormSize,
      loginBurstSize: burstSize,
      ...(values['cpu-profile'] !== undefined ? { cpuProfileDir: values['cpu-profile'] } : {}),
      log,
    });
  }

  let lambdas: BenchResults['lambdas'];
  let client: BundleSize | undefined;
  if (!values['skip-bundles']) {
    lambdas = { target: BUNDLE_TARGET, runs, bundles: await measureLambdaBundles(runs, log) };
    log('building the client bundle');
    const dir = mkdtempSync(join(tmpdir(), 'lettera-bench-client-'));
    try {
      client = await buildClient(join(dir, 'index.js'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const results: BenchResults = {
    machine,
    durationMs: performance.now() - started,
    ...(realtime !== undefined ? { realtime } : {}),
    ...(lambdas !== undefined ? { lambdas } : {}),
    ...(client !== undefined ? { client } : {}),
  };
  const report = renderReport(results);
  console.log(report.text);
  if (!values['no-write']) {
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, 'latest.md'), report.markdown);
    log('wrote bench/results/latest.json and bench/results/latest.md');
  }
  clearTimeout(watchdog);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
