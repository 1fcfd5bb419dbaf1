/**
 * Every client action route (`user:typing`, `user:stop-typing`,
 * `message:send|edit|delete`, `presence:query`, `user:status`, `call:*`) and `$default`, for both wire protocols: JSON
 * frames and Socket.IO packets (which are not JSON, so they arrive on
 * `$default`). The route response carries the ack, the error frame or the
 * Socket.IO reply; the status is always 200 so the socket stays open.
 */
import type { WebSocketRouteEvent, WebSocketResult } from '../adapters/api-gateway/events';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { instrumentHandler } from '../commons/instrument';
import type { ActionDeps } from '../domain/actions';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import {
  deleteConnection,
  deleteConnectionReturningOld,
  getConnection,
  putConnection,
  putPendingOverConnection,
  recordConnectionPong,
} from '../adapters/dynamodb/connection-store';
import {
  chatIdsOfMember,
  existingMemberships,
  countParticipantsUpTo,
  flushTyping,
  getMembership,
  moveRead,
  showTyping,
  wantTyping,
} from '../adapters/dynamodb/membership-store';
import { createMessageStore } from '../adapters/dynamodb/message-store';
import { createCallStore } from '../adapters/dynamodb/call-store';
import { createPresenceStore } from '../adapters/dynamodb/presence-store';
import { deleteRoomRows, hasRoomRow, joinRoomAt, putRoomRows, roomMembers } from '../adapters/dynamodb/room-store';
import { createSessionStore } from '../adapters/dynamodb/session-store';
import { relationsOf } from '../adapters/dynamodb/user-store';
import { createTokenVerifierFromEnv } from '../adapters/token-verifier';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { createConnectionRemover, loadCaller } from '../domain/connections';
import { createExpiredCloser } from '../domain/expiry';
import { createMessageService } from '../domain/messages';
import { createCallService } from '../domain/calls';
import { createReadMarker } from '../domain/reads';
import { withMessageMetrics } from '../domain/message-metrics';
import { limitsFromEnv } from '../system/limits';
import { handleIncomingFrame, type SocketIoDeps } from '../domain/socketio';

const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'presenceTable', 'usersTable');
const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
const roomRows = { documentClient, roomsTable: tables.roomsTable, messagesTable: tables.messagesTable };
const membershipRows = { documentClient, membershipsTable: tables.membershipsTable };
// Only the operations the actions perform (not the chat administration, not the fan-out's joins).
const limits = limitsFromEnv();
const stores = {
  connections: {
    get: getConnection(connectionRows),
    put: putConnection(connectionRows),
    delete: deleteConnection(connectionRows),
    deleteReturningOld: deleteConnectionReturningOld(connectionRows),
    recordPong: recordConnectionPong(connectionRows),
    putPendingOver: putPendingOverConnection(connectionRows),
  },
  sessions: createSessionStore(connectionRows),
  rooms: {
    has: hasRoomRow(roomRows),
    members: roomMembers(roomRows),
    putAll: putRoomRows(roomRows),
    joinAt: joinRoomAt(roomRows),
    deleteAll: deleteRoomRows(roomRows),
  },
  presence: createPresenceStore({ documentClient, presenceTable: tables.presenceTable }),
  memberships: {
    get: getMembership(membershipRows),
    showTyping: showTyping(membershipRows),
    wantTyping: wantTyping(membershipRows),
    flushTyping: flushTyping(membershipRows),
    chatIdsOfUser: chatIdsOfMember(membershipRows),
    whichExist: existingMemberships(membershipRows),
    moveRead: moveRead(membershipRows),
    countUpTo: countParticipantsUpTo(membershipRows),
  },
  messages: createMessageStore({ documentClient, messagesTable: tables.messagesTable, membershipsTable: tables.membershipsTable }),
  // Typing leaves out the users the sender blocked or was blocked by.
  users: { relationsOf: relationsOf({ documentClient, usersTable: tables.usersTable }) },
};
const removeConnection = createConnectionRemover(stores);
const managementClient = createManagementClient(requireEnv(ENV.callbackUrl));
const link = createConnectionLink({ managementClient, removeConnection });
const broadcaster = new ManagementApiBroadcaster({
  managementClient,
  rooms: stores.rooms,
  removeConnection,
  closeExpired: createExpiredCloser({ link }),
});
const deps: ActionDeps = {
  typing: { rooms: stores.rooms, memberships: stores.memberships, users: stores.users, broadcaster },
  messages: withMessageMetrics(createMessageService({ ...stores, rateLimit: { limit: limits.messageRateLimit, windowMs: limits.messageRateWindowMs } })),
  presence: stores,
  status: stores,
  calls: createCallService({
    ...stores,
    calls: createCallStore(connectionRows),
    broadcaster,
    limits: { ringTimeoutMs: limits.callRingTimeoutMs, inviteRateLimit: limits.callInviteRateLimit, signalRateLimit: limits.callSignalRateLimit },
  }),
  markRead: createReadMarker({ ...stores, broadcastMaxMembers: limits.presenceBroadcastMaxMembers }),
  loadCaller: (connectionId) => loadCaller(stores, connectionId),
};
const socketIoDeps: SocketIoDeps = {
  ...stores,
  maxConnectionsPerUser: limits.maxConnectionsPerUser,
  actions: deps,
  verifyToken: createTokenVerifierFromEnv(),
  link,
};

export const handler = instrumentHandler(async (event: WebSocketRouteEvent): Promise<WebSocketResult> => {
  // A binary frame (base64-encoded) is neither protocol's text: an error frame (JSON) or a close (Socket.IO).
  const body = await handleIncomingFrame(socketIoDeps, event.requestContext.connectionId, event.body, event.isBase64Encoded === true);
  return body === undefined ? { statusCode: 200 } : { statusCode: 200, body };
}, { correlationIdOf: (event) => event.requestContext.requestId });
