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

/** An answer of the `@connections` API, whichever way the request came. */
export interface ConnectionsApiAnswer {
  readonly status: number;
  /** `x-amzn-ErrorType` of an error answer. */
  readonly errorType?: string;
  /** The body: empty for 2xx posts and API Gateway's own 410s, a short JSON otherwise. */
  readonly body: string;
}

function errorAnswer(status: number, errorType: string, message?: string): ConnectionsApiAnswer {
  // API Gateway's own 410s have an empty body; the others carry a message.
  return { status, errorType, body: message === undefined ? '' : JSON.stringify({ message }) };
}

/** API Gateway's answer to a post it delivered. */
export const ACCEPTED: ConnectionsApiAnswer = { status: 200, body: '' };
const FORBIDDEN = errorAnswer(403, 'ForbiddenException', 'Forbidden');

/** A path naming another stage than the gateway's (API Gateway answers it 403). */
function isOtherStage(state: GatewayState, target: { stage?: string }): boolean {
  return target.stage !== undefined && target.stage !== state.api.stage;
}

/**
 * What API Gateway answers one PostToConnection, and the frame it sends:
 * 413 over the size limit (`body` undefined: the caller stopped reading),
 * 403 for another stage, 410 for a connection that is unknown or closing,
 * an injected fault (LOCAL_POST_FAULTS), else the frame goes out and 200.
 * Shared by the HTTP endpoint and the in-process channel (postChannel).
 */
export async function answerPost(state: GatewayState, target: { stage?: string; connectionId: string }, body: Uint8Array | undefined): Promise<ConnectionsApiAnswer> {
  if (isOtherStage(state, target)) return FORBIDDEN;
  if (body === undefined || body.byteLength > MAX_POST_BYTES) {
    return errorAnswer(413, 'PayloadTooLargeException', `Message too long. Max allowed size is ${MAX_POST_BYTES} bytes`);
  }
  const connection = state.pool.get(target.connectionId);
  if (connection === undefined || connection.socket.readyState !== connection.socket.OPEN) return errorAnswer(410, 'GoneException');
  const fault = faultFor(state.postFaults, connection.connectionId);
  if (fault?.kind === 'status') {
    return errorAnswer(fault.status, FAULT_ERROR_TYPES[fault.status], `Injected fault (LOCAL_POST_FAULTS): ${fault.status}`);
  }
  if (fault?.kind === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (connection.socket.readyState !== connection.socket.OPEN) return errorAnswer(410, 'GoneException');
  }
  sendToConnection(connection, asBuffer(body), !isText(body));
  return ACCEPTED;
}

const textFrames = new WeakMap<Uint8Array, boolean>();

/** Text when the bytes are UTF-8 (every JSON payload), binary otherwise; known per frame object (a broadcast shares one). */
function isText(body: Uint8Array): boolean {
  let text = textFrames.get(body);
  if (text === undefined) {
    text = isUtf8(body);
    textFrames.set(body, text);
  }
  return text;
}

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function writeAnswer(res: ServerResponse, answer: ConnectionsApiAnswer): void {
  res.writeHead(answer.status, {
    ...(answer.errorType !== undefined && { 'x-amzn-ErrorType': answer.errorType }),
    'x-amzn-RequestId': newRequestId(),
    'Content-Type': 'application/json',
  });
  res.end(answer.body);
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
  if (req.method === 'POST') {
    state.metrics.posts.http += 1;
    const body = await readBodyUpTo(req, MAX_POST_BYTES);
    if (body === undefined) req.resume();
    writeAnswer(res, await answerPost(state, target, body));
    return true;
  }
  if (isOtherStage(state, target)) {
    writeAnswer(res, FORBIDDEN);
    return true;
  }
  const connection = state.pool.get(target.connectionId);
  switch (req.method) {
    case 'GET': {
      if (connection === undefined) {
        writeAnswer(res, errorAnswer(410, 'GoneException'));
        return true;
      }
      writeAnswer(res, {
        status: 200,
        body: JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: connection.identity,
        }),
      });
      return true;
    }
    case 'DELETE': {
      if (connection === undefined) {
        writeAnswer(res, errorAnswer(410, 'GoneException'));
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
      writeAnswer(res, errorAnswer(405, 'MethodNotAllowedException', `Method ${req.method ?? ''} not allowed`));
      return true;
  }
}
