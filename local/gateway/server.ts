/**
 * The API Gateway WebSocket emulator (architect's register-websocket/index.js):
 * one HTTP server whose upgrades become WebSocket connections on
 * `ws://host:port/{stage}` and whose requests serve the `@connections` API.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { WebSocketServer } from 'ws';
import { handleConnectionsApi } from './connections-api';
import { createPostChannels } from './post-channel';
import { handleFaultsEndpoint, type PostFaults } from './faults';
import { ConnectionPool } from './pool';
import type { GatewayMetrics, GatewayState, RouteHandlers } from './state';
import { track } from './connection';
import { handleUpgrade } from './upgrade';

export type { RouteHandlers } from './state';

/**
 * API Gateway's largest WebSocket message payload, 128 KiB ("Message payload
 * size" in the API Gateway WebSocket quotas; a message may arrive in frames
 * of up to 32 KB each). `ws` applies maxPayload to whole messages, and a
 * larger one closes the connection with 1009, as API Gateway does.
 */
export const MAX_MESSAGE_BYTES = 131_072;

export interface GatewayOptions {
  /** Route key → handler; replace later with setRoutes(). @default {} */
  readonly routes?: RouteHandlers;
  /** Routes whose integration response goes back to the client. @default [] */
  readonly returnResponseRoutes?: Iterable<string>;
  /** @default '$request.body.action' */
  readonly routeSelectionExpression?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 3001 */
  readonly port?: number;
  /** API Gateway's integration timeout. @default 29000 */
  readonly integrationTimeoutMs?: number;
  /** @default 600000 (10 min) */
  readonly idleTimeoutMs?: number;
  /** @default 7200000 (2 h) */
  readonly maxLifetimeMs?: number;
  /** @default console.error */
  readonly log?: (message: string, error?: unknown) => void;
  /** PostToConnection faults to inject (see faults.ts). @default none */
  readonly postFaults?: PostFaults;
  /**
   * Hold upgrades until open() is called (the port is known before the
   * handlers behind it run). @default false
   */
  readonly paused?: boolean;
}

export interface Gateway {
  /** `ws://host:port/{stage}` */
  readonly url: string;
  /** `http://host:port/{stage}`, the WS_CALLBACK_URL for handlers. */
  readonly callbackUrl: string;
  readonly port: number;
  readonly stage: string;
  readonly pool: ConnectionPool;
  /** `$connect`s accepted and `$disconnect`s fired so far. */
  readonly metrics: Readonly<GatewayMetrics>;
  /** Resolves once no upgrade, route or `$disconnect` invocation is running. */
  idle(): Promise<void>;
  /** Starts accepting upgrades (those that waited go on). */
  open(): void;
  /** Swaps the route table (handlers are loaded after the port is known). */
  setRoutes(routes: RouteHandlers): void;
  /**
   * A new in-process `@connections` channel (post-channel.ts): the end to
   * hand to a handler worker, whose hot posts then skip the loopback HTTP hop.
   */
  openPostChannel(): MessagePort;
  /** Closes every connection (firing `$disconnect`), waits for running handlers, stops listening. */
  close(): Promise<void>;
}

function defaultLog(message: string, error?: unknown): void {
  console.error(`[gateway] ${message}`, error ?? '');
}

/**
 * Starts the gateway and resolves once it listens.
 *
 * @example
 * const gateway = await startGateway({ port: 0, routes: { $default: async () => ({ statusCode: 200 }) } });
 * const ws = new WebSocket(gateway.url);
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const acceptedProtocols = new WeakMap<object, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // Echo a subprotocol only when $connect returned one (ws would otherwise pick the first offered).
    handleProtocols: (_offered, req) => acceptedProtocols.get(req) ?? false,
  });
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3001, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let open = (): void => undefined;
  const accepting = options.paused === true ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
  const state: GatewayState = {
    api: { stage, domainName: `localhost:${port}`, apiId: randomBytes(5).toString('hex') },
    pool: new ConnectionPool(),
    wss,
    routes: options.routes ?? {},
    returnResponseRoutes: new Set(options.returnResponseRoutes ?? []),
    selectionExpression: options.routeSelectionExpression ?? '$request.body.action',
    integrationTimeoutMs: options.integrationTimeoutMs ?? 29_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
    maxLifetimeMs: options.maxLifetimeMs ?? 7_200_000,
    acceptedProtocols,
    inflight: new Set(),
    accepting,
    closing: false,
    postFaults: options.postFaults ?? new Map(),
    metrics: { connectsAccepted: 0, disconnectsFired: 0, posts: { http: 0, channel: 0 } },
    log: options.log ?? defaultLog,
  };
  // Tracked: close() and idle() wait for a $connect still running.
  server.on('upgrade', (req, socket, head) => track(state, handleUpgrade(state, req, socket, head)));
  const replaceFaults = (faults: PostFaults): void => {
    state.postFaults = faults;
  };
  server.on('request', (req, res) => {
    handleConnectionsApi(state, req, res)
      .then(async (handled) => handled || handleFaultsEndpoint(req, res, () => state.postFaults, replaceFaults))
      .then((handled) => {
        if (!handled) {
          res.writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'NotFoundException' });
          res.end(JSON.stringify({ message: 'Not Found' }));
        }
      })
      .catch((err: unknown) => {
        state.log('@connections request failed', err);
        if (!res.headersSent) res.writeHead(500, { 'x-amzn-ErrorType': 'InternalServerErrorException' });
        res.end();
      });
  });

  const postChannels = createPostChannels(state);
  const base = `${host}:${port}/${stage}`;
  return {
    url: `ws://${base}`,
    callbackUrl: `http://${base}`,
    port,
    stage,
    pool: state.pool,
    metrics: state.metrics,
    async idle() {
      while (state.inflight.size > 0) await Promise.allSettled([...state.inflight]);
    },
    open: () => open(),
    openPostChannel: () => postChannels.open(),
    setRoutes(routes) {
      state.routes = routes;
    },
    async close() {
      state.closing = true;
      open(); // Upgrades still waiting are refused (503).
      const closed = state.pool.ids().map((id) => {
        const connection = state.pool.get(id);
        return new Promise<void>((resolve) => {
          if (connection === undefined) return resolve();
          connection.socket.once('close', () => resolve());
          connection.socket.close(GOING_AWAY_CODE, 'Going away');
          setTimeout(() => {
            connection.socket.terminate();
            resolve();
          }, 1_000).unref();
        });
      });
      await Promise.all(closed);
      while (state.inflight.size > 0) await Promise.allSettled([...state.inflight]);
      wss.close();
      postChannels.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const GOING_AWAY_CODE = 1001;
