/**
 * Serves the client library to the demo page as one ESM file,
 * `/lettera-client.js` (plus its source map), built from client/src with
 * esbuild in memory: ESM, browser platform, minified. The build runs once,
 * on the first call of buildClientBundle() or the first request.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the page imports the client from: `import { connect } from '/lettera-client.js'`. */
export const CLIENT_BUNDLE_PATH = '/lettera-client.js';

const SOURCE_MAP_PATH = `${CLIENT_BUNDLE_PATH}.map`;
const ENTRY = fileURLToPath(new URL('../client/src/index.ts', import.meta.url));

/** The built bundle, ready to serve. */
export interface ClientBundle {
  readonly code: string;
  readonly map: string;
  readonly etag: string;
}

let pending: Promise<ClientBundle> | undefined;

/**
 * Builds the browser bundle once and caches it; later calls share the result.
 * A failed build is not cached, so fixing the client and reloading the page
 * retries it.
 *
 * @example
 * const { code } = await buildClientBundle();
 * console.log(`client bundle: ${code.length} bytes`);
 */
export function buildClientBundle(): Promise<ClientBundle> {
  pending ??= bundle().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function bundle(): Promise<ClientBundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: 'external',
    write: false,
    outfile: 'lettera-client.js',
    logLevel: 'silent',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text;
  if (code === undefined || map === undefined) throw new Error('esbuild produced no client bundle');
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;
  return { code: `${code}//# sourceMappingURL=${SOURCE_MAP_PATH}\n`, map, etag };
}

/**
 * Answers `GET /lettera-client.js` (and its `.map`); returns false for any
 * other request so the caller can go on to its other routes.
 *
 * @example
 * http.createServer(async (req, res) => {
 *   if (await serveClientBundle(req, res)) return;
 *   // ... other routes
 * });
 */
export async function serveClientBundle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== CLIENT_BUNDLE_PATH && path !== SOURCE_MAP_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${req.method} is not allowed on ${path}\n`);
    return true;
  }
  let built: ClientBundle;
  try {
    built = await buildClientBundle();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`the client bundle failed to build:\n${message}\n`);
    return true;
  }
  const isMap = path === SOURCE_MAP_PATH;
  const etag = isMap ? `"map-${built.etag.slice(1)}` : built.etag;
  // no-cache: the browser revalidates, so an edit of the client (restart) shows up.
  const headers = { etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  const body = isMap ? built.map : built.code;
  res.writeHead(200, {
    ...headers,
    'content-type': isMap ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
