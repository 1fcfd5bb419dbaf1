/**
 * Every `@example` in client/src compiles: each becomes a function body in
 * a scratch file, next to declarations of the app's own names the examples
 * use (`render`, `chatId`, ...), and tsc checks them all against the
 * client's sources. An example that calls a method that does not exist or
 * passes the wrong payload fails here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'client', 'src');
const scratch = mkdtempSync(join(tmpdir(), 'lettera-examples-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The client's modules and what the examples may use of each without importing it. */
const MODULES: Record<string, string[]> = {
  index: ['connect', 'io', 'ChatSocket', 'ClientError', 'DEFAULTS'],
  backoff: ['Backoff'],
  'connection-state': ['assertTransition'],
  debug: ['createDebug'],
  errors: ['toError'],
  history: ['eventsOfMessage', 'fetchAfter'],
  options: ['resolveAuth'],
  outbox: ['Outbox'],
  'random-id': ['randomId'],
  recovery: ['Recovery'],
  seen: ['SeenIds'],
  transport: ['Transport'],
  typing: ['TypingSender', 'TypingTracker'],
  presence: ['queryPresence', 'autoAway'],
  calls: ['watchRinging'],
};

/** The app's own names the examples refer to. */
const APP = `
declare const socket: ChatSocket;
declare const url: string;
declare const token: string;
declare const refreshedToken: string;
declare const chatId: string;
declare const messageId: string;
declare const content: string;
declare const delay: number;
declare const lastId: string;
declare const lastChangeId: string;
declare const lastMessageIdShown: string;
declare const message: Message;
declare const changedItem: Message;
declare const typingData: TypingData;
declare const envelope: { id: string };
declare const options: SocketOptions;
declare const auth: AuthOption;
declare const events: TransportEvents;
declare const transport: Transport;
declare const backoff: Backoff;
declare const input: HTMLInputElement;
declare const form: HTMLFormElement;
declare const logoutButton: HTMLButtonElement;
declare const statusBadge: HTMLElement;
declare const ws: WebSocket;
declare const api: { messages(chatId: string): Promise<{ items: Message[] }> };
declare function render(message: MessageNewData, ...rest: unknown[]): void;
declare function showError(code: string): void;
declare function markSent(messageId: string): void;
declare function showOfflineBanner(): void;
declare function showSignedOut(): void;
declare function showNotAMember(): void;
declare function showTyping(chatId: string, userId: string): void;
declare function hideTyping(chatId: string, userId: string): void;
declare function stopRenderingTyping(): void;
declare function retryLater(): void;
declare function reconnect(): void;
declare function deliver(event: unknown): void;
declare function emitLocal(event: string, data: unknown): void;
declare function refresh(): Promise<string>;
declare function getFreshToken(): Promise<string>;
declare function report(err: Error): void;
declare const participantIds: string[];
declare const busyButton: HTMLButtonElement;
declare function showDot(userId: string, online: boolean, lastSeenAt?: string): void;
declare function showIncomingCall(callId: string, userId: string): void;
declare function showMissed(callId: string): void;
declare function ring(callId: string): void;
`;

interface Example {
  module: string;
  line: number;
  code: string;
}

function examplesOf(module: string): Example[] {
  const lines = readFileSync(join(src, `${module}.ts`), 'utf8').split('\n');
  const found: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\s*$/.test(lines[i] ?? '')) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*\*\s*@\w|^\s*\*\//.test(lines[j] ?? ''); j++) body.push((lines[j] ?? '').replace(/^\s*\* ?/, ''));
    found.push({ module, line: i + 1, code: body.join('\n') });
  }
  return found;
}

/** One scratch file per example: its imports first, the client's names it did not import, the app's names, its body. */
function scratchFile(example: Example, n: number): string {
  const imports = example.code
    .split('\n')
    .filter((l) => l.startsWith('import '))
    // The package's subpath modules (`lettera-realtime-client/calls`) are files of src too.
    .map((l) => l.replace(/'lettera-realtime-client(?:\/([\w-]+))?'/, (_m, subpath?: string) => `'${join(src, subpath ?? 'index')}'`));
  const body = example.code
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n');
  const imported = new Set(imports.join(' ').match(/[A-Za-z_$][\w$]*/g) ?? []);
  const provided = Object.entries(MODULES).map(([module, names]) => {
    const left = names.filter((name) => !imported.has(name));
    return left.length > 0 ? `import { ${left.join(', ')} } from '${join(src, module)}';` : '';
  });
  const types = `import type { AuthOption, SocketOptions, Message, MessageNewData, TypingData } from '${join(src, 'index')}';
import type { TransportEvents } from '${join(src, 'transport')}';`;
  const file = join(scratch, `${example.module}-${n}.ts`);
  writeFileSync(
    file,
    [
      `// ${example.module}.ts:${example.line}`,
      ...imports,
      ...provided,
      types,
      APP,
      `export async function example(): Promise<void> {`,
      body,
      `}`,
    ].join('\n'),
  );
  return file;
}

describe('Documentation: @example blocks of client/src', () => {
  it('compile against the client', () => {
    // Prepare
    const modules = readdirSync(src)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    const examples = modules.flatMap(examplesOf);
    const files = examples.map((example, n) => scratchFile(example, n));
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler'];
    args.push('--lib', 'es2023,dom', '--types', 'node', '--typeRoots', join(src, '..', '..', 'node_modules', '@types'));
    args.push('--ignoreConfig', '--allowUnusedLabels', '--skipLibCheck', ...files);

    // Act
    let diagnostics = '';
    try {
      execFileSync(process.execPath, [tsc, ...args], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      diagnostics = String((err as { stdout?: string }).stdout ?? err);
    }

    // Assess
    expect(examples.length).toBeGreaterThan(40);
    expect(diagnostics).toBe('');
  });
});
