/**
 * The WebSocket handshake (architect's upgrade.js): run `$connect` first,
 * then either complete the upgrade or answer with the handler's status.
 * The connection joins the pool only after the upgrade, so the management
 * API answers 410 for it until then, and a refused client never gets
 * `$disconnect`.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { invokeHandler } from '../lambda';
import { attachConnection } from './connection';
import { connectEvent, disconnectEvent, newConnectionId, type ConnectionInfo } from './request-format';
import type { GatewayState } from './state';

interface ConnectResult {
  statusCode?: unknown;
  headers?: Record<string, unknown>;
  body?: unknown;
}

function refuse(socket: Duplex, statusCode: number, body = ''): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body);
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}\r\n` +
      `Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n` +
      payload.toString(),
  );
  socket.destroy();
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined && value !== null) return String(value);
  }
  return undefined;
}

/** The status `$connect` produced: its statusCode, or 502 for a throw or a missing statusCode. */
async function runConnect(state: GatewayState, req: IncomingMessage, info: ConnectionInfo): Promise<{ status: number; result?: ConnectResult }> {
  const handler = state.routes.$connect;
  if (handler === undefined) return { status: 200 }; // $connect is optional in API Gateway.
  try {
    const result = (await invokeHandler(handler, connectEvent(req, state.api, info), {
      functionName: '$connect',
      timeoutMs: state.integrationTimeoutMs,
    })) as ConnectResult | undefined;
    const status = Number(result?.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      state.log('$connect returned no statusCode; refusing with 502');
      return { status: 502 };
    }
    return { status, result: result as ConnectResult };
  } catch (err) {
    state.log('$connect failed', err);
    return { status: 502 };
  }
}

/**
 * Handles the `upgrade` event of the gateway's HTTP server.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => void handleUpgrade(state, req, socket, head));
 */
export async function handleUpgrade(state: GatewayState, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', () => socket.destroy());
  await state.accepting;
  if (state.closing) {
    refuse(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
    return;
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
  if (path !== `/${state.api.stage}`) {
    refuse(socket, 403, JSON.stringify({ message: 'Forbidden' }));
    return;
  }
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || req.headers['sec-websocket-key'] === undefined) {
    refuse(socket, 400, JSON.stringify({ message: 'Bad Request' }));
    return;
  }
  const info: ConnectionInfo = {
    connectionId: newConnectionId(),
    connectedAt: Date.now(),
    identity: { sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1', userAgent: req.headers['user-agent'] },
  };
  const { status, result } = await runConnect(state, req, info);
  if (status < 200 || status > 299) {
    refuse(socket, status, typeof result?.body === 'string' ? result.body : '');
    return;
  }
  state.metrics.connectsAccepted += 1;
  // From here on, every path ends in exactly one $disconnect: API Gateway
  // calls it for every connection $connect accepted, whatever the timing.
  if (socket.destroyed || !socket.readable || !socket.writable) {
    // The client left while $connect ran (a reset, or a FIN: the server keeps
    // half-open sockets, so a FIN alone does not destroy it). Whatever $connect
    // stored must be cleaned up: report the abnormal close.
    socket.destroy();
    await notifyLostConnection(state, info);
    return;
  }
  const protocol = headerValue(result?.headers, 'sec-websocket-protocol');
  if (protocol !== undefined) state.acceptedProtocols.set(req, protocol);
  let attached = false;
  // ws calls back synchronously (no verifyClient), or not at all when it
  // refuses the handshake itself (a socket that closed meanwhile, a bad
  // Sec-WebSocket-Version): then the connection never opened.
  state.wss.handleUpgrade(req, socket, head, (ws) => {
    attached = true;
    attachConnection(state, ws, info);
  });
  if (!attached) await notifyLostConnection(state, info);
}

async function notifyLostConnection(state: GatewayState, info: ConnectionInfo): Promise<void> {
  const handler = state.routes.$disconnect;
  if (handler === undefined) return;
  state.metrics.disconnectsFired += 1;
  try {
    await invokeHandler(handler, disconnectEvent(state.api, info, 1006, 'Connection lost during $connect'), {
      functionName: '$disconnect',
      timeoutMs: state.integrationTimeoutMs,
    });
  } catch (err) {
    state.log('$disconnect failed', err);
  }
}
