/**
 * One open connection (architect's connection.js): route each text frame
 * to its handler, send route responses and API Gateway's error frames,
 * enforce the frame rules and timeouts, and fire `$disconnect` after close.
 */
import type { WebSocket } from 'ws';
import { invokeHandler } from '../lambda';
import type { GatewayConnection } from './pool';
import { disconnectEvent, messageEvent, newRequestId, type ConnectionInfo } from './request-format';
import { selectRoute } from './route-selection';
import type { GatewayState } from './state';

/** Close code and reason API Gateway uses for the idle and the 2-hour limits. */
export const GOING_AWAY = { code: 1001, reason: 'Going away' } as const;

/**
 * Sends data to a connection as API Gateway would: a text frame (or binary
 * when asked), counted as activity for the idle timeout.
 */
export function sendToConnection(connection: GatewayConnection, data: string | Buffer, binary = false): void {
  connection.socket.send(data, { binary });
  connection.touch();
}

interface RouteResult {
  body?: unknown;
}

async function dispatch(state: GatewayState, connection: GatewayConnection, frame: string): Promise<void> {
  const routeKey = selectRoute(state.selectionExpression, frame, new Set(Object.keys(state.routes)));
  const handler = state.routes[routeKey];
  const requestId = newRequestId();
  if (handler === undefined) {
    // No match and no $default: API Gateway's own refusal.
    sendToConnection(connection, JSON.stringify({ message: 'Forbidden', connectionId: connection.connectionId, requestId }));
    return;
  }
  const event = messageEvent(state.api, connection, routeKey, frame);
  let result: RouteResult | undefined;
  try {
    result = (await invokeHandler(handler, event, { functionName: routeKey, timeoutMs: state.integrationTimeoutMs })) as RouteResult | undefined;
  } catch (err) {
    state.log(`route ${routeKey} failed`, err);
    if (isOpen(connection.socket)) {
      sendToConnection(
        connection,
        JSON.stringify({ message: 'Internal server error', connectionId: connection.connectionId, requestId: event.requestContext.requestId }),
      );
    }
    return;
  }
  // Only a route with a route response (returnResponse) passes the body back.
  const body = result?.body;
  if (state.returnResponseRoutes.has(routeKey) && body !== undefined && body !== null && isOpen(connection.socket)) {
    sendToConnection(connection, typeof body === 'string' ? body : JSON.stringify(body));
  }
}

/** Keeps a running invocation visible to close(), which waits for it. */
export function track(state: GatewayState, work: Promise<unknown>): void {
  state.inflight.add(work);
  void work.finally(() => state.inflight.delete(work));
}

function isOpen(socket: WebSocket): boolean {
  return socket.readyState === socket.OPEN;
}

/**
 * Registers an upgraded socket in the pool and wires its frames, timers and
 * close handling.
 *
 * @example
 * wss.handleUpgrade(req, socket, head, (ws) => attachConnection(state, ws, info));
 */
export function attachConnection(state: GatewayState, socket: WebSocket, info: ConnectionInfo): GatewayConnection {
  let idleTimer: NodeJS.Timeout | undefined;
  let serverClose: { code: number; reason: string } | undefined;
  const closeBy = (code: number, reason: string): void => {
    serverClose ??= { code, reason };
    socket.close(code, reason);
  };
  const connection: GatewayConnection = {
    ...info,
    socket,
    lastActiveAt: Date.now(),
    suppressDisconnect: false,
    touch() {
      this.lastActiveAt = Date.now();
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => closeBy(GOING_AWAY.code, GOING_AWAY.reason), state.idleTimeoutMs);
    },
  };
  connection.touch();
  const lifetimeTimer = setTimeout(() => closeBy(GOING_AWAY.code, GOING_AWAY.reason), state.maxLifetimeMs);
  state.pool.add(connection);

  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      // API Gateway accepts text frames only on JSON-routed APIs.
      closeBy(1003, 'Binary frames are not supported');
      return;
    }
    connection.touch();
    track(state, dispatch(state, connection, data.toString('utf8')));
  });
  socket.on('error', (err) => state.log(`connection ${connection.connectionId} error`, err));
  socket.on('close', (code: number, reason: Buffer) => {
    clearTimeout(idleTimer);
    clearTimeout(lifetimeTimer);
    if (state.pool.get(connection.connectionId) === connection) state.pool.remove(connection.connectionId);
    if (connection.suppressDisconnect) return;
    const status = serverClose?.code ?? code;
    const text = serverClose?.reason ?? reason.toString('utf8');
    track(state, fireDisconnect(state, connection, status, text));
  });
  return connection;
}

/** Closes a connection from the server side (DeleteConnection); `$disconnect` follows. */
export function closeConnection(connection: GatewayConnection, code = 1000, reason = 'Connection closed by server'): void {
  connection.socket.close(code, reason);
}

async function fireDisconnect(state: GatewayState, info: ConnectionInfo, code: number, reason: string): Promise<void> {
  const handler = state.routes.$disconnect;
  if (handler === undefined) return;
  state.metrics.disconnectsFired += 1;
  try {
    await invokeHandler(handler, disconnectEvent(state.api, info, code, reason), { functionName: '$disconnect', timeoutMs: state.integrationTimeoutMs });
  } catch (err) {
    // Best effort, as in API Gateway: nobody is left to tell.
    state.log('$disconnect failed', err);
  }
}
