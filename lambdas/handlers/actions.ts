/**
 * Every client action route (`user:typing`, `user:stop-typing`,
 * `message:send|edit|delete`) and `$default`, for both wire protocols: JSON
 * frames and Socket.IO packets (which are not JSON, so they arrive on
 * `$default`). The route response carries the ack, the error frame or the
 * Socket.IO reply; the status is always 200 so the socket stays open.
 */
import type { WebSocketEvent, WebSocketResult } from '../adapters/api-gateway/events';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import type { ActionDeps, FrameReply } from '../domain/actions';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import { createMembershipStore } from '../adapters/dynamodb/membership-store';
import { createMessageStore } from '../adapters/dynamodb/message-store';
import { createTokenVerifierFromEnv } from '../adapters/token-verifier';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { createConnectionRemover, loadCaller } from '../domain/connections';
import { createMessageService } from '../domain/messages';
import { handleIncomingFrame, type SocketIoDeps } from '../domain/socketio';

const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'presenceTable');
const removeConnection = createConnectionRemover({ documentClient, ...tables });
const managementClient = createManagementClient(requireEnv(ENV.callbackUrl));
const broadcaster = new ManagementApiBroadcaster({
  documentClient,
  managementClient,
  roomsTable: tables.roomsTable,
  removeConnection,
});
const memberships = createMembershipStore({ documentClient, membershipsTable: tables.membershipsTable });
const deps: ActionDeps = {
  typing: { documentClient, roomsTable: tables.roomsTable, membershipsTable: tables.membershipsTable, broadcaster },
  messages: createMessageService({ messages: createMessageStore({ documentClient, messagesTable: tables.messagesTable }), memberships }),
  loadCaller: (connectionId) => loadCaller({ documentClient, connectionsTable: tables.connectionsTable }, connectionId),
};
const socketIoDeps: SocketIoDeps = {
  documentClient,
  ...tables,
  actions: deps,
  verifyToken: createTokenVerifierFromEnv(),
  link: createConnectionLink({ managementClient, removeConnection }),
};

/** The route response: the reply as the body, or no body for an ack-less success. */
export function toResult(reply: FrameReply): WebSocketResult {
  return reply === undefined ? { statusCode: 200 } : { statusCode: 200, body: JSON.stringify(reply) };
}

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  // A binary frame (base64-encoded) is neither protocol's text: an error frame (JSON) or a close (Socket.IO).
  const body = await handleIncomingFrame(socketIoDeps, event.requestContext.connectionId, event.body, event.isBase64Encoded === true);
  return body === undefined ? { statusCode: 200 } : { statusCode: 200, body };
};
