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
  getConnections,
  removeRoomFromConnection,
} from '../adapters/dynamodb/connection-store';
import { chatIdsOfMember, countParticipants, membersAmong } from '../adapters/dynamodb/membership-store';
import { leavePresence } from '../adapters/dynamodb/presence-store';
import { relationsOf } from '../adapters/dynamodb/user-store';
import { deleteRoomRow, deleteRoomRows, putRoomRows, roomMembers } from '../adapters/dynamodb/room-store';
import { createDocumentClient, createManagementClient, POST_CONCURRENCY } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { pendingTotal } from '../commons/metrics';
import { annotateTrace } from '../commons/tracing';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import { createHotPoster } from '../adapters/api-gateway/poster';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { createConnectionRemover } from '../domain/connections';
import { createExpiredCloser } from '../domain/expiry';
import { processStreamBatch, type FanOutDeps } from '../domain/fan-out/stream-batch';
import { createOpenPacketSender } from '../domain/heartbeat';
import { resolveHeartbeatConfig } from '../system/heartbeat';
import { createFunctionInvoker } from '../adapters/lambda/invoker';
import { invokeSliceWorker } from '../adapters/lambda/slice-worker';
import { SlicedBroadcaster } from '../domain/fan-out/slices';
import { limitsFromEnv } from '../system/limits';
import { sliceWorkers } from '../system/topology';

const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'presenceTable', 'usersTable');
const documentClient = createDocumentClient();
const callbackUrl = requireEnv(ENV.callbackUrl);
const managementClient = createManagementClient(callbackUrl);
// The hot post skips the SDK client's stack (about two thirds of the CPU per
// delivery), signing with the client's own credential and region providers.
const poster = createHotPoster(managementClient, callbackUrl, POST_CONCURRENCY);
const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
const roomRows = { documentClient, roomsTable: tables.roomsTable };
// Only the operations the fan-out performs, so the bundle carries no other.
const connections = {
  get: getConnection(connectionRows),
  getMany: getConnections(connectionRows),
  delete: deleteConnection(connectionRows),
  deleteReturningOld: deleteConnectionReturningOld(connectionRows),
  ofUser: connectionsOfUser(connectionRows),
  addRoom: addRoomToConnection(connectionRows),
  removeRoom: removeRoomFromConnection(connectionRows),
};
const rooms = { members: roomMembers(roomRows), putAll: putRoomRows(roomRows), delete: deleteRoomRow(roomRows), deleteAll: deleteRoomRows(roomRows) };
const presence = { removeConnection: leavePresence({ documentClient, presenceTable: tables.presenceTable }) };
const removeConnection = createConnectionRemover({ connections, rooms, presence });
const link = createConnectionLink({ managementClient, removeConnection });

const deps: FanOutDeps = {
  ...tables,
  connections,
  rooms,
  memberships: {
    chatIdsOfUser: chatIdsOfMember({ documentClient, membershipsTable: tables.membershipsTable }),
    membersAmong: membersAmong({ documentClient, membershipsTable: tables.membershipsTable }),
    countParticipants: countParticipants({ documentClient, membershipsTable: tables.membershipsTable }),
  },
  presenceBroadcastMaxMembers: limitsFromEnv().presenceBroadcastMaxMembers,
  users: { relationsOf: relationsOf({ documentClient, usersTable: tables.usersTable }) },
  broadcaster: new ManagementApiBroadcaster({ managementClient, poster, rooms, removeConnection, closeExpired: createExpiredCloser({ link }) }),
  openSocketIo: createOpenPacketSender({
    link,
    heartbeat: resolveHeartbeatConfig(),
  }),
  removeConnection,
};

// Big rooms: slices posted by parallel synchronous invokes of the slice poster (topology sliceWorkers).
const fanOutDeps: FanOutDeps = {
  ...deps,
  broadcaster: new SlicedBroadcaster({
    local: deps.broadcaster,
    rooms,
    sliceSize: limitsFromEnv().fanOutSliceSize,
    postSlice: invokeSliceWorker(
      createFunctionInvoker({
        functionName: requireEnv(sliceWorkers.functionNameEnv),
        region: requireEnv('AWS_REGION'),
        credentials: managementClient.config.credentials,
        sha256: managementClient.config.sha256,
        // Past the worker's own timeout, so a worker that runs out of time is reported as such by Lambda.
        timeoutMs: (sliceWorkers.timeoutSeconds + 5) * 1000,
        maxSockets: 64,
      }),
    ),
  }),
};

/**
 * Lambda entry point for the stream event source mappings.
 */
export const handler = instrumentHandler(async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  if (context !== undefined) logger.addContext(context);
  const response = await processStreamBatch(fanOutDeps, event);
  // This batch's broadcasts only: the metrics are written (and reset) after the handler returns.
  annotateTrace({ records: event.Records?.length ?? 0, recipients: pendingTotal(METRIC.broadcastRecipients) });
  return response;
});
