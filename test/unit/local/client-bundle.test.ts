import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveClientBundle } from '../../../local/client-bundle';

describe('Function: serveClientBundle', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      if (await serveClientBundle(req, res)) return;
      res.writeHead(418).end('not mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the client as one minified ES module exporting connect', async () => {
    // Act
    const res = await fetch(`${base}/lettera-client.js`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await res.text();
    expect(code).toMatch(/export\s*\{[^}]*\bconnect\b/);
    expect(code).not.toMatch(/^import /m);
    expect(code).toContain('//# sourceMappingURL=/lettera-client.js.map');
  });

  it('serves the source map next to it', async () => {
    // Act
    const res = await fetch(`${base}/lettera-client.js.map`);

    // Assess
    expect(res.status).toBe(200);
    const map = (await res.json()) as { version: number; sources: string[] };
    expect(map.version).toBe(3);
    expect(map.sources.some((s) => s.endsWith('client/src/index.ts'))).toBe(true);
  });

  it('answers a revalidation with its ETag by 304', async () => {
    // Prepare
    const first = await fetch(`${base}/lettera-client.js`);
    const etag = first.headers.get('etag') ?? '';
    await first.text();

    // Act
    const again = await fetch(`${base}/lettera-client.js`, { headers: { 'if-none-match': etag } });

    // Assess
    expect(etag).not.toBe('');
    expect(again.status).toBe(304);
  });

  it('serves the presence helpers as a module of their own, with no copy of the core', async () => {
    // Act
    const res = await fetch(`${base}/lettera-client-presence.js`);
    const map = await fetch(`${base}/lettera-client-presence.js.map`);

    // Assess
    expect(res.status).toBe(200);
    const code = await res.text();
    expect(code).toMatch(/export\s*\{[^}]*\bautoAway\b/);
    expect(code).not.toMatch(/reconnect/);
    expect(code).toContain('//# sourceMappingURL=/lettera-client-presence.js.map');
    expect(((await map.json()) as { sources: string[] }).sources.some((s) => s.endsWith('client/src/presence.ts'))).toBe(true);
  });

  it('leaves every other path to the caller', async () => {
    // Act
    const results = await Promise.all(['/app.js', '/lettera-client-other.js', '/app.js.map'].map((path) => fetch(`${base}${path}`)));

    // Assess
    expect(results.map((res) => res.status)).toEqual([418, 418, 418]);
  });
});
