/**
 * Browser origins the local runtime lets in besides its own page: a
 * frontend's dev server (`npm start -- --origin http://localhost:5173`, or
 * FRONTEND_URL). They may open the WebSocket ($connect's Origin check reads
 * FRONTEND_URL) and call the HTTP API and `/lettera-client.js` with CORS.
 */

/** Raised for an origin that is not `scheme://host[:port]`. */
export class InvalidOriginError extends Error {
  constructor(value: string) {
    super(`An origin is scheme://host[:port] with no path, e.g. http://localhost:5173; got ${JSON.stringify(value)}`);
    this.name = 'InvalidOriginError';
  }
}

/**
 * Normalizes one origin as a browser sends it in `Origin` (lowercase host,
 * default port dropped, no trailing slash); throws InvalidOriginError otherwise.
 *
 * @example
 * parseOrigin('http://LOCALHOST:5173/'); // 'http://localhost:5173'
 */
export function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidOriginError(value);
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) throw new InvalidOriginError(value);
  return url.origin;
}

/** Parses a comma-separated list (FRONTEND_URL's form); empty entries are skipped, duplicates dropped. */
export function parseOrigins(values: readonly string[]): string[] {
  const origins = values.flatMap((value) => value.split(',')).filter((value) => value.trim() !== '').map(parseOrigin);
  return [...new Set(origins)];
}

/**
 * The origins of the runtime's own page: its URL, and `localhost` when it
 * listens on 127.0.0.1 (what a browser shows for either name).
 */
export function ownOrigins(httpUrl: string): string[] {
  const own = parseOrigin(httpUrl);
  const url = new URL(own);
  if (url.hostname !== '127.0.0.1') return [own];
  url.hostname = 'localhost';
  return [own, url.origin];
}
