/**
 * Serves the client library to the demo page as ESM files built from
 * client/src with esbuild in memory (ESM, browser platform, minified), each
 * with its source map: the core, `/lettera-client.js`, and the subpath
 * module `/lettera-client-presence.js` (the package's
 * `lettera-realtime-client/presence`). Each builds once, on the first call
 * of buildClientBundle() or the first request for it.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the page imports the client from: `import { connect } from '/lettera-client.js'`. */
export const CLIENT_BUNDLE_PATH = '/lettera-client.js';
/** Where the page imports the presence helpers from: `import { autoAway } from '/lettera-client-presence.js'`. */
export const CLIENT_PRESENCE_PATH = '/lettera-client-presence.js';

/** Each served module's path → its entry point. */
const ENTRIES: Readonly<Record<string, string>> = {
  [CLIENT_BUNDLE_PATH]: fileURLToPath(new URL('../client/src/index.ts', import.meta.url)),
  [CLIENT_PRESENCE_PATH]: fileURLToPath(new URL('../client/src/presence.ts', import.meta.url)),
};

/** The built bundle, ready to serve. */
export interface ClientBundle {
  readonly code: string;
  readonly map: string;
  readonly etag: string;
}

const pending = new Map<string, Promise<ClientBundle>>();

/**
 * Builds one served module (the core by default) once and caches it; later
 * calls share the result. A failed build is not cached, so fixing the
 * client and reloading the page retries it.
 *
 * @example
 * const { code } = await buildClientBundle();
 * console.log(`client bundle: ${code.length} bytes`);
 */
export function buildClientBundle(path: string = CLIENT_BUNDLE_PATH): Promise<ClientBundle> {
  const entry = ENTRIES[path];
  if (entry === undefined) return Promise.reject(new Error(`no client module is served at ${path}`));
  let built = pending.get(path);
  if (built === undefined) {
    built = bundle(entry, path).catch((err: unknown) => {
      pending.delete(path);
      throw err;
    });
    pending.set(path, built);
  }
  return built;
}

async function bundle(entry: string, path: string): Promise<ClientBundle> {
  const name = path.slice(1);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: 'external',
    write: false,
    outfile: name,
    logLevel: 'silent',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text;
  if (code === undefined || map === undefined) throw new Error(`esbuild produced no ${name}`);
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;
  return { code: `${code}//# sourceMappingURL=${path}.map\n`, map, etag };
}

/**
 * Answers `GET /lettera-client.js` and `/lettera-client-presence.js` (and
 * their `.map`); returns false for any other request so the caller can go
 * on to its other routes.
 *
 * @example
 * http.createServer(async (req, res) => {
 *   if (await serveClientBundle(req, res)) return;
 *   // ... other routes
 * });
 */
export async function serveClientBundle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const isMap = path.endsWith('.map');
  const modulePath = isMap ? path.slice(0, -'.map'.length) : path;
  if (!Object.hasOwn(ENTRIES, modulePath)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${req.method} is not allowed on ${path}\n`);
    return true;
  }
  let built: ClientBundle;
  try {
    built = await buildClientBundle(modulePath);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`the client bundle failed to build:\n${message}\n`);
    return true;
  }
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
