/**
 * The example frontend installs the client the way another app would: from
 * the tarball `npm pack` makes of client/ (which builds it), into a scratch
 * copy of examples/frontend, with no registry. Then Node.js imports it by
 * name, and tsc type-checks a file against its declarations with Node.js's
 * own module resolution (nodenext), so the types must be self-contained.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedServer } from '../client/scripted-server';

const execFileAsync = promisify(execFile);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'lettera-frontend-'));
const example = join(scratch, 'frontend');
const installed = join(example, 'node_modules', 'lettera-realtime-client');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let tarball: string;

/** Runs a script as an ES module inside the example directory and returns what it printed. */
function nodeInExample(script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: example, encoding: 'utf8' });
}

beforeAll(() => {
  cpSync(join(root, 'examples', 'frontend'), example, {
    recursive: true,
    filter: (src) => !/(node_modules|\.tgz$|package-lock\.json$)/.test(src),
  });
  // The example's own script does these two steps; here with --offline to prove no registry is needed.
  execFileSync(npm, ['pack', join(root, 'client'), '--pack-destination', example], { cwd: root, stdio: 'pipe' });
  tarball = readdirSync(example).find((f) => f.endsWith('.tgz')) ?? '';
  execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund'], { cwd: example, stdio: 'pipe' });
}, 60_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('Example: frontend', () => {
  it('installs the client from its tarball with nothing but its built files and no dependencies', () => {
    // Act
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    const lock = JSON.parse(readFileSync(join(example, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };

    // Assess
    expect(tarball).toBe('lettera-realtime-client-0.1.0.tgz');
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/lettera-realtime-client']);
    expect(existsSync(join(installed, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'protocol', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'build.ts'))).toBe(false);
  });

  it('imports by package name from Node.js, with the exports the demo page and apps use', () => {
    // Act
    const printed = nodeInExample(
      "const m = await import('lettera-realtime-client'); console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))));",
    );

    // Assess
    expect(JSON.parse(printed)).toMatchObject({
      connect: 'function',
      io: 'function',
      ChatSocket: 'function',
      ClientError: 'function',
      AckTimeoutError: 'function',
      DisconnectedError: 'function',
      Backoff: 'function',
      DEFAULTS: 'object',
      RESERVED_EVENTS: 'object',
      KEEPALIVE_ACTION: 'string',
    });
  });

  it("runs the example's chat module against the installed package: connects, receives, sends", async () => {
    // Prepare: a server speaking the protocol; ws passed in as Node.js 20 has no global WebSocket.
    const server = await ScriptedServer.start();
    const ws = pathToFileURL(createRequire(import.meta.url).resolve('ws')).href;
    const child = execFileAsync(process.execPath, ['--input-type=module', '-e', `
      const { default: WebSocket } = await import(${JSON.stringify(ws)});
      const { openChat } = await import('./chat.js');
      const lines = [];
      const chat = openChat({ wsUrl: ${JSON.stringify(server.url)}, httpUrl: 'http://127.0.0.1:9', getToken: () => 'tok',
        chatId: 'demo', onLine: (line) => lines.push(line), WebSocket });
      await new Promise((resolve) => chat.socket.once('connect', resolve));
      const stored = await chat.send('hello');
      chat.close();
      console.log(JSON.stringify({ lines, stored }));
    `], { cwd: example, encoding: 'utf8' });
    try {
      // Act
      const conn = await server.connection(0);
      conn.event('message:new', { messageId: 'M0', chatId: 'demo', senderId: 'bob', content: 'hi alice', timestamp: 't' }, 'M0');
      const frame = await conn.frame((f) => f.action === 'message:send');
      conn.ack(frame.ackId, { messageId: 'M1', chatId: 'demo', senderId: 'alice', content: 'hello', timestamp: 't' });
      const { lines, stored } = JSON.parse((await child).stdout) as { lines: string[]; stored: { messageId: string } };

      // Assess
      expect(conn.protocols).toEqual(['lettera.v1', 'tok']);
      expect(frame.data).toMatchObject({ chatId: 'demo', content: 'hello' });
      expect(stored.messageId).toBe('M1');
      expect(lines[0]).toMatch(/^connected \([0-9a-f]{16}\)$/);
      expect(lines).toContain('bob: hi alice');
    } finally {
      await server.close();
    }
  });

  it("keeps the root package's lettera-realtime/client export pointing at the same build", () => {
    // Act: packing built client/dist in place; the root package imports itself by name.
    const printed = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('lettera-realtime/client'); console.log(typeof m.connect, typeof m.ChatSocket);"],
      { cwd: root, encoding: 'utf8' },
    );

    // Assess
    expect(printed.trim()).toBe('function function');
  });

  it('type-checks an app against the installed declarations with nodenext resolution', () => {
    // Prepare: wrong payloads must be errors, so the types cannot have fallen back to any.
    writeFileSync(
      join(example, 'check.ts'),
      [
        "import { connect, type ChatSocket, type Message } from 'lettera-realtime-client';",
        "const socket: ChatSocket = connect('ws://127.0.0.1:3001/local', { autoConnect: false, ackTimeout: 5000 });",
        "socket.on('message:new', (m, meta) => console.log(m.content, meta.recovered));",
        "const sent: Promise<Message> = socket.emitWithAck('message:send', { chatId: 'demo', content: 'hi' });",
        '// @ts-expect-error content is required',
        "socket.emit('message:send', { chatId: 'demo' });",
        '// @ts-expect-error not an event of the protocol',
        "socket.on('message:unknown', () => {});",
        'void sent;',
      ].join('\n'),
    );
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    args.push('--lib', 'es2023,dom', '--skipLibCheck', 'false', 'check.ts');

    // Act
    let diagnostics = '';
    try {
      execFileSync(process.execPath, [tsc, ...args], { cwd: example, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      diagnostics = String((err as { stdout?: string }).stdout ?? err);
    }

    // Assess
    expect(diagnostics).toBe('');
  });
});
