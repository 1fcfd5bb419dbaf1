/**
 * The `@connections` management API (architect's arc/_ws): POST, GET and
 * DELETE `/{stage}/@connections/{id}` on the gateway's port. Errors carry
 * `x-amzn-ErrorType`, so the real ApiGatewayManagementApiClient raises
 * GoneException, PayloadTooLargeException and friends; the SigV4 signature
 * is accepted unchecked.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyUpTo } from '../read-body';
import { closeConnection, sendToConnection } from './connection';
import { FAULT_ERROR_TYPES, faultFor } from './faults';
import { newRequestId } from './request-format';
import type { GatewayState } from './state';

/** The largest PostToConnection payload the API model allows, in bytes. */
export const MAX_POST_BYTES = 131_072;

const PATH = /^(?:\/([^/]+))?\/(?:@|%40)connections\/([^/]+)\/?$/i;

/** Parses `/{stage}/@connections/{id}` (stage optional, `@` possibly encoded); undefined for other paths. */
export function parseConnectionsPath(url: string): { stage?: string; connectionId: string } | undefined {
  const match = PATH.exec(new URL(url, 'http://localhost').pathname);
  if (match === null) return undefined;
  const [, stage, id] = match;
  try {
    return { ...(stage !== undefined ? { stage } : {}), connectionId: decodeURIComponent(id as string) };
  } catch {
    return undefined;
  }
}

function sendError(res: ServerResponse, status: number, errorType: string, message?: string): void {
  res.writeHead(status, {
    'x-amzn-ErrorType': errorType,
    'x-amzn-RequestId': newRequestId(),
    'Content-Type': 'application/json',
  });
  // API Gateway's own 410s have an empty body; the others carry a message.
  res.end(message === undefined ? '' : JSON.stringify({ message }));
}

/**
 * Serves one management API request; returns false when the path is not
 * an `@connections` path so the caller can answer it otherwise.
 *
 * @example
 * http.createServer((req, res) => { if (!(await handleConnectionsApi(state, req, res))) res.writeHead(404).end(); });
 */
export async function handleConnectionsApi(state: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const target = parseConnectionsPath(req.url ?? '/');
  if (target === undefined) return false;
  if (target.stage !== undefined && target.stage !== state.api.stage) {
    sendError(res, 403, 'ForbiddenException', 'Forbidden');
    return true;
  }
  const connection = state.pool.get(target.connectionId);
  switch (req.method) {
    case 'POST': {
      const body = await readBodyUpTo(req, MAX_POST_BYTES);
      if (body === undefined) {
        sendError(res, 413, 'PayloadTooLargeException', `Message too long. Max allowed size is ${MAX_POST_BYTES} bytes`);
        req.resume();
        return true;
      }
      if (connection === undefined || connection.socket.readyState !== connection.socket.OPEN) {
        sendError(res, 410, 'GoneException');
        return true;
      }
      const fault = faultFor(state.postFaults, connection.connectionId);
      if (fault?.kind === 'status') {
        sendError(res, fault.status, FAULT_ERROR_TYPES[fault.status], `Injected fault (LOCAL_POST_FAULTS): ${fault.status}`);
        return true;
      }
      if (fault?.kind === 'slow') {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (connection.socket.readyState !== connection.socket.OPEN) {
          sendError(res, 410, 'GoneException');
          return true;
        }
      }
      // Text when the bytes are UTF-8 (every JSON payload), binary otherwise.
      sendToConnection(connection, body, !isUtf8(body));
      res.writeHead(200, { 'x-amzn-RequestId': newRequestId(), 'Content-Type': 'application/json' });
      res.end();
      return true;
    }
    case 'GET': {
      if (connection === undefined) {
        sendError(res, 410, 'GoneException');
        return true;
      }
      res.writeHead(200, { 'x-amzn-RequestId': newRequestId(), 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: connection.identity,
        }),
      );
      return true;
    }
    case 'DELETE': {
      if (connection === undefined) {
        sendError(res, 410, 'GoneException');
        return true;
      }
      // Gone for the API at once; the socket closes and $disconnect follows.
      state.pool.remove(connection.connectionId);
      closeConnection(connection);
      res.writeHead(204, { 'x-amzn-RequestId': newRequestId() });
      res.end();
      return true;
    }
    default:
      sendError(res, 405, 'MethodNotAllowedException', `Method ${req.method ?? ''} not allowed`);
      return true;
  }
}
