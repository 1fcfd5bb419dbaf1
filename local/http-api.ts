/**
 * The HTTP API emulator: requests matching a topology route key become API
 * Gateway HTTP API payload 2.0 events (with `routeKey` and `pathParameters`)
 * for the httpApi handler; other GET requests are served from web/ (the demo
 * page), after the local-only extra handlers (dev token endpoints, client
 * bundle). CORS is the gateway's, as in AWS: preflights are answered here,
 * never by the function, and allowed origins get the headers on every response.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpCorsSettings } from '../lambdas/system/topology';
import { invokeHandler, InvocationTimeoutError, type LambdaHandler } from './lambda';
import { formatRequestTime } from './gateway/request-format';
import { readBodyUpTo } from './read-body';

/** A route as topology lists it: the route key is `${method} ${path}`. */
export interface HttpRoute {
  readonly method: string;
  /** Path template, `{name}` for a parameter. */
  readonly path: string;
}

/** The gateway's CORS configuration: topology's settings plus the deployment's origins. */
export interface HttpApiCors {
  /** Exact origins (`scheme://host[:port]`) allowed to call. */
  readonly allowOrigins: readonly string[];
  readonly settings: HttpCorsSettings;
}

/** HTTP API's payload quota (10 MB); a larger request gets 413 and never reaches the function. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpApiOptions {
  readonly routes: readonly HttpRoute[];
  /** The function behind every route; replace later with setHandler(). */
  readonly handler?: LambdaHandler;
  /** Directory of static files; none when absent. */
  readonly webRoot?: string;
  /**
   * Local-only handlers tried after the API routes and before web/ (the
   * `/dev/*` endpoints, the client bundle); each returns false for paths it
   * does not serve.
   */
  readonly extraHandlers?: readonly ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>)[];
  /** No CORS (no preflight answers, no headers) when absent. */
  readonly cors?: HttpApiCors;
  /** Hold requests until open() is called (the handler and the pollers behind it start later). @default false */
  readonly paused?: boolean;
  /** @default MAX_REQUEST_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 3000 */
  readonly port?: number;
  /** HTTP API's integration timeout. @default 30000 */
  readonly timeoutMs?: number;
  readonly log?: (message: string, error?: unknown) => void;
  /**
   * Routes authorized with IAM (the publisher's): a request whose signature
   * `verify` refuses gets API Gateway's 403 and never reaches `handler`.
   */
  readonly signedRoutes?: SignedRoutes;
}

/** IAM-authorized routes, their own function and the signature check in front of it. */
export interface SignedRoutes {
  readonly routes: readonly HttpRoute[];
  readonly verify: (req: IncomingMessage, body: Buffer) => Promise<{ ok: true } | { ok: false; message: string }>;
  /** Set later with setSignedHandler() when absent. */
  readonly handler?: LambdaHandler;
  /** @default 'publish' */
  readonly functionName?: string;
}

export interface HttpApi {
  readonly url: string;
  readonly port: number;
  setHandler(handler: LambdaHandler): void;
  /** The function behind the signed routes. */
  setSignedHandler(handler: LambdaHandler): void;
  /** Starts answering requests (those that waited go on). */
  open(): void;
  close(): Promise<void>;
}

export interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: string[];
}

/** Turns a route's path template into a matcher (`{name}` matches one non-empty segment). */
export function compileRoute(route: HttpRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      const param = /^\{(\w+)\}$/.exec(part);
      if (param === null) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(param[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { routeKey: `${route.method} ${route.path}`, method: route.method, pattern: new RegExp(`^${source}$`), names };
}

/**
 * Finds the route a method and path match, with decoded path parameters, as
 * API Gateway selects one. Throws URIError for a malformed %-escape in a parameter.
 *
 * @example
 * matchRoute(httpRoutes.map(compileRoute), 'POST', '/chats/c1/messages');
 * // { route: { routeKey: 'POST /chats/{chatId}/messages', … }, pathParameters: { chatId: 'c1' } }
 */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): { route: CompiledRoute; pathParameters: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const pathParameters = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] as string)]));
    return { route, pathParameters };
  }
  return undefined;
}

/** The CORS headers a request from an allowed origin gets on its response; none for any other. */
export function corsResponseHeaders(cors: HttpApiCors | undefined, origin: string | undefined): Record<string, string> {
  if (cors === undefined || origin === undefined || !cors.allowOrigins.includes(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    ...(cors.settings.exposeHeaders.length > 0 && { 'access-control-expose-headers': cors.settings.exposeHeaders.join(',') }),
  };
}

/**
 * The gateway's answer to a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method): 204, with the configured headers only
 * when the origin is allowed.
 */
export function preflightHeaders(cors: HttpApiCors, origin: string): Record<string, string> {
  if (!cors.allowOrigins.includes(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': cors.settings.allowMethods.join(','),
    'access-control-allow-headers': cors.settings.allowHeaders.join(','),
    'access-control-max-age': String(cors.settings.maxAgeSeconds),
  };
}

const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|[^;]*\+json)/i;

/** Builds the payload 2.0 event for a matched request. */
export function toHttpEvent(req: IncomingMessage, body: Buffer, routeKey: string, pathParameters: Record<string, string>, domainName: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === 'cookie') continue;
    headers[name] = headers[name] === undefined ? (raw[i + 1] as string) : `${headers[name]},${raw[i + 1] as string}`;
  }
  headers['x-forwarded-for'] = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim()).filter((c) => c !== '');
  const isText = body.length === 0 || TEXT_TYPES.test(req.headers['content-type'] ?? '');
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] as string,
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: headers['x-forwarded-for'],
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomBytes(8).toString('base64'),
      routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: !isText,
  };
  if (cookies !== undefined && cookies.length > 0) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (body.length > 0) event.body = isText ? body.toString('utf8') : body.toString('base64');
  return event;
}

