/**
 * Fan-out function: the Messages, Presence, Memberships and Connections
 * streams' event source mappings invoke it (ReportBatchItemFailures on). A thin
 * adapter over processStreamBatch; configuration and clients are set up
 * once per execution environment, at module load.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createConnectionStore } from '../adapters/dynamodb/connection-store';
import { createMembershipStore } from '../adapters/dynamodb/membership-store';
import { createPresenceStore } from '../adapters/dynamodb/presence-store';
import { createRoomStore } from '../adapters/dynamodb/room-store';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { logger } from '../commons/logger';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { createConnectionRemover } from '../domain/connections';
import { processStreamBatch, type FanOutDeps } from '../domain/fan-out/stream-batch';
import { createOpenPacketSender } from '../domain/heartbeat';
import { resolveHeartbeatConfig } from '../system/heartbeat';

const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'presenceTable');
const documentClient = createDocumentClient();
const managementClient = createManagementClient(requireEnv(ENV.callbackUrl));
const connections = createConnectionStore({ documentClient, connectionsTable: tables.connectionsTable });
const rooms = createRoomStore({ documentClient, roomsTable: tables.roomsTable });
const presence = createPresenceStore({ documentClient, presenceTable: tables.presenceTable });
const memberships = createMembershipStore({ documentClient, membershipsTable: tables.membershipsTable });
const removeConnection = createConnectionRemover({ connections, rooms, presence });

const deps: FanOutDeps = {
  ...tables,
  connections,
  rooms,
  memberships,
  broadcaster: new ManagementApiBroadcaster({ managementClient, rooms, removeConnection }),
  openSocketIo: createOpenPacketSender({
    link: createConnectionLink({ managementClient, removeConnection }),
    heartbeat: resolveHeartbeatConfig(),
  }),
  removeConnection,
};

/**
 * Lambda entry point for the stream event source mappings.
 */
export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  if (context !== undefined) logger.addContext(context);
  return processStreamBatch(deps, event);
};
