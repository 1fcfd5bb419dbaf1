/**
 * Every client action route (`user:typing`, `user:stop-typing`,
 * `message:send|edit|delete`) and `$default`. The route response carries the
 * ack or the error frame; the status is always 200 so the socket stays open.
 */
import type { WebSocketEvent, WebSocketResult } from '../adapters/api-gateway';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import { ENV, requireEnv } from '../commons/env';
import { handleFrame, type ActionDeps, type FrameReply } from '../domain/actions';
import { ManagementApiBroadcaster } from '../domain/broadcaster';
import { createConnectionRemover, loadCaller } from '../domain/connections';
import { createMessageService } from '../domain/messages';

const documentClient = createDocumentClient();
const tables = {
  connectionsTable: requireEnv(ENV.connectionsTable),
  roomsTable: requireEnv(ENV.roomsTable),
  membershipsTable: requireEnv(ENV.membershipsTable),
  messagesTable: requireEnv(ENV.messagesTable),
  presenceTable: requireEnv(ENV.presenceTable),
};
const removeConnection = createConnectionRemover({ documentClient, ...tables });
const broadcaster = new ManagementApiBroadcaster({
  documentClient,
  managementClient: createManagementClient(requireEnv(ENV.callbackUrl)),
  roomsTable: tables.roomsTable,
  removeConnection,
});
const deps: ActionDeps = {
  typing: { documentClient, roomsTable: tables.roomsTable, membershipsTable: tables.membershipsTable, broadcaster },
  messages: createMessageService({ documentClient, ...tables }),
  loadCaller: (connectionId) => loadCaller({ documentClient, connectionsTable: tables.connectionsTable }, connectionId),
};

/** The route response: the reply as the body, or no body for an ack-less success. */
export function toResult(reply: FrameReply): WebSocketResult {
  return reply === undefined ? { statusCode: 200 } : { statusCode: 200, body: JSON.stringify(reply) };
}

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> =>
  // A binary frame (base64-encoded) is not JSON text: it gets the same error frame as bad JSON.
  toResult(await handleFrame(deps, event.requestContext.connectionId, event.isBase64Encoded ? undefined : event.body));
