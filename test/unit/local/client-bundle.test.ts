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

  it('leaves every other path to the caller', async () => {
    // Act
    const res = await fetch(`${base}/app.js`);

    // Assess
    expect(res.status).toBe(418);
  });
});
