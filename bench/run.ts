/**
 * `npm run bench`: end-to-end latency and throughput of the fan-out on the
 * local runtime, AWS requests per message against the design's lower bound,
 * each Lambda bundle's size and cold init, and the client bundle's size.
 * Prints plain-text tables and writes bench/results/latest.{json,md}; the
 * big-room sections also go to bench/results/big-room.{json,md} as soon as
 * they are done (a later section that fails does not lose them).
 *
 * A benchmark, not a test: it asserts nothing and never runs in `npm test`.
 * Everything listens on 127.0.0.1; a watchdog ends the run after 12 minutes.
 *
 * Options: --sizes 10,100,1000  --messages 30,30,10  --runs 5 (cold init runs)
 *          --skip-realtime  --skip-bundles  --skip-hot-post  --no-write
 *          --connect-storm 100 (users sharing a chat who connect; 0 skips)
 *          --login-burst 100 (users sharing a chat who connect at once, presence settled and server CPU; 0 skips)
 *          --cpu-profile DIR (V8 profile of the runtime's thread during each room's sends)
 *          --big-room 1000 (connected participants of "create N" and "room N"; 0 skips)
 *          --big-room-messages 50 (the room workload's messages, 10/s from 10 senders; 0: create only)
 *          --quick (a quick check: --big-room 100 --big-room-messages 20, no other section)
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
import { runHotPostBench, type HotPostResult } from './hot-post';
import { runBigRoomBench, type BigRoomResult } from './big-room';
import { runRealtimeBench, type RealtimeResult } from './realtime';
import { renderReport } from './report';

// The big room (1,000 connections, created and posted to) takes a few minutes on a loaded 2-core machine.
const WATCHDOG_MS = 12 * 60_000;

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
  readonly hotPost?: HotPostResult;
  readonly bigRoom?: BigRoomResult;
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
      // --slice-size 250: FAN_OUT_SLICE_SIZE, rooms above it are posted in slices by the runtime's worker threads.
      'slice-size': { type: 'string' },
      messages: { type: 'string' },
      runs: { type: 'string' },
      'skip-realtime': { type: 'boolean', default: false },
      'skip-bundles': { type: 'boolean', default: false },
      'skip-hot-post': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'cpu-profile': { type: 'string' },
      'connect-storm': { type: 'string' },
      'big-room': { type: 'string' },
      'big-room-messages': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'login-burst': { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const sizes = listOf(values.sizes, [10, 100, 1000]);
  const messages = listOf(values.messages, sizes.map((size) => (size >= 1000 ? 10 : 30)));
  if (messages.length !== sizes.length) throw new Error('--messages needs one count per size');
  const runs = listOf(values.runs, [5])[0] as number;
  const stormSize = Number(values['connect-storm'] ?? 100);
  if (!Number.isInteger(stormSize) || stormSize < 0) throw new Error(`--connect-storm needs a count: ${values['connect-storm']}`);
  const bigRoomSize = Number(values['big-room'] ?? (quick ? 100 : 1000));
  const bigRoomMessages = Number(values['big-room-messages'] ?? (quick ? 20 : 50));
  if (!Number.isInteger(bigRoomSize) || bigRoomSize < 0) throw new Error(`--big-room needs a count: ${values['big-room']}`);
  if (!Number.isInteger(bigRoomMessages) || bigRoomMessages < 0) throw new Error(`--big-room-messages needs a count: ${values['big-room-messages']}`);
  const burstSize = Number(values['login-burst'] ?? 100);
  if (!Number.isInteger(burstSize) || burstSize < 0) throw new Error(`--login-burst needs a count: ${values['login-burst']}`);
  const log = (line: string): void => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);

  const machine = machineInfo();
  // First, while nothing else of the bench runs in this process: its CPU is read per process.
  const hotPost = values['skip-hot-post'] ? undefined : await runHotPostBench({ log });
  // First, on a runtime of its own: its CPU figures count only this process and DynamoDB Local.
  const bigRoom = bigRoomSize > 0 ? await runBigRoomBench({ size: bigRoomSize, messages: bigRoomMessages, log }) : undefined;
  const write = !values['no-write'] && !quick; // A quick check prints only: the results files keep the last full run.
  if (bigRoom !== undefined && write) writeResults('big-room', { machine, durationMs: performance.now() - started, bigRoom }, log);
  let realtime: RealtimeResult | undefined;
  if (!values['skip-realtime'] && !quick) {
    realtime = await runRealtimeBench({
      rooms: sizes.map((size, i) => ({ size, messages: messages[i] as number })),
      ...(values['slice-size'] !== undefined && { sliceSize: listOf(values['slice-size'], [])[0] as number }),
      connectStormSize: stormSize,
      loginBurstSize: burstSize,
      ...(values['cpu-profile'] !== undefined ? { cpuProfileDir: values['cpu-profile'] } : {}),
      log,
    });
  }

  let lambdas: BenchResults['lambdas'];
  let client: BundleSize | undefined;
  if (!values['skip-bundles'] && !quick) {
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
    ...(hotPost !== undefined ? { hotPost } : {}),
    ...(bigRoom !== undefined ? { bigRoom } : {}),
    ...(lambdas !== undefined ? { lambdas } : {}),
    ...(client !== undefined ? { client } : {}),
  };
  const report = renderReport(results);
  console.log(report.text);
  // latest.* is the whole benchmark: a run that skipped a part leaves it as it was.
  if (write && realtime !== undefined && lambdas !== undefined) writeResults('latest', results, log, report.markdown);
  clearTimeout(watchdog);
}

/** Writes bench/results/{name}.json and {name}.md. */
function writeResults(name: string, results: BenchResults, log: (line: string) => void, markdown = renderReport(results).markdown): void {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdown);
  log(`wrote bench/results/${name}.json and bench/results/${name}.md`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
