/**
 * Fan-out function: the Messages, Presence, Memberships and Connections
 * streams' event source mappings invoke it (ReportBatchItemFailures on). A thin
 * adapter over processStreamBatch; configuration and clients are set up
 * once per execution environment, at module load.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import {
  addRoomToConnection,
  connectionsOfUser,
  deleteConnection,
  deleteConnectionReturningOld,
  getConnection,
  removeRoomFromConnection,
} from '../adapters/dynamodb/connection-store';
import { chatIdsOfMember, countParticipants } from '../adapters/dynamodb/membership-store';
import { leavePresence } from '../adapters/dynamodb/presence-store';
import { relationsOf } from '../adapters/dynamodb/user-store';
import { deleteRoomRow, deleteRoomRows, putRoomRow, roomMembers } from '../adapters/dynamodb/room-store';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { pendingTotal } from '../commons/metrics';
import { annotateTrace } from '../commons/tracing';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { createConnectionRemover } from '../domain/connections';
import { createExpiredCloser } from '../domain/expiry';
import { processStreamBatch, type FanOutDeps } from '../domain/fan-out/stream-batch';
import { createOpenPacketSender } from '../domain/heartbeat';
import { resolveHeartbeatConfig } from '../system/heartbeat';
import { limitsFromEnv } from '../system/limits';

const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'presenceTable', 'usersTable');
const documentClient = createDocumentClient();
const managementClient = createManagementClient(requireEnv(ENV.callbackUrl));
const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
const roomRows = { documentClient, roomsTable: tables.roomsTable };
// Only the operations the fan-out performs, so the bundle carries no other.
const connections = {
  get: getConnection(connectionRows),
  delete: deleteConnection(connectionRows),
  deleteReturningOld: deleteConnectionReturningOld(connectionRows),
  ofUser: connectionsOfUser(connectionRows),
  addRoom: addRoomToConnection(connectionRows),
  removeRoom: removeRoomFromConnection(connectionRows),
};
const rooms = { members: roomMembers(roomRows), put: putRoomRow(roomRows), delete: deleteRoomRow(roomRows), deleteAll: deleteRoomRows(roomRows) };
const presence = { removeConnection: leavePresence({ documentClient, presenceTable: tables.presenceTable }) };
const removeConnection = createConnectionRemover({ connections, rooms, presence });
const link = createConnectionLink({ managementClient, removeConnection });

const deps: FanOutDeps = {
  ...tables,
  connections,
  rooms,
  memberships: {
    chatIdsOfUser: chatIdsOfMember({ documentClient, membershipsTable: tables.membershipsTable }),
    countParticipants: countParticipants({ documentClient, membershipsTable: tables.membershipsTable }),
  },
  presenceBroadcastMaxMembers: limitsFromEnv().presenceBroadcastMaxMembers,
  users: { relationsOf: relationsOf({ documentClient, usersTable: tables.usersTable }) },
  broadcaster: new ManagementApiBroadcaster({ managementClient, rooms, removeConnection, closeExpired: createExpiredCloser({ link }) }),
  openSocketIo: createOpenPacketSender({
    link,
    heartbeat: resolveHeartbeatConfig(),
  }),
  removeConnection,
};

/**
 * Lambda entry point for the stream event source mappings.
 */
export const handler = instrumentHandler(async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  if (context !== undefined) logger.addContext(context);
  const response = await processStreamBatch(deps, event);
  // This batch's broadcasts only: the metrics are written (and reset) after the handler returns.
  annotateTrace({ records: event.Records?.length ?? 0, recipients: pendingTotal(METRIC.broadcastRecipients) });
  return response;
});
