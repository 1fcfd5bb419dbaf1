import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { buildClient, bundleSize, type BundleSize } from '../../../client/build';
import { ScriptedServer } from './scripted-server';

const dir = mkdtempSync(join(tmpdir(), 'lettera-client-'));
const outfile = join(dir, 'index.js');
let size: BundleSize;

beforeAll(async () => {
  size = await buildClient(outfile);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Function: buildClient', () => {
  it('builds a bundle of at most 6 KiB gzipped without Node.js imports', () => {
    // Act
    const code = readFileSync(outfile, 'utf8');

    // Assess
    expect(size.gzipBytes).toBeLessThanOrEqual(6 * 1024);
    expect(size.bytes).toBe(Buffer.byteLength(code));
    expect(code).not.toMatch(/from\s*["'](node:|ws["'])/);
    expect(code).not.toMatch(/require\(/);
  });

  it('builds the presence module on its own, importing nothing (no second copy of the core)', async () => {
    // Act
    await buildClient(join(dir, 'presence.js'), 'presence');
    const code = readFileSync(join(dir, 'presence.js'), 'utf8');

    // Assess
    expect(code).toMatch(/presence:query/);
    expect(code).not.toMatch(/\bimport\b[^;]*\bfrom\b/);
    expect(code).not.toMatch(/reconnect/);
    expect(bundleSize(join(dir, 'presence.js')).gzipBytes).toBeLessThan(1024);
  });

  it('produces a bundle that connects and round-trips an ack on Node.js', async () => {
    // Prepare
    const server = await ScriptedServer.start();
    const mod = (await import(pathToFileURL(outfile).href)) as typeof import('../../../client/src/index');
    const socket = mod.connect(server.url, { WebSocket, auth: { token: 'bundle-token' } });
    try {
      // Act
      const conn = await server.connection(0);
      const pending = socket.emitWithAck('user:typing', { chatId: 'c1' });
      conn.ack((await conn.frame()).ackId, { delivered: true });

      // Assess
      await expect(pending).resolves.toEqual({ delivered: true });
      expect(conn.protocols).toEqual(['lettera.v1', 'bundle-token']);
    } finally {
      socket.disconnect();
      await server.close();
    }
  });
});
