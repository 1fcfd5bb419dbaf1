import { spawnSync, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { JVM_OPTIONS, withJavaToolOptions } from '../../../local/dynamodb-local';

/** What a child started inside withJavaToolOptions sees in JAVA_TOOL_OPTIONS. */
function childSees(): Promise<string> {
  const child = withJavaToolOptions(JVM_OPTIONS, () => spawn(process.execPath, ['-e', 'process.stdout.write(process.env.JAVA_TOOL_OPTIONS ?? "")']));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.once('close', () => resolve(out)));
}

describe('Function: withJavaToolOptions', () => {
  const saved = process.env.JAVA_TOOL_OPTIONS;
  afterEach(() => {
    if (saved === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = saved;
  });

  it('gives the spawned JVM the C1-only option and leaves this process as it was', async () => {
    // Prepare
    delete process.env.JAVA_TOOL_OPTIONS;

    // Act
    const seen = await childSees();

    // Assess
    expect(seen).toBe('-XX:TieredStopAtLevel=1');
    expect(process.env.JAVA_TOOL_OPTIONS).toBeUndefined();
  });

  it("puts the user's own options after ours, so theirs win", async () => {
    // Prepare
    process.env.JAVA_TOOL_OPTIONS = '-XX:TieredStopAtLevel=4 -Xmx512m';

    // Act
    const seen = await childSees();

    // Assess
    expect(seen).toBe('-XX:TieredStopAtLevel=1 -XX:TieredStopAtLevel=4 -Xmx512m');
    expect(process.env.JAVA_TOOL_OPTIONS).toBe('-XX:TieredStopAtLevel=4 -Xmx512m');
  });

  it('is an option this Java accepts', () => {
    // Act
    const java = spawnSync('java', [JVM_OPTIONS, '-version'], { encoding: 'utf8' });

    // Assess
    expect(java.status).toBe(0);
  });
});
