/**
 * `$connect`: authenticate the upgrade, then register the connection (row,
 * rooms, presence). Refuses with 401 and writes nothing when the token is
 * missing or not acceptable, and with 429 (leaving nothing written) when the
 * user already has the most connections allowed; never posts to the
 * connection (it does not exist until this returns).
 *
 * A Socket.IO client (`?EIO=4&transport=websocket`) authenticates later, in
 * its CONNECT packet: its connection is recorded as pending, and the
 * fan-out sends the Engine.IO open packet once the connection exists.
 */
import { acceptedResult, isOriginAllowed, parseConnectRequest } from '../adapters/api-gateway/connect-request';
import type { WebSocketRouteEvent, WebSocketResult } from '../adapters/api-gateway/events';
import {
  deleteConnection,
  deleteConnectionReturningOld,
  getConnection,
  putConnection,
  putPendingConnection,
} from '../adapters/dynamodb/connection-store';
import { chatIdsOfMember } from '../adapters/dynamodb/membership-store';
import { createPresenceStore } from '../adapters/dynamodb/presence-store';
import { deleteRoomRows, putRoomRows } from '../adapters/dynamodb/room-store';
import { createTokenVerifierFromEnv } from '../adapters/token-verifier';
import { createDocumentClient } from '../commons/clients';
import { ENV, optionalEnv, requireTableNames } from '../commons/env';
import { ChatError, TooManyConnectionsError } from '../commons/errors';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { countConnectionRefused, countMetric } from '../commons/metrics';
import { JSON_SUBPROTOCOL } from '../../protocol';
import { limitsFromEnv } from '../system/limits';
import { openConnection, recordPendingConnection } from '../domain/connections';
import { socketIoHandshakeOf } from '../adapters/api-gateway/connect-request';

const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'presenceTable');
const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
const roomRows = { documentClient, roomsTable: tables.roomsTable };
// Only the operations $connect performs, so the bundle carries no other.
const limits = limitsFromEnv();
const deps = {
  maxConnectionsPerUser: limits.maxConnectionsPerUser,
  connections: {
    get: getConnection(connectionRows),
    put: putConnection(connectionRows),
    putPending: putPendingConnection(connectionRows),
    delete: deleteConnection(connectionRows),
    deleteReturningOld: deleteConnectionReturningOld(connectionRows),
  },
  rooms: { putAll: putRoomRows(roomRows), deleteAll: deleteRoomRows(roomRows) },
  presence: createPresenceStore({ documentClient, presenceTable: tables.presenceTable }),
  memberships: { chatIdsOfUser: chatIdsOfMember({ documentClient, membershipsTable: tables.membershipsTable }) },
};
const verifyToken = createTokenVerifierFromEnv();
const frontendUrl = optionalEnv(ENV.frontendUrl);

async function connect(event: WebSocketRouteEvent): Promise<WebSocketResult> {
  const request = parseConnectRequest(event);
  if (!isOriginAllowed(request.origin, frontendUrl)) {
    logger.warn('connect refused: origin not allowed', { origin: request.origin });
    countConnectionRefused('origin');
    return { statusCode: 403 };
  }
  const socketIo = socketIoHandshakeOf(request);
  if (socketIo.kind === 'refused') {
    logger.info('connect refused: unsupported Engine.IO handshake', { reason: socketIo.reason });
    countConnectionRefused('bad_request');
    return { statusCode: 400, body: socketIo.reason };
  }
  if (socketIo.kind === 'socket.io') {
    try {
      await recordPendingConnection(deps, { connectionId: request.connectionId, connectedAt: request.connectedAt });
    } catch (err) {
      logger.error('connect failed', { error: err as Error, connectionId: request.connectionId });
      countConnectionRefused('internal');
      return { statusCode: 500 };
    }
    // Counted as opened when its CONNECT is accepted (domain/socketio.ts).
    return { statusCode: 200 };
  }
  if (request.token === undefined) {
    logger.info('connect refused: no token');
    countConnectionRefused('unauthorized');
    return { statusCode: 401 };
  }
  let identity;
  try {
    identity = await verifyToken(request.token);
  } catch (err) {
    if (err instanceof ChatError) {
      logger.info('connect refused', { reason: err.message });
      countConnectionRefused('unauthorized');
      return { statusCode: 401 };
    }
    logger.error('token verification failed', { error: err as Error });
    countConnectionRefused('internal');
    return { statusCode: 500 };
  }
  try {
    await openConnection(deps, {
      connectionId: request.connectionId,
      userId: identity.userId,
      protocol: JSON_SUBPROTOCOL,
      connectedAt: request.connectedAt,
      tokenExpiresAt: identity.expiresAt,
    });
  } catch (err) {
    if (err instanceof TooManyConnectionsError) {
      logger.info('connect refused: too many connections', { userId: identity.userId });
      countConnectionRefused('too_many_connections');
      return { statusCode: 429 };
    }
    logger.error('connect failed', { error: err as Error, connectionId: request.connectionId });
    countConnectionRefused('internal');
    return { statusCode: 500 };
  }
  countMetric(METRIC.connectionsOpened);
  return acceptedResult(request);
}

export const handler = instrumentHandler(connect, { correlationIdOf: (event) => event.requestContext.requestId });
