/**
 * Heartbeat function: run on a schedule (an EventBridge rule in AWS, a
 * timer in the local runtime) every `pingInterval` in `scheduled-ping` mode.
 * Pings every open Socket.IO connection, removes the ones that stopped
 * answering and the ones that never sent their CONNECT, and closes every
 * connection whose token expired. A thin adapter over sweepSocketIoConnections.
 */
import { connectionRemoverStores } from '../adapters/dynamodb/remover-stores';
import { createSweepStore } from '../adapters/dynamodb/sweep-store';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import type { Context } from 'aws-lambda';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { instrumentHandler } from '../commons/instrument';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { createConnectionRemover } from '../domain/connections';
import { sweepSocketIoConnections, type SweepDeps, type SweepResult } from '../domain/heartbeat';
import { resolveHeartbeatConfig } from '../system/heartbeat';

const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'presenceTable');
const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
const heartbeat = resolveHeartbeatConfig();
const deps: SweepDeps = {
  sweep: createSweepStore(connectionRows),
  link: createConnectionLink({
    managementClient: createManagementClient(requireEnv(ENV.callbackUrl)),
    removeConnection: createConnectionRemover(connectionRemoverStores(documentClient, tables)),
  }),
  ping: heartbeat.mode === 'scheduled-ping',
  pingTimeoutMs: heartbeat.pingTimeout,
};

/** Lambda entry point for the schedule; the event (EventBridge's) carries nothing it needs. */
export const handler: (event?: unknown, context?: Context) => Promise<SweepResult> = instrumentHandler(async () => sweepSocketIoConnections(deps));