interface HandlerResponse {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
  isBase64Encoded?: boolean;
  cookies?: string[];
}

/**
 * Writes a handler result the way payload 2.0 interprets it (objects without
 * statusCode are JSON bodies). With CORS configured, the gateway ignores the
 * function's own CORS headers, as API Gateway does.
 */
function writeResult(res: ServerResponse, result: unknown, gatewayOwnsCors: boolean): void {
  const looksLikeResponse = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!looksLikeResponse) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(result === undefined ? '' : typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const response = result as HandlerResponse;
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    const lower = name.toLowerCase();
    if (gatewayOwnsCors && lower.startsWith('access-control-')) continue;
    headers[lower] = String(value);
  }
  if (response.cookies !== undefined) headers['set-cookie'] = response.cookies;
  res.writeHead(response.statusCode ?? 200, headers);
  const body = response.body ?? '';
  res.end(response.isBase64Encoded === true ? Buffer.from(body, 'base64') : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

async function serveStatic(webRoot: string, path: string, res: ServerResponse): Promise<boolean> {
  const root = resolve(webRoot);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false; // A malformed %-escape names no file.
  }
  let file = normalize(join(root, decoded));
  if (file !== root && !file.startsWith(root + sep)) return false; // No escaping web/.
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    const info = await stat(file);
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size, 'cache-control': 'no-cache' });
    createReadStream(file).pipe(res);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the HTTP API and resolves once it listens.
 *
 * @example
 * const api = await startHttpApi({ routes: httpRoutes, handler, webRoot: 'web', port: 0 });
 * await fetch(`${api.url}/chats`, { headers: { authorization: `Bearer ${token}` } });
 */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const routes = options.routes.map(compileRoute);
  const { cors } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
  let handler = options.handler;
  const signedRoutes = (options.signedRoutes?.routes ?? []).map(compileRoute);
  let signedHandler = options.signedRoutes?.handler;
  const log = options.log ?? ((message: string, error?: unknown) => console.error(`[http] ${message}`, error ?? ''));
  const server: Server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  const domainName = `localhost:${port}`;

  let open = (): void => undefined;
  const accepting = options.paused === true ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await accepting;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    if (cors !== undefined && req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      // A preflight: the gateway answers it for any path, the function never sees it.
      res.writeHead(204, preflightHeaders(cors, origin));
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(corsResponseHeaders(cors, origin))) res.setHeader(name, value);
    let matched: ReturnType<typeof matchRoute>;
    try {
      matched = matchRoute(routes, req.method ?? 'GET', url.pathname);
    } catch (err) {
      // A malformed %-escape in a path parameter is the client's mistake, not a crash.
      if (err instanceof URIError) return sendJson(res, 400, { message: 'Bad Request' });
      throw err;
    }
    const signed = matched === undefined && options.signedRoutes !== undefined ? matchRoute(signedRoutes, req.method ?? 'GET', url.pathname) : undefined;
    const target = matched ?? signed;
    if (target !== undefined) {
      const routeHandler = signed !== undefined ? signedHandler : handler;
      if (routeHandler === undefined) return sendJson(res, 503, { message: 'Service Unavailable' });
      const body = await readBodyUpTo(req, maxBodyBytes);
      if (body === undefined) {
        // Stop reading what is left: the connection closes after the answer.
        res.setHeader('connection', 'close');
        res.once('finish', () => req.destroy());
        return sendJson(res, 413, { message: 'Request Entity Too Large' });
      }
      if (signed !== undefined && options.signedRoutes !== undefined) {
        const check = await options.signedRoutes.verify(req, body);
        if (!check.ok) return sendJson(res, 403, { message: check.message });
      }
      const event = toHttpEvent(req, body, target.route.routeKey, target.pathParameters, domainName);
      const functionName = signed !== undefined ? (options.signedRoutes?.functionName ?? 'publish') : 'httpApi';
      try {
        writeResult(res, await invokeHandler(routeHandler, event, { functionName, timeoutMs: options.timeoutMs ?? 30_000 }), cors !== undefined);
      } catch (err) {
        log(`${target.route.routeKey} failed`, err);
        // API Gateway answers an integration that outlives its timeout with 504, any other failure with 500.
        if (err instanceof InvocationTimeoutError) sendJson(res, 504, { message: 'Gateway Timeout' });
        else sendJson(res, 500, { message: 'Internal Server Error' });
      }
      return;
    }
    for (const extra of options.extraHandlers ?? []) if (await extra(req, res)) return;
    if ((req.method === 'GET' || req.method === 'HEAD') && options.webRoot !== undefined && (await serveStatic(options.webRoot, url.pathname, res))) return;
    // HTTP API's answer for a path no route matches.
    sendJson(res, 404, { message: 'Not Found' });
  };
  server.on('request', (req, res) => {
    serve(req, res).catch((err: unknown) => {
      log('request failed', err);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.end();
    });
  });

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    setHandler(next) {
      handler = next;
    },
    setSignedHandler(next) {
      signedHandler = next;
    },
    open: () => open(),
    async close() {
      open();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
