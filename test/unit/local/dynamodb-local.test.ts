import { spawnSync, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { JVM_OPTIONS, withDynamoDbLocalEnv } from '../../../local/dynamodb-local';

/** What a child started inside withDynamoDbLocalEnv sees in JAVA_TOOL_OPTIONS and DDB_LOCAL_TELEMETRY. */
function childSees(): Promise<{ javaToolOptions: string; telemetry: string }> {
  const child = withDynamoDbLocalEnv(() =>
    spawn(process.execPath, ['-e', 'process.stdout.write(JSON.stringify({ javaToolOptions: process.env.JAVA_TOOL_OPTIONS ?? "", telemetry: process.env.DDB_LOCAL_TELEMETRY ?? "" }))']),
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.once('close', () => resolve(JSON.parse(out) as { javaToolOptions: string; telemetry: string })));
}

describe('Function: withDynamoDbLocalEnv', () => {
  const saved = { JAVA_TOOL_OPTIONS: process.env.JAVA_TOOL_OPTIONS, DDB_LOCAL_TELEMETRY: process.env.DDB_LOCAL_TELEMETRY };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('gives the spawned JVM the C1-only and serial-GC options and no telemetry, and leaves this process as it was', async () => {
    // Prepare
    delete process.env.JAVA_TOOL_OPTIONS;
    delete process.env.DDB_LOCAL_TELEMETRY;

    // Act
    const seen = await childSees();

    // Assess
    expect(seen).toEqual({ javaToolOptions: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC', telemetry: '0' });
    expect(process.env.JAVA_TOOL_OPTIONS).toBeUndefined();
    expect(process.env.DDB_LOCAL_TELEMETRY).toBeUndefined();
  });

  it("puts the user's own JVM options after ours, so theirs win, and keeps the user's telemetry choice", async () => {
    // Prepare
    process.env.JAVA_TOOL_OPTIONS = '-XX:TieredStopAtLevel=4 -Xmx512m';
    process.env.DDB_LOCAL_TELEMETRY = '1';

    // Act
    const seen = await childSees();

    // Assess
    expect(seen).toEqual({ javaToolOptions: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:TieredStopAtLevel=4 -Xmx512m', telemetry: '1' });
    expect(process.env.JAVA_TOOL_OPTIONS).toBe('-XX:TieredStopAtLevel=4 -Xmx512m');
    expect(process.env.DDB_LOCAL_TELEMETRY).toBe('1');
  });

  it('are options this Java accepts', () => {
    // Act
    const java = spawnSync('java', [...JVM_OPTIONS.split(' '), '-version'], { encoding: 'utf8' });

    // Assess
    expect(java.status).toBe(0);
  });
});
